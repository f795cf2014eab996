package dev.vertxdomains.launcher;

import io.vertx.core.AsyncResult;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.cli.annotations.Description;
import io.vertx.core.cli.annotations.Name;
import io.vertx.core.cli.annotations.Summary;
import io.vertx.core.impl.launcher.commands.RunCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vert.x's {@code run} with two changes, whatever the class path (fat jar or thin {@code java -cp}):
 * <ul>
 *   <li>a main verticle named without a prefix is deployed {@value #DEFAULT_PREFIX}{@code :} (name it
 *       {@code java:com.acme.App} to deploy it unsupervised), without depending on the fat jar's
 *       {@code Default-Verticle-Factory} manifest entry;</li>
 *   <li>a main verticle that fails to deploy is logged at DEBUG only (with its stack trace): the launcher prints the
 *       one line saying why and exits (see {@link DomainsLauncher#handleDeployFailed}).</li>
 * </ul>
 */
@Name("run")
@Summary("Runs a verticle, supervised unless named with a prefix (java:com.acme.App runs it unsupervised).")
@Description("Runs a verticle in its own vert.x instance: deployed with the supervised: factory unless its name "
  + "has a prefix. Supervisor settings come from conf/supervisor.json, the -conf JSON's \"supervisor\" object, "
  + "VERTX_DOMAINS_SUPERVISOR_* and -Dvertx-domains.supervisor.*.")
public class DomainsRunCommand extends RunCommand {

  /** The factory prefix given to a main verticle named without one. */
  public static final String DEFAULT_PREFIX = "supervised";

  private static final Logger LOG = LoggerFactory.getLogger(DomainsRunCommand.class);

  /** The main verticle's name as deployed: with {@value #DEFAULT_PREFIX}{@code :} when it has no prefix. */
  static String withDefaultPrefix(String verticle) {
    return verticle.indexOf(':') < 0 ? DEFAULT_PREFIX + ":" + verticle : verticle;
  }

  @Override
  public void setUp(io.vertx.core.spi.launcher.ExecutionContext context) throws io.vertx.core.cli.CLIException {
    super.setUp(context);
    // Vert.x's parser takes an unknown option for an argument, and run ignores every argument but the first.
    java.util.List<String> arguments = context.commandLine().allArguments();
    if (arguments.size() > 1) {
      String extra = arguments.get(1);
      throw new io.vertx.core.cli.CLIException((extra.startsWith("-") ? "unknown option " : "unexpected argument ")
        + "'" + extra + "' (run --help lists the options)");
    }
    if (context.main() instanceof DomainsLauncher launcher) {
      launcher.expectMainVerticle();
    }
  }

  @Override
  public synchronized void deploy(String verticle, Vertx vertx, DeploymentOptions options,
                                  Handler<AsyncResult<String>> completionHandler) {
    String name = withDefaultPrefix(verticle);
    ClassLoader loader = classpath == null || classpath.isEmpty()
      ? DomainsRunCommand.class.getClassLoader() : createClassloader();
    Thread thread = Thread.currentThread();
    ClassLoader original = thread.getContextClassLoader();
    Future<String> deployed;
    try {
      thread.setContextClassLoader(loader);
      deployed = vertx.deployVerticle(name, options);
    } catch (RuntimeException e) {
      deployed = Future.failedFuture(e);
    } finally {
      thread.setContextClassLoader(original);
    }
    deployed.onComplete(ar -> {
      if (ar.succeeded()) {
        LOG.info("Succeeded in deploying verticle {} ({})", name, ar.result());
        if (executionContext.main() instanceof DomainsLauncher launcher) {
          launcher.mainDeployed(vertx, ar.result(), options);
        }
      } else {
        // The launcher prints one line with the reason; the trace is there for whoever asks for DEBUG.
        LOG.debug("Failed in deploying verticle {}", name, ar.cause());
      }
      if (completionHandler != null) {
        completionHandler.handle(ar);
      }
    });
  }
}
