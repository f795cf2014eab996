package dev.vertxdomains.launcher;

import dev.vertxdomains.cluster.ClusterClaims;
import dev.vertxdomains.cluster.ClusterConfig;
import dev.vertxdomains.cluster.ClusterView;
import dev.vertxdomains.management.ManagementServer;
import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.SupervisorHandedOffException;
import dev.vertxdomains.supervisor.SupervisorOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
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
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.core.transport.Transport;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

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
  public static final int BAD_INPUT = 2;
  /** Exit code when the main verticle fails to deploy (Vert.x's own code for it). */
  public static final int DEPLOY_FAILED = 15;
  /** Exit code when a clustered process cannot join its cluster (Vert.x's own initialisation failure code). */
  public static final int CLUSTER_JOIN_FAILED = 11;

  /** How long a clustered start may take to join, in seconds (also {@code VERTX_DOMAINS_CLUSTER_JOIN_TIMEOUT_SECONDS}). */
  public static final String JOIN_TIMEOUT_PROPERTY = "vertx-domains.cluster.join-timeout-seconds";
  /** The default join bound. */
  public static final int DEFAULT_JOIN_TIMEOUT_SECONDS = 60;
  /**
   * {@code true} (default): exit when the main deployment gave up; {@code false}: stay up (also
   * {@code VERTX_DOMAINS_EXIT_ON_GIVE_UP}).
   */
  public static final String EXIT_ON_GIVE_UP_PROPERTY = "vertx-domains.exit-on-give-up";

  private static final String HAZELCAST_LOGGING_PROPERTY = "hazelcast.logging.type";
  private static final Set<String> JSON_ARGUMENTS = Set.of("conf", "options", "deploymentOptions");
  private static final Set<String> STARTS_VERTX = Set.of("run", "bare");
  /** Integer options and their smallest and largest allowed values. */
  private static final Map<String, int[]> INT_ARGUMENTS = Map.of("instances", new int[] {1, Integer.MAX_VALUE},
    "quorum", new int[] {1, Integer.MAX_VALUE}, "cluster-port", new int[] {0, 65535},
    "cluster-public-port", new int[] {0, 65535});
  private static final Logger LOG = LoggerFactory.getLogger(DomainsLauncher.class);

  private boolean clustered;
  private HazelcastClusterManager clusterManager;
  private final CountDownLatch started = new CountDownLatch(1);
  private volatile String managementAddress;
  private volatile boolean deploysMainVerticle;

  /**
   * Runs the command line.
   *
   * @param args the arguments, as for {@code vertx}
   */
  public static void main(String[] args) {
    // Hazelcast logs through SLF4J (so through the same configuration as everything else), unless told otherwise;
    // set before any Hazelcast class reads it.
    if (System.getProperty(HAZELCAST_LOGGING_PROPERTY) == null) {
      System.setProperty(HAZELCAST_LOGGING_PROPERTY, "slf4j");
    }
    String problem = check(args);
    if (problem != null) {
      fail(problem, BAD_INPUT);
      return;
    }
    DomainsLauncher launcher = new DomainsLauncher();
    launcher.clustered = args.length > 0 && (args[0].equals("bare") || java.util.Arrays.stream(args)
      .anyMatch(a -> a.equals("-cluster") || a.equals("--cluster") || a.equals("-ha") || a.equals("--ha")));
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
      try {
        ManagementSettings.read(System.getenv(), System.getProperties());
        joinTimeoutSeconds(System.getenv(), System.getProperties());
        exitOnGiveUp(System.getenv(), System.getProperties());
      } catch (IllegalArgumentException e) {
        return e.getMessage();
      }
    }
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
    if (argument.equals("-options")) {
      try {
        // The setters validate: eventLoopPoolSize must be > 0, and so on.
        new VertxOptions(json);
      } catch (RuntimeException e) {
        return argument + ": " + (e.getMessage() != null ? firstLine(e.getMessage()) : e.toString());
      }
    }
    return null;
  }

  /** The join bound from {@value #JOIN_TIMEOUT_PROPERTY}, else its environment variable, else the default. */
  static int joinTimeoutSeconds(Map<String, String> env, Properties properties) {
    String value = ManagementSettings.value(JOIN_TIMEOUT_PROPERTY, env, properties);
    if (value == null) {
      return DEFAULT_JOIN_TIMEOUT_SECONDS;
    }
    try {
      int seconds = Integer.parseInt(value.trim());
      if (seconds >= 1) {
        return seconds;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(JOIN_TIMEOUT_PROPERTY + ": must be a whole number of seconds, at least 1, got '"
      + value + "'");
  }

  /** Whether to exit when the main deployment gave up, from {@value #EXIT_ON_GIVE_UP_PROPERTY} or its variable. */
  static boolean exitOnGiveUp(Map<String, String> env, Properties properties) {
    String value = ManagementSettings.value(EXIT_ON_GIVE_UP_PROPERTY, env, properties);
    if (value == null || value.trim().equalsIgnoreCase("true")) {
      return true;
    }
    if (value.trim().equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException(EXIT_ON_GIVE_UP_PROPERTY + ": must be true or false, got '" + value + "'");
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
    if (!clustered) {
      return;
    }
    int seconds = joinTimeoutSeconds(System.getenv(), System.getProperties());
    Thread watchdog = new Thread(() -> {
      try {
        if (!started.await(seconds, TimeUnit.SECONDS)) {
          fail("cluster: could not join within " + seconds + " s (members: " + members() + "); check that they "
            + "run and are reachable, or raise -D" + JOIN_TIMEOUT_PROPERTY, CLUSTER_JOIN_FAILED);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "vertx-domains-join-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  private static String members() {
    String members = ManagementSettings.value(ClusterConfig.MEMBERS, System.getenv(), System.getProperties());
    return members != null ? members.trim() : "127.0.0.1";
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
      return new JoinReporting(builder);
    }
    return builder;
  }

  /** Reports a failed cluster join in one line, before Vert.x's launcher logs it with a trace and carries on. */
  private static final class JoinReporting implements VertxBuilder {
    private final VertxBuilder delegate;

    JoinReporting(VertxBuilder delegate) {
      this.delegate = delegate;
    }

    @Override
    public VertxBuilder with(VertxOptions options) {
      delegate.with(options);
      return this;
    }

    @Override
    public VertxBuilder withMetrics(VertxMetricsFactory factory) {
      delegate.withMetrics(factory);
      return this;
    }

    @Override
    public VertxBuilder withTracer(VertxTracerFactory factory) {
      delegate.withTracer(factory);
      return this;
    }

    @Override
    public VertxBuilder withTransport(Transport transport) {
      delegate.withTransport(transport);
      return this;
    }

    @Override
    public VertxBuilder withClusterManager(ClusterManager clusterManager) {
      delegate.withClusterManager(clusterManager);
      return this;
    }

    @Override
    public Vertx build() {
      return delegate.build();
    }

    @Override
    public Future<Vertx> buildClustered() {
      Future<Vertx> result;
      try {
        result = delegate.buildClustered();
      } catch (RuntimeException e) {
        result = Future.failedFuture(e);
      }
      return result.onFailure(e -> {
        LOG.debug("Failed to join the cluster", e);
        fail("cluster: could not join (members: " + members() + "): " + rootMessage(e), CLUSTER_JOIN_FAILED);
      });
    }
  }

  @Override
  public void afterStartingVertx(Vertx vertx) {
    started.countDown();
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
    // The endpoint's address is logged once the main verticle runs: a failed start prints only its one line.
    try {
      String node = view != null ? view.nodeId() : "local";
      int port = ManagementServer.start(vertx, settings.host(), settings.port(), node, view)
        .await(30, TimeUnit.SECONDS).actualPort();
      managementAddress = "http://" + settings.host() + ":" + port + "/workers";
      if (!deploysMainVerticle) {
        // bare: nothing to deploy; the endpoint is what there is to see.
        LOG.info("Management endpoint on {}", managementAddress);
      }
    } catch (Exception e) {
      Throwable root = root(e);
      String line = "management endpoint " + settings.host() + ":" + settings.port() + ": " + rootMessage(e)
        + (cannotAssign(root)
        ? "; set -D" + ManagementSettings.HOST_PROPERTY + " to an address of this machine (default 127.0.0.1)"
        : "; set -D" + ManagementSettings.PORT_PROPERTY + " (0: any free port, off: none)");
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

  /** Called by {@link DomainsRunCommand} before Vert.x starts: a main verticle follows. */
  void expectMainVerticle() {
    deploysMainVerticle = true;
  }

  /**
   * Called by {@link DomainsRunCommand} once the main verticle is deployed: logs where the management endpoint is,
   * and exits when the supervisor of this deployment gives up (unless {@value #EXIT_ON_GIVE_UP_PROPERTY} is
   * {@code false}).
   */
  void mainDeployed(Vertx vertx, String deploymentId, DeploymentOptions options) {
    if (managementAddress != null) {
      LOG.info("Management endpoint on {}", managementAddress);
    }
    SupervisorOptions supervisor;
    try {
      supervisor = SupervisorOptions.fromJson(options.getConfig() == null ? new JsonObject()
        : options.getConfig().getJsonObject(SupervisorOptions.CONFIG_KEY, new JsonObject()));
    } catch (RuntimeException e) {
      return; // not supervised by us, or settings we do not know: nothing to watch
    }
    if (!exitOnGiveUp(System.getenv(), System.getProperties())
      || "handoff".equals(supervisor.toJson().getString("giveUp"))) {
      // A handed-off deployment runs on another node; this node stays in the cluster.
      return;
    }
    vertx.eventBus().<JsonObject>localConsumer(Supervisor.EVENTS_ADDRESS, message -> {
      JsonObject event = message.body();
      if ("undeployed".equals(event.getString("type")) && deploymentId.equals(event.getString("deployment"))
        && Boolean.TRUE.equals(event.getBoolean("gaveUp"))) {
        String line = "main deployment " + deploymentId + " of " + event.getString("verticle") + " gave up (more than "
          + supervisor.maxRestarts() + " crashes within " + supervisor.restartPeriodMs() + " ms); exiting with "
          + supervisor.exitCode() + " (-D" + EXIT_ON_GIVE_UP_PROPERTY + "=false keeps the process up)";
        vertx.close().onComplete(ar -> fail(line, supervisor.exitCode()));
      }
    });
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

  private static Throwable root(Throwable cause) {
    Throwable root = cause;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root;
  }

  private static boolean cannotAssign(Throwable root) {
    return root instanceof java.net.BindException && root.getMessage() != null
      && root.getMessage().contains("Cannot assign requested address");
  }

  /** What failed, in words an operator can act on. */
  static String rootMessage(Throwable cause) {
    Throwable root = root(cause);
    String message = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    if (root instanceof ClassNotFoundException) {
      return "no such class " + message;
    }
    if (cannotAssign(root)) {
      return "cannot listen on that address: it is not an address of this machine (" + message + ")";
    }
    if (root instanceof java.net.BindException) {
      return message.contains("Address already in use") ? "port in use (" + message + ")"
        : "cannot listen (" + message + ")";
    }
    if (root instanceof java.net.UnknownHostException) {
      return "unknown host " + message;
    }
    return message;
  }

  /** Prints the one line on stderr and exits. */
  static void fail(String line, int code) {
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
