package dev.vertxdomains.launcher;

import dev.vertxdomains.cluster.ClusterClaims;
import dev.vertxdomains.cluster.ClusterConnections;
import dev.vertxdomains.cluster.ClusterConfig;
import dev.vertxdomains.cluster.ClusterView;
import dev.vertxdomains.management.Health;
import dev.vertxdomains.management.ManagementServer;
import dev.vertxdomains.management.NodeDirectory;
import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.SupervisorOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What both launchers ({@link DomainsLauncher}, {@link DomainsApplication}) add to a process: the cluster view and
 * claims, the management endpoint, the bounded cluster join, the exit when the main deployment gives up, and the one
 * line on stderr when something cannot start.
 */
final class ProcessServices {

  /** Exit code for bad arguments or configuration. */
  static final int BAD_INPUT = 2;
  /** Exit code when the main verticle fails to deploy (Vert.x's own code for it). */
  static final int DEPLOY_FAILED = 15;
  /** Exit code when a clustered process cannot join its cluster (Vert.x's own initialisation failure code). */
  static final int CLUSTER_JOIN_FAILED = 11;

  static final String JOIN_TIMEOUT_PROPERTY = "vertx-domains.cluster.join-timeout-seconds";
  static final int DEFAULT_JOIN_TIMEOUT_SECONDS = 60;
  static final String EXIT_ON_GIVE_UP_PROPERTY = "vertx-domains.exit-on-give-up";
  static final String HAZELCAST_LOGGING_PROPERTY = "hazelcast.logging.type";
  /** {@code true}: Vert.x and supervisor metrics, served at {@code /metrics}; also {@code VERTX_DOMAINS_METRICS}. */
  static final String METRICS_PROPERTY = "vertx-domains.metrics";

  private static final Logger LOG = LoggerFactory.getLogger(ProcessServices.class);

  private final CountDownLatch started = new CountDownLatch(1);
  private volatile HazelcastClusterManager clusterManager;
  private volatile String managementAddress;
  private volatile boolean deploysMainVerticle;
  /** Completed when the main verticle runs: readiness waits for it. */
  private final io.vertx.core.Promise<Void> mainVerticle = io.vertx.core.Promise.promise();

  /** Whether the classes {@link Health} needs (vertx-web, vertx-health-check) are on the class path. */
  static boolean healthAvailable() {
    try {
      Class.forName("io.vertx.ext.web.healthchecks.HealthCheckHandler", false, ProcessServices.class.getClassLoader());
      Class.forName("io.vertx.ext.healthchecks.HealthChecks", false, ProcessServices.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** Hazelcast logs through SLF4J unless told otherwise; call before any Hazelcast class reads it. */
  static void hazelcastLogsThroughSlf4j() {
    if (System.getProperty(HAZELCAST_LOGGING_PROPERTY) == null) {
      System.setProperty(HAZELCAST_LOGGING_PROPERTY, "slf4j");
    }
  }

  /** Checks the process settings read from the environment; returns the problem, or {@code null}. */
  static String checkSettings() {
    try {
      ManagementSettings.read(System.getenv(), System.getProperties());
      joinTimeoutSeconds(System.getenv(), System.getProperties());
      exitOnGiveUp(System.getenv(), System.getProperties());
      warmUpFailover(System.getenv(), System.getProperties());
      if (metricsEnabled(System.getenv(), System.getProperties()) && !metricsAvailable()) {
        return METRICS_PROPERTY + ": needs io.vertx:vertx-micrometer-metrics and "
          + "io.micrometer:micrometer-registry-prometheus on the class path (the fat jar has them)";
      }
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
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
    return flag(EXIT_ON_GIVE_UP_PROPERTY, true, env, properties);
  }

  /** Whether an HA node warms its failover path at start ({@link FailoverWarmUp}), from its property or variable. */
  static boolean warmUpFailover(Map<String, String> env, Properties properties) {
    return flag(FailoverWarmUp.PROPERTY, true, env, properties);
  }

  /** A true/false setting from its property, else its environment variable, else {@code fallback}. */
  private static boolean flag(String property, boolean fallback, Map<String, String> env, Properties properties) {
    String value = ManagementSettings.value(property, env, properties);
    if (value == null) {
      return fallback;
    }
    if (value.trim().equalsIgnoreCase("true") || value.trim().equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(value.trim());
    }
    throw new IllegalArgumentException(property + ": must be true or false, got '" + value + "'");
  }

  /** Whether the classes {@link MetricsSupport} needs are on the class path (checked without loading it). */
  static boolean metricsAvailable() {
    try {
      Class.forName("io.vertx.micrometer.MicrometerMetricsOptions", false, ProcessServices.class.getClassLoader());
      Class.forName("io.micrometer.prometheusmetrics.PrometheusMeterRegistry", false,
        ProcessServices.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /** Whether metrics are on, from {@value #METRICS_PROPERTY} or its variable (default off). */
  static boolean metricsEnabled(Map<String, String> env, Properties properties) {
    return flag(METRICS_PROPERTY, false, env, properties);
  }

  /** Before Vert.x starts: the bounded join when clustered, metrics when switched on. */
  void beforeStartingVertx(io.vertx.core.VertxOptions options, boolean clustered) {
    vertxOptions = options;
    if (clustered) {
      boundJoin();
    }
    if (metricsEnabled(System.getenv(), System.getProperties())) {
      MetricsSupport.enable(options);
    }
  }

  /** The Hazelcast cluster manager of a clustered start (exits with one line on a bad cluster setting). */
  HazelcastClusterManager clusterManager() {
    try {
      // Hazelcast takes no port range in a member: give it the members one by one.
      Properties properties = (Properties) System.getProperties().clone();
      properties.setProperty(ClusterConfig.MEMBERS, expandMembers(members()));
      clusterManager = ClusterConfig.clusterManager(System.getenv(), properties);
    } catch (IllegalArgumentException e) {
      fail(e.getMessage(), BAD_INPUT);
    }
    return clusterManager;
  }

  /** Vert.x's options, read once Vert.x runs (the legacy launcher sets HA after {@link #beforeStartingVertx}). */
  private volatile io.vertx.core.VertxOptions vertxOptions;

  /** The most ports one member's range may name. */
  static final int MAX_PORT_RANGE = 100;

  /** Checks the cluster members setting of a clustered start; returns the problem, or {@code null}. */
  static String checkMembers() {
    try {
      expandMembers(members());
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /**
   * The members, each {@code host}, {@code host:port} or {@code host:port-port} (an IPv6 address in brackets), with
   * ranges written out as one member per port.
   *
   * @throws IllegalArgumentException naming the setting and the member that is wrong
   */
  static String expandMembers(String members) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (String raw : members.split(",", -1)) {
      String member = raw.trim();
      java.util.regex.Matcher m = java.util.regex.Pattern
        .compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?)(?::(\\d{1,5})(?:-(\\d{1,5}))?)?")
        .matcher(member);
      if (!m.matches()) {
        throw badMember(member, "not host, host:port or host:port-port");
      }
      String host = m.group(1);
      if (m.group(3) == null) {
        out.add(host);
        continue;
      }
      int first = Integer.parseInt(m.group(3));
      int last = m.group(4) == null ? first : Integer.parseInt(m.group(4));
      if (first < 1 || last > 65535 || last < first) {
        throw badMember(member, "ports must be from 1 to 65535, the range low to high");
      }
      if (last - first + 1 > MAX_PORT_RANGE) {
        throw badMember(member, "a range may name at most " + MAX_PORT_RANGE + " ports");
      }
      for (int port = first; port <= last; port++) {
        out.add(host + ":" + port);
      }
    }
    return String.join(",", out);
  }

  private static IllegalArgumentException badMember(String member, String why) {
    return new IllegalArgumentException(ClusterConfig.MEMBERS + ": '" + member + "' " + why
      + " (comma-separated: host, host:port or host:port-port)");
  }

  /** A main verticle will be deployed: the endpoint's address is logged once it runs. */
  void expectMainVerticle() {
    deploysMainVerticle = true;
  }

  /** Starts the watchdog that ends a clustered start that has not joined in time. */
  void boundJoin() {
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

  /** One line for a failed join, and the exit. */
  static void joinFailed(Throwable cause) {
    LOG.debug("Failed to join the cluster", cause);
    fail("cluster: could not join (members: " + members() + "): " + rootMessage(cause), CLUSTER_JOIN_FAILED);
  }

  static String members() {
    String members = ManagementSettings.value(ClusterConfig.MEMBERS, System.getenv(), System.getProperties());
    return members != null ? members.trim() : "127.0.0.1";
  }

  /** Vert.x runs: the cluster view and claims when clustered, then the management endpoint (or one line and exit). */
  void vertxStarted(Vertx vertx) {
    started.countDown();
    ClusterView view = null;
    if (vertx.isClustered() && clusterManager != null) {
      // The leases are granted by Vert.x HA's quorum (-quorum), else by each node alone.
      ClusterClaims.install(vertx, clusterManager, vertxOptions != null && vertxOptions.isHAEnabled()
        ? vertxOptions.getQuorumSize() : 1);
      ClusterConnections.keepWarm(vertx, clusterManager);
      if (vertxOptions != null && vertxOptions.isHAEnabled() && warmUpFailover(System.getenv(), System.getProperties())) {
        FailoverWarmUp.start();
      }
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
    Health health = null;
    if (healthAvailable()) {
      health = Health.create(vertx);
      if (deploysMainVerticle) {
        health.pending(mainVerticle.future());
      }
    }
    io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest> metrics = null;
    if (metricsEnabled(System.getenv(), System.getProperties())) {
      metrics = MetricsSupport.bind(vertx);
    }
    try {
      String node = view != null ? view.nodeId() : "local";
      int port = ManagementServer.start(vertx, settings.host(), settings.port(), node, view, health, metrics)
        .await(30, TimeUnit.SECONDS).actualPort();
      managementAddress = "http://" + settings.host() + ":" + port + "/workers";
      if (view != null) {
        // Where operators reach this node: the management address, or the machine's cluster address when the
        // endpoint listens on loopback or every interface.
        String host = settings.host();
        if (host.equals("0.0.0.0") || host.equals("::") || host.startsWith("127.") || host.equals("localhost")
          || host.equals("::1") || host.equals("[::1]")) {
          host = clusterManager.getNodeInfo() != null ? clusterManager.getNodeInfo().host() : host;
        }
        NodeDirectory.publish(vertx, view.nodeId(), host, port);
      }
      if (!deploysMainVerticle) {
        // bare: nothing to deploy; the endpoint is what there is to see.
        LOG.info("Management endpoint on {}", managementAddress);
      }
    } catch (Exception e) {
      String line = "management endpoint " + settings.host() + ":" + settings.port() + ": " + rootMessage(e)
        + (cannotAssign(root(e))
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

  /**
   * The main verticle is deployed: logs where the management endpoint is, and exits when the supervisor of this
   * deployment gives up (unless {@value #EXIT_ON_GIVE_UP_PROPERTY} is {@code false}).
   */
  void mainDeployed(Vertx vertx, String deploymentId, DeploymentOptions options) {
    mainVerticle.tryComplete();
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
    Supervisor.listen(vertx, event -> {
      if ("undeployed".equals(event.getString("type")) && deploymentId.equals(event.getString("deployment"))
        && Boolean.TRUE.equals(event.getBoolean("gaveUp"))) {
        String line = "main deployment " + deploymentId + " of " + event.getString("verticle") + " gave up (more than "
          + supervisor.maxRestarts() + " crashes within " + supervisor.restartPeriodMs() + " ms); exiting with "
          + supervisor.exitCode() + " (-D" + EXIT_ON_GIVE_UP_PROPERTY + "=false keeps the process up)";
        vertx.close().onComplete(ar -> fail(line, supervisor.exitCode()));
      }
    });
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
}
