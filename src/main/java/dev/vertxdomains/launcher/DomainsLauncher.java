package dev.vertxdomains.launcher;

import dev.vertxdomains.cluster.ClusterClaims;
import dev.vertxdomains.cluster.ClusterConfig;
import dev.vertxdomains.cluster.ClusterView;
import dev.vertxdomains.management.ManagementServer;
import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.SupervisorHandedOffException;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Launcher;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The project's {@code vertx} command: Vert.x's launcher ({@code run}, {@code bare}, {@code start}, {@code -cluster},
 * {@code -ha}, {@code -conf}, ...) with three differences.
 * <ul>
 *   <li>A verticle named without a prefix is deployed {@code supervised:} (the jar's {@code Default-Verticle-Factory});
 *       name it {@code java:com.acme.App} to deploy it unsupervised.</li>
 *   <li>Supervisor settings are layered (see {@link SupervisorSettings}) into the deployment config before it is
 *       deployed, and validated.</li>
 *   <li>Bad input fails fast, before Vert.x starts, with one line naming the argument or key and what is allowed, and
 *       exit code {@value #BAD_INPUT}; a deployment that fails (unknown verticle, port in use) exits with
 *       {@value #DEPLOY_FAILED} after one line saying why.</li>
 * </ul>
 */
public class DomainsLauncher extends Launcher {

  /** Exit code for bad arguments or configuration. */
  public static final int BAD_INPUT = 2;
  /** Exit code when the main verticle fails to deploy (Vert.x's own code for it). */
  public static final int DEPLOY_FAILED = 15;

  private static final Set<String> JSON_ARGUMENTS = Set.of("conf", "options", "deploymentOptions");
  private static final Set<String> STARTS_VERTX = Set.of("run", "bare");
  private static final Logger LOG = LoggerFactory.getLogger(DomainsLauncher.class);

  private boolean clustered;
  private HazelcastClusterManager clusterManager;

  /**
   * Runs the command line.
   *
   * @param args the arguments, as for {@code vertx}
   */
  public static void main(String[] args) {
    String problem = check(args);
    if (problem != null) {
      fail(problem, BAD_INPUT);
      return;
    }
    DomainsLauncher launcher = new DomainsLauncher();
    launcher.clustered = args.length > 0 && (args[0].equals("bare") || java.util.Arrays.stream(args)
      .anyMatch(a -> a.equals("-cluster") || a.equals("--cluster") || a.equals("-ha") || a.equals("--ha")));
    launcher.dispatch(args);
  }

  /** Registers the project's {@code list} in place of Vert.x's. */
  public DomainsLauncher() {
    register(ListCommand.class, ListCommand::new);
  }

  /** Checks what Vert.x's launcher would accept silently; returns the problem, or {@code null}. */
  static String check(String[] args) {
    if (args.length > 0 && STARTS_VERTX.contains(args[0])) {
      try {
        ManagementSettings.read(System.getenv(), System.getProperties());
      } catch (IllegalArgumentException e) {
        return e.getMessage();
      }
    }
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("-")) {
        continue;
      }
      String name = args[i].replaceFirst("^--?", "");
      boolean json = JSON_ARGUMENTS.contains(name);
      if (!json && !name.equals("instances")) {
        continue;
      }
      if (i + 1 >= args.length) {
        return args[i] + ": missing value";
      }
      String value = args[++i];
      String problem = json ? checkJson(args[i - 1], value) : checkInstances(value);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private static String checkInstances(String value) {
    try {
      if (Integer.parseInt(value) >= 1) {
        return null;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    return "-instances: must be an integer of at least 1, got '" + value + "'";
  }

  private static String checkJson(String argument, String value) {
    Path path = Path.of(value);
    String text = value;
    boolean file = false;
    try {
      if (Files.isRegularFile(path)) {
        text = Files.readString(path, StandardCharsets.UTF_8);
        file = true;
      }
    } catch (IOException | RuntimeException e) {
      return argument + ": cannot read " + value + ": " + e.getMessage();
    }
    try {
      new JsonObject(text);
      return null;
    } catch (DecodeException e) {
      return file
        ? argument + ": " + value + " is not a JSON object (" + firstLine(e.getMessage()) + ")"
        : argument + ": no such file, and not a JSON object: " + abbreviate(value);
    }
  }

  @Override
  public void afterConfigParsed(JsonObject config) {
    try {
      SupervisorSettings.apply(config, System.getenv(), System.getProperties());
    } catch (IllegalArgumentException e) {
      fail(e.getMessage(), BAD_INPUT);
    }
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    VertxBuilder builder = super.createVertxBuilder(options);
    if (clustered) {
      try {
        clusterManager = ClusterConfig.clusterManager(System.getenv(), System.getProperties());
      } catch (IllegalArgumentException e) {
        fail(e.getMessage(), BAD_INPUT);
      }
      builder.withClusterManager(clusterManager);
    }
    return builder;
  }

  @Override
  public void afterStartingVertx(Vertx vertx) {
    ClusterView view = null;
    if (vertx.isClustered() && clusterManager != null) {
      ClusterClaims.install(vertx, clusterManager);
      try {
        view = ClusterView.start(vertx, clusterManager).await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("The cluster view could not start; list -cluster will not answer: {}", e.toString());
      }
    }
    ManagementSettings settings = ManagementSettings.read(System.getenv(), System.getProperties());
    if (!settings.enabled()) {
      return;
    }
    try {
      String node = view != null ? view.nodeId() : "local";
      ManagementServer.start(vertx, settings.host(), settings.port(), node, view)
        .await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      String line = "management endpoint " + settings.host() + ":" + settings.port() + ": " + rootMessage(e)
        + "; set -D" + ManagementSettings.PORT_PROPERTY + " (0: any free port, off: none)";
      try {
        vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // exiting anyway
      }
      fail(line, BAD_INPUT);
    }
  }

  @Override
  public void beforeDeployingVerticle(DeploymentOptions deploymentOptions) {
    // An HA deployment gets its identity here, recorded by Vert.x HA and kept across failovers.
    Supervisor.withHaId(deploymentOptions);
  }

  @Override
  public void handleDeployFailed(Vertx vertx, String mainVerticle, DeploymentOptions deploymentOptions,
                                 Throwable cause) {
    for (Throwable c = cause; c != null; c = c.getCause()) {
      if (c instanceof SupervisorHandedOffException moved) {
        // It runs on another node now; this node stays in the cluster, ready to take work.
        LOG.warn("{}; this node keeps running", moved.getMessage());
        return;
      }
    }
    String line = "could not deploy " + mainVerticle + ": " + rootMessage(cause);
    vertx.close().onComplete(ar -> fail(line, DEPLOY_FAILED));
  }

  private static String rootMessage(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    if (root instanceof ClassNotFoundException) {
      return "no such class " + message;
    }
    if (root instanceof java.net.BindException) {
      return "port in use (" + message + ")";
    }
    return message;
  }

  private static void fail(String line, int code) {
    // A command-line tool's one clear line goes to stderr, not to the log.
    System.err.println("vertx-domains: " + line);
    System.err.flush();
    System.exit(code);
  }

  private static String firstLine(String text) {
    int nl = text == null ? -1 : text.indexOf('\n');
    return nl < 0 ? String.valueOf(text) : text.substring(0, nl);
  }

  private static String abbreviate(String value) {
    return value.length() <= 40 ? value : value.substring(0, 40) + "...";
  }
}
