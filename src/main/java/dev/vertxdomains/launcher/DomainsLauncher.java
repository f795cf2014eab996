package dev.vertxdomains.launcher;

import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.SupervisorHandedOffException;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Launcher;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.cli.CLI;
import io.vertx.core.cli.CLIException;
import io.vertx.core.cli.InvalidValueException;
import io.vertx.core.cli.MissingValueException;
import io.vertx.core.cli.Option;
import io.vertx.core.cli.TypedOption;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The project's {@code vertx} command: Vert.x's launcher ({@code run}, {@code bare}, {@code start}, {@code -cluster},
 * {@code -ha}, {@code -conf}, ...) with these differences.
 * <ul>
 *   <li>A verticle named without a prefix is deployed {@code supervised:} (see {@link DomainsRunCommand}), from the
 *       fat jar or from any class path; name it {@code java:com.acme.App} to deploy it unsupervised.</li>
 *   <li>Supervisor settings are layered (see {@link SupervisorSettings}) into the deployment config before it is
 *       deployed, and validated.</li>
 *   <li>Bad input fails fast, before Vert.x starts, with one line on stderr naming the argument or key and what is
 *       allowed, and exit code {@value #BAD_INPUT}: unknown commands, values a command does not accept
 *       ({@code -quorum abc}, {@code -quorum 0}), malformed or invalid {@code -conf} and {@code -options}.</li>
 *   <li>A main verticle that cannot deploy (unknown class, a constructor or {@code start()} that throws, port in use)
 *       exits with {@value #DEPLOY_FAILED} after one line saying why, with no stack trace at the default log
 *       level.</li>
 *   <li>A clustered start that has not joined its cluster within {@value #JOIN_TIMEOUT_PROPERTY} seconds (default
 *       {@value #DEFAULT_JOIN_TIMEOUT_SECONDS}) or fails to join exits with {@value #CLUSTER_JOIN_FAILED} after one
 *       line.</li>
 *   <li>When the main deployment's supervisor gives up ({@code giveUp: stop}), the process closes Vert.x and exits
 *       with the deployment's {@code exitCode} (default 70), unless {@code -D}{@value #EXIT_ON_GIVE_UP_PROPERTY}
 *       {@code =false} keeps it up.</li>
 * </ul>
 */
public class DomainsLauncher extends Launcher {

  /** Exit code for bad arguments or configuration. */
  public static final int BAD_INPUT = ProcessServices.BAD_INPUT;
  /** Exit code when the main verticle fails to deploy (Vert.x's own code for it). */
  public static final int DEPLOY_FAILED = ProcessServices.DEPLOY_FAILED;
  /** Exit code when a clustered process cannot join its cluster (Vert.x's own initialisation failure code). */
  public static final int CLUSTER_JOIN_FAILED = ProcessServices.CLUSTER_JOIN_FAILED;

  /** How long a clustered start may take to join, in seconds (also {@code VERTX_DOMAINS_CLUSTER_JOIN_TIMEOUT_SECONDS}). */
  public static final String JOIN_TIMEOUT_PROPERTY = ProcessServices.JOIN_TIMEOUT_PROPERTY;
  /** The default join bound. */
  public static final int DEFAULT_JOIN_TIMEOUT_SECONDS = ProcessServices.DEFAULT_JOIN_TIMEOUT_SECONDS;
  /**
   * {@code true} (default): exit when the main deployment gave up; {@code false}: stay up (also
   * {@code VERTX_DOMAINS_EXIT_ON_GIVE_UP}).
   */
  public static final String EXIT_ON_GIVE_UP_PROPERTY = ProcessServices.EXIT_ON_GIVE_UP_PROPERTY;

  private static final Set<String> JSON_ARGUMENTS = Set.of("conf", "options", "deployment-options");
  private static final Set<String> STARTS_VERTX = Set.of("run", "bare");
  /** Integer options and their smallest and largest allowed values. */
  private static final Map<String, int[]> INT_ARGUMENTS = Map.of("instances", new int[] {1, Integer.MAX_VALUE},
    "quorum", new int[] {1, Integer.MAX_VALUE}, "cluster-port", new int[] {0, 65535},
    "cluster-public-port", new int[] {0, 65535});
  private static final Logger LOG = LoggerFactory.getLogger(DomainsLauncher.class);

  private boolean clustered;
  private final ProcessServices services = new ProcessServices();

  /**
   * Runs the command line.
   *
   * @param args the arguments, as for {@code vertx}
   */
  public static void main(String[] args) {
    // Hazelcast logs through SLF4J (so through the same configuration as everything else), unless told otherwise.
    ProcessServices.hazelcastLogsThroughSlf4j();
    String problem = check(args);
    if (problem != null) {
      fail(problem, BAD_INPUT);
      return;
    }
    DomainsLauncher launcher = new DomainsLauncher();
    launcher.clustered = args.length > 0 && (args[0].equals("bare") || java.util.Arrays.stream(args)
      .anyMatch(a -> a.equals("-cluster") || a.equals("--cluster") || a.equals("-ha") || a.equals("--ha")));
    String members = launcher.clustered ? ProcessServices.checkMembers() : null;
    if (members != null) {
      fail(members, BAD_INPUT);
      return;
    }
    try {
      launcher.dispatch(args);
    } catch (IllegalArgumentException e) {
      fail(e.getMessage(), BAD_INPUT);
    } catch (RuntimeException e) {
      fail((args.length > 0 ? args[0] + ": " : "") + rootMessage(e), 1);
    }
  }

  /** Registers the project's {@code run} and {@code list} in place of Vert.x's. */
  public DomainsLauncher() {
    register(DomainsRunCommand.class, DomainsRunCommand::new);
    register(ListCommand.class, ListCommand::new);
  }

  /** Checks what Vert.x's launcher would accept silently; returns the problem, or {@code null}. */
  static String check(String[] args) {
    if (args.length > 0 && STARTS_VERTX.contains(args[0])) {
      String problem = ProcessServices.checkSettings();
      if (problem != null) {
        return problem;
      }
    }
    return checkValues(args);
  }

  /**
   * Checks the values of the options both launchers share ({@code -instances}, {@code -quorum}, {@code -cluster-port},
   * {@code -conf}, {@code -options}, {@code -deployment-options}); returns the problem, or {@code null}.
   */
  static String checkValues(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("-")) {
        continue;
      }
      String name = args[i].replaceFirst("^--?", "");
      String inline = null;
      int eq = name.indexOf('=');
      if (eq > 0) {
        inline = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      // VertxApplication's options are case-insensitive, and -vertx-options is -options.
      name = name.toLowerCase(java.util.Locale.ROOT);
      if (name.equals("vertx-options")) {
        name = "options";
      }
      boolean json = JSON_ARGUMENTS.contains(name);
      if (!json && !INT_ARGUMENTS.containsKey(name)) {
        continue;
      }
      String value;
      if (inline != null) {
        value = inline;
      } else if (i + 1 >= args.length) {
        return "-" + name + ": missing value";
      } else {
        value = args[++i];
      }
      String problem = json ? checkJson("-" + name, value) : checkInt(name, value);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  private static String checkInt(String name, String value) {
    int[] range = INT_ARGUMENTS.get(name);
    try {
      long parsed = Long.parseLong(value.trim());
      if (parsed >= range[0] && parsed <= range[1]) {
        return null;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    return "-" + name + ": must be an integer " + (range[1] == Integer.MAX_VALUE ? "of at least " + range[0]
      : "from " + range[0] + " to " + range[1]) + ", got '" + value + "'";
  }

  private static String checkJson(String argument, String value) {
    // Vert.x strips one pair of quotes around inline JSON; so do we.
    String stripped = value.trim().replaceAll("^\"|\"$", "").replaceAll("^'|'$", "");
    Path path = Path.of(stripped);
    String text = stripped;
    boolean file = false;
    try {
      if (Files.isRegularFile(path)) {
        text = Files.readString(path, StandardCharsets.UTF_8);
        file = true;
      }
    } catch (IOException | RuntimeException e) {
      return argument + ": cannot read " + value + ": " + e.getMessage();
    }
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException e) {
      return file
        ? argument + ": " + value + " is not a JSON object (" + firstLine(e.getMessage()) + ")"
        : argument + ": no such file, and not a JSON object: " + abbreviate(value);
    }
    try {
      // The setters validate: eventLoopPoolSize must be > 0, instances must be at least 1, and so on.
      if (argument.equals("-options")) {
        new VertxOptions(json);
      } else if (argument.equals("-deployment-options")) {
        new DeploymentOptions(json);
        Object instances = json.getValue("instances");
        if (instances != null && !(instances instanceof Number n && n.doubleValue() >= 1
          && n.doubleValue() <= Integer.MAX_VALUE && n.doubleValue() == Math.rint(n.doubleValue()))) {
          return argument + ": instances must be an integer of at least 1, got " + instances;
        }
      }
    } catch (RuntimeException e) {
      return argument + ": " + (e.getMessage() != null ? firstLine(e.getMessage()) : e.toString());
    }
    return null;
  }

  @Override
  protected void printSpecificException(CLI cli, Exception e) {
    fail(cli.getName() + ": " + describe(e), BAD_INPUT);
  }

  @Override
  protected void printGenericExecutionError(CLI cli, CLIException e) {
    fail(cli.getName() + ": " + describe(e), BAD_INPUT);
  }

  @Override
  protected void printCommandNotFound(String command) {
    fail("unknown command '" + command + "', allowed: " + String.join(", ", new TreeSet<>(getCommandNames()))
      + " (--help for usage)", BAD_INPUT);
  }

  /** One line for a command-line parsing error, naming the option. */
  private static String describe(Exception e) {
    if (e instanceof InvalidValueException invalid && invalid.getOption() != null) {
      Option option = invalid.getOption();
      Class<?> type = option instanceof TypedOption<?> typed ? typed.getType() : String.class;
      boolean integer = type == int.class || type == Integer.class || type == long.class || type == Long.class;
      return "-" + option.getName() + ": " + (integer ? "must be an integer" : "invalid value") + ", got '"
        + invalid.getValue() + "'";
    }
    if (e instanceof MissingValueException missing) {
      return missing.getOption() != null ? "-" + missing.getOption().getName() + ": missing value"
        : "missing " + (missing.getArgument().getArgName() != null ? missing.getArgument().getArgName() : "argument");
    }
    return firstLine(e.getMessage());
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
  public void beforeStartingVertx(VertxOptions options) {
    services.beforeStartingVertx(options, clustered);
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    VertxBuilder builder = super.createVertxBuilder(options);
    if (clustered) {
      builder.withClusterManager(services.clusterManager());
    }
    return new LauncherVertxBuilder(builder, options);
  }

  @Override
  public void afterStartingVertx(Vertx vertx) {
    services.vertxStarted(vertx);
  }

  @Override
  public void beforeDeployingVerticle(DeploymentOptions deploymentOptions) {
    // An HA deployment gets its identity here, recorded by Vert.x HA and kept across failovers.
    Supervisor.withHaId(deploymentOptions);
  }

  /** Called by {@link DomainsRunCommand} before Vert.x starts: a main verticle follows. */
  void expectMainVerticle() {
    services.expectMainVerticle();
  }

  /** Called by {@link DomainsRunCommand} once the main verticle is deployed (see {@link ProcessServices}). */
  void mainDeployed(Vertx vertx, String deploymentId, DeploymentOptions options) {
    services.mainDeployed(vertx, deploymentId, options);
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

  static String rootMessage(Throwable cause) {
    return ProcessServices.rootMessage(cause);
  }

  static void fail(String line, int code) {
    ProcessServices.fail(line, code);
  }

  private static String firstLine(String text) {
    int nl = text == null ? -1 : text.indexOf('\n');
    return nl < 0 ? String.valueOf(text) : text.substring(0, nl);
  }

  private static String abbreviate(String value) {
    return value.length() <= 40 ? value : value.substring(0, 40) + "...";
  }
}
