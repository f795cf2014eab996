package dev.vertxdomains.launcher;

import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.SupervisorHandedOffException;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Vert.x 5's application launcher ({@link VertxApplication}, {@code io.vertx:vertx-launcher-application}) with the
 * defaults of the project's command line ({@link DomainsLauncher}):
 * <ul>
 *   <li>a main verticle named without a prefix is deployed {@code supervised:} ({@code java:com.acme.App}: not);</li>
 *   <li>the layered supervisor settings ({@link SupervisorSettings}) go into the deployment config;</li>
 *   <li>the management endpoint ({@code list}) and, when clustered, the cluster view and claims;</li>
 *   <li>bad input, a main verticle that cannot start and a cluster that cannot be joined end the process with one
 *       line on stderr and the same exit codes (2, 15, 11); the main deployment giving up ends it with its
 *       {@code exitCode};</li>
 *   <li>HA through the options Vert.x has: {@code -options '{"haEnabled":true,"haGroup":"g","quorumSize":2}'} makes
 *       the process clustered (no {@code -cluster} needed) and the main deployment HA (unless
 *       {@code -deployment-options '{"ha":false}'}).</li>
 * </ul>
 * A user's own {@code main} starts it in one line: {@code DomainsApplication.main(args)}, or
 * {@code new DomainsApplication(args).launch()}; subclass it to add hooks (call {@code super} in each). Unlike
 * {@link VertxApplication}, {@link #launch()} exits the JVM with the failure's code when the application cannot
 * start.
 */
public class DomainsApplication extends VertxApplication implements VertxApplicationHooks {

  private static final Logger LOG = LoggerFactory.getLogger(DomainsApplication.class);

  /** Options taking a value (lower case, without dashes; VertxApplication's options are case-insensitive). */
  private static final Set<String> VALUE_OPTIONS = Set.of("options", "vertx-options", "cluster-port", "cluster-host",
    "cluster-public-port", "cluster-public-host", "deployment-options", "instances", "conf");
  /** Flags. */
  private static final Set<String> FLAG_OPTIONS = Set.of("c", "cluster", "w", "worker", "vt", "virtual-thread", "h",
    "help");

  private final String[] args;
  private final boolean clustered;
  private final ProcessServices services = new ProcessServices();
  private volatile boolean haEnabled;
  private volatile String mainVerticle;
  private volatile boolean handedOff;

  /**
   * Runs the application and exits when it cannot start.
   *
   * @param args the arguments, as for {@link VertxApplication}
   */
  public static void main(String[] args) {
    new DomainsApplication(args).launch();
  }

  /**
   * An application for these arguments.
   *
   * @param args the arguments, as for {@link VertxApplication}
   */
  public DomainsApplication(String[] args) {
    this(prepare(args), Boolean.TRUE);
  }

  private DomainsApplication(String[] prepared, Boolean unused) {
    // No usage dump on failure (the one line says what is wrong); launch() exits on failure.
    super(prepared, null, false, false);
    this.args = prepared;
    this.clustered = Arrays.stream(prepared).anyMatch(a -> Set.of("-c", "-cluster", "--cluster")
      .contains(a.toLowerCase(Locale.ROOT)));
  }

  /**
   * The arguments with the main verticle prefixed {@code supervised:} when it has none, and {@code -cluster} added
   * when {@code -options} enables HA.
   */
  static String[] prepare(String[] args) {
    List<String> out = new ArrayList<>(Arrays.asList(args));
    boolean cluster = false;
    boolean named = false;
    JsonObject options = null;
    for (int i = 0; i < out.size(); i++) {
      String arg = out.get(i);
      if (arg.startsWith("-")) {
        String name = option(arg);
        if (name.equals("c") || name.equals("cluster")) {
          cluster = true;
        }
        String value = null;
        if (arg.contains("=")) {
          value = arg.substring(arg.indexOf('=') + 1);
        } else if (VALUE_OPTIONS.contains(name) && i + 1 < out.size()) {
          value = out.get(++i);
        }
        if ((name.equals("options") || name.equals("vertx-options")) && value != null) {
          options = readJson(value);
        }
      } else if (!named) {
        named = true;
        out.set(i, DomainsRunCommand.withDefaultPrefix(arg));
      }
    }
    if (!cluster && options != null && options.getValue("haEnabled") instanceof Boolean ha && ha) {
      out.add(0, "-cluster");
    }
    return out.toArray(String[]::new);
  }

  /** {@code --Cluster-Port=1} → {@code cluster-port}. */
  private static String option(String arg) {
    String name = arg.replaceFirst("^--?", "");
    int eq = name.indexOf('=');
    return (eq >= 0 ? name.substring(0, eq) : name).toLowerCase(Locale.ROOT);
  }

  /** A JSON argument as VertxApplication reads it (a file, else inline), or {@code null}. */
  private static JsonObject readJson(String value) {
    try {
      Path path = Path.of(value);
      return new JsonObject(Files.isRegularFile(path) ? Files.readString(path, StandardCharsets.UTF_8) : value);
    } catch (IOException | RuntimeException e) {
      return null; // reported by the checks
    }
  }

  /** Checks the arguments (one line and exit 2 when wrong), then runs as {@link VertxApplication#launch()}. */
  @Override
  public int launch() {
    ProcessServices.hazelcastLogsThroughSlf4j();
    String problem = check(args);
    if (problem == null && clustered) {
      problem = ProcessServices.checkMembers();
    }
    if (problem != null) {
      ProcessServices.fail(problem, ProcessServices.BAD_INPUT);
      return ProcessServices.BAD_INPUT;
    }
    services.expectMainVerticle();
    int code = super.launch();
    if (code != 0 && !handedOff) {
      System.exit(code);
    }
    return code;
  }

  /** What VertxApplication would refuse with a usage dump, or take silently; returns the problem, or {@code null}. */
  static String check(String[] args) {
    String problem = ProcessServices.checkSettings();
    if (problem != null) {
      return problem;
    }
    int positional = 0;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("-")) {
        if (++positional > 1) {
          return "unexpected argument '" + arg + "' (one main verticle; --help lists the options)";
        }
        continue;
      }
      String name = option(arg);
      if (VALUE_OPTIONS.contains(name)) {
        if (!arg.contains("=") && i + 1 >= args.length) {
          return "-" + name + ": missing value";
        }
        i += arg.contains("=") ? 0 : 1;
      } else if (!FLAG_OPTIONS.contains(name)) {
        return "unknown option '" + arg + "' (--help lists the options)";
      }
    }
    return DomainsLauncher.checkValues(args);
  }

  @Override
  public JsonObject afterVertxOptionsParsed(JsonObject vertxOptions) {
    haEnabled = vertxOptions != null && Boolean.TRUE.equals(vertxOptions.getValue("haEnabled"));
    return vertxOptions;
  }

  @Override
  public JsonObject afterDeploymentOptionsParsed(JsonObject deploymentOptions) {
    if (haEnabled && (deploymentOptions == null || !deploymentOptions.containsKey("ha"))) {
      // As the legacy launcher's -ha: an HA node's main deployment is HA.
      return (deploymentOptions == null ? new JsonObject() : deploymentOptions).put("ha", true);
    }
    return deploymentOptions;
  }

  @Override
  public JsonObject afterConfigParsed(JsonObject config) {
    JsonObject result = config == null ? new JsonObject() : config;
    try {
      SupervisorSettings.apply(result, System.getenv(), System.getProperties());
    } catch (IllegalArgumentException e) {
      ProcessServices.fail(e.getMessage(), ProcessServices.BAD_INPUT);
    }
    return result;
  }

  @Override
  public void beforeStartingVertx(HookContext context) {
    services.beforeStartingVertx(context.vertxOptions(), clustered);
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    VertxBuilder builder = Vertx.builder().with(options);
    if (clustered) {
      return new LauncherVertxBuilder(builder.withClusterManager(services.clusterManager()), options);
    }
    return builder;
  }

  @Override
  public void afterVertxStarted(HookContext context) {
    services.vertxStarted(context.vertx());
  }

  @Override
  public void afterFailureToStartVertx(HookContext context, Throwable t) {
    ProcessServices.fail("could not start Vert.x: " + (t == null ? "timed out" : ProcessServices.rootMessage(t)),
      ProcessServices.CLUSTER_JOIN_FAILED);
  }

  @Override
  public void beforeDeployingVerticle(HookContext context) {
    mainVerticle = context.mainVerticle();
    // An HA deployment gets its identity here, recorded by Vert.x HA and kept across failovers.
    Supervisor.withHaId(context.deploymentOptions());
  }

  @Override
  public void afterVerticleDeployed(HookContext context) {
    services.mainDeployed(context.vertx(), context.deploymentId(), context.deploymentOptions());
  }

  @Override
  public void afterFailureToDeployVerticle(HookContext context, Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SupervisorHandedOffException moved) {
        // It runs on another node now; this node stays in the cluster, ready to take work.
        LOG.warn("{}; this node keeps running", moved.getMessage());
        handedOff = true;
        return;
      }
    }
    String line = "could not deploy " + (mainVerticle != null ? mainVerticle : "the main verticle") + ": "
      + (t == null ? "not started within 2 minutes" : ProcessServices.rootMessage(t));
    LOG.debug("Failed in deploying verticle", t);
    try {
      context.vertx().close().await(30, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // exiting anyway
    }
    ProcessServices.fail(line, ProcessServices.DEPLOY_FAILED);
  }
}
