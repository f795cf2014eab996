package dev.vertxdomains.launcher;

import dev.vertxdomains.testing.JarProcess;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fat jar as a process: a supervised server from conf/, and each kind of bad input refused at once. */
class LauncherIT {

  private static final String HELLO = "dev.vertxdomains.examples.HelloServer";
  /** Runs that start Vert.x take any free management port, so that they never collide. */
  private static final List<String> ANY_MANAGEMENT_PORT = List.of("-Dvertx-domains.management.port=0");

  @TempDir
  Path dir;

  private JarProcess.Result run(List<String> javaOptions, String... args) throws Exception {
    List<String> options = new ArrayList<>(ANY_MANAGEMENT_PORT);
    options.addAll(javaOptions);
    return JarProcess.run(options, args);
  }

  private void assertRefused(JarProcess.Result run, String expected) {
    assertEquals(DomainsLauncher.BAD_INPUT, run.code(), run.output());
    assertTrue(run.output().contains("vertx-domains: " + expected), run.output());
  }

  @Test
  @DisplayName("unknown supervisor key: refused, naming the key and the allowed ones")
  void unknownKey() throws Exception {
    Path conf = Files.writeString(dir.resolve("c.json"), "{\"supervisor\": {\"killTimeout\": 5}}");
    assertRefused(run(List.of(), "run", HELLO, "-conf", conf.toString()),
      "supervisor.killTimeout from -conf: unknown key, allowed:");
  }

  @Test
  @DisplayName("wrong type and zero count: refused, naming the key")
  void wrongTypeAndZero() throws Exception {
    Path conf = Files.writeString(dir.resolve("c.json"), "{\"supervisor\": {\"maxRestarts\": \"many\"}}");
    assertRefused(run(List.of(), "run", HELLO, "-conf", conf.toString()), "supervisor.maxRestarts from -conf:");
    assertRefused(run(List.of(), "run", HELLO, "-instances", "0"), "-instances: must be an integer of at least 1");
    assertRefused(run(List.of("-Dvertx-domains.supervisor.killTimeoutMs=-5"), "run", HELLO),
      "supervisor.killTimeoutMs from -Dvertx-domains.supervisor.killTimeoutMs: must be at least 1, got -5");
  }

  @Test
  @DisplayName("missing and malformed conf files: refused")
  void badConfFiles() throws Exception {
    assertRefused(run(List.of(), "run", HELLO, "-conf", dir.resolve("absent.json").toString()),
      "-conf: no such file, and not a JSON object");
    Path broken = Files.writeString(dir.resolve("broken.json"), "{\"http.port\": 80");
    assertRefused(run(List.of(), "run", HELLO, "-conf", broken.toString()), "-conf: " + broken + " is not a JSON object");
  }

  /**
   * A failed start prints its one line and no stack trace at the default log level. Lines the supervisor logs about
   * the worker it tried to start are its own business (issue 15, point 6, supervisor half) and not counted here.
   */
  static void assertOneLineFailure(JarProcess.Result run, int code, String expected) {
    assertEquals(code, run.code(), run.output());
    List<String> lines = run.output().lines().filter(l -> !l.contains("dev.vertxdomains.supervisor.")
      && !l.contains("d.vertxdomains.supervisor.")).toList();
    assertEquals(1, lines.size(), "exactly one line besides the supervisor's:\n" + run.output());
    assertTrue(lines.get(0).startsWith("vertx-domains: " + expected), run.output());
    assertTrue(run.output().lines().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception:") && !l.contains(" - ")),
      "no stack trace:\n" + run.output());
  }

  @Test
  @DisplayName("unknown class, throwing constructor, failing start(), port in use, address not local: one line each, "
    + "no stack trace, deployment exit code")
  void deployFailures() throws Exception {
    assertOneLineFailure(run(List.of(), "run", "com.example.Nope"), DomainsLauncher.DEPLOY_FAILED,
      "could not deploy com.example.Nope: no such class com.example.Nope");
    assertOneLineFailure(JarProcess.runWithTestClasses(ANY_MANAGEMENT_PORT, "run",
        BadVerticles.ThrowingConstructor.class.getName()), DomainsLauncher.DEPLOY_FAILED,
      "could not deploy " + BadVerticles.ThrowingConstructor.class.getName() + ": constructor failed on purpose");
    assertOneLineFailure(JarProcess.runWithTestClasses(ANY_MANAGEMENT_PORT, "run",
        BadVerticles.FailingStart.class.getName()), DomainsLauncher.DEPLOY_FAILED,
      "could not deploy " + BadVerticles.FailingStart.class.getName() + ": start failed on purpose");
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      assertOneLineFailure(run(List.of(), "run", HELLO, "-conf",
          "{\"http.port\": " + taken.getLocalPort() + ", \"http.host\": \"127.0.0.1\"}"),
        DomainsLauncher.DEPLOY_FAILED, "could not deploy " + HELLO + ": port in use (Address already in use)");
    }
    // 192.0.2.0/24 is TEST-NET-1: never an address of this machine.
    assertOneLineFailure(run(List.of(), "run", HELLO, "-conf",
        "{\"http.port\": " + JarProcess.freePort() + ", \"http.host\": \"192.0.2.10\"}"),
      DomainsLauncher.DEPLOY_FAILED, "could not deploy " + HELLO + ": cannot listen on that address: it is not an "
        + "address of this machine");
  }

  @Test
  @DisplayName("command-line values Vert.x would take badly: one line, exit 2")
  void badCommandLines() throws Exception {
    assertOneLineFailure(run(List.of(), "run", HELLO, "-ha", "-quorum", "abc"), DomainsLauncher.BAD_INPUT,
      "-quorum: must be an integer of at least 1, got 'abc'");
    assertOneLineFailure(run(List.of(), "run", HELLO, "-ha", "-quorum", "0"), DomainsLauncher.BAD_INPUT,
      "-quorum: must be an integer of at least 1, got '0'");
    assertOneLineFailure(run(List.of(), "frobnicate"), DomainsLauncher.BAD_INPUT,
      "unknown command 'frobnicate', allowed: bare, list, run,");
    assertOneLineFailure(run(List.of(), "run", HELLO, "-options", "{\"eventLoopPoolSize\":-1}"),
      DomainsLauncher.BAD_INPUT, "-options: eventLoopPoolSize must be > 0");
    assertOneLineFailure(run(List.of(), "run", HELLO, "-cluster-port", "70000", "-cluster"), DomainsLauncher.BAD_INPUT,
      "-cluster-port: must be an integer from 0 to 65535, got '70000'");
    assertOneLineFailure(run(List.of(), "run", HELLO, "-hagroup", "g"), DomainsLauncher.BAD_INPUT,
      "run: The option -hagroup and -quorum requires -ha to be enabled");
    assertOneLineFailure(run(List.of(), "run"), DomainsLauncher.BAD_INPUT, "run: missing main-verticle");
    assertOneLineFailure(run(List.of(), "run", HELLO, "-instancs", "2"), DomainsLauncher.BAD_INPUT,
      "run: unknown option '-instancs'");
    assertOneLineFailure(run(List.of("-Dvertx-domains.supervisor.maxRestarts=2147483648"), "run", HELLO),
      DomainsLauncher.BAD_INPUT, "supervisor.maxRestarts from -Dvertx-domains.supervisor.maxRestarts: must be from 0 to 2147483647, got 2147483648");
    assertOneLineFailure(run(List.of("-Dvertx-domains.supervisor.exitCode=4294967366"), "run", HELLO),
      DomainsLauncher.BAD_INPUT, "supervisor.exitCode from -Dvertx-domains.supervisor.exitCode: must be from 1 to 255, got 4294967366");
  }

  @Test
  @DisplayName("a cluster member that accepts connections and never answers (a hung node): one line after the "
    + "documented join timeout, non-zero exit")
  void unreachableClusterMembers() throws Exception {
    // Listening, never accepting: the TCP handshake completes from the backlog and Hazelcast's join waits for an
    // answer that never comes (without the bound: about 5 minutes, hazelcast.max.join.seconds).
    try (ServerSocket hung = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      String member = "127.0.0.1:" + hung.getLocalPort();
      for (String command : new String[] {"bare", "run"}) {
        List<String> args = command.equals("bare") ? List.of("bare") : List.of("run", HELLO, "-cluster");
        long start = System.nanoTime();
        JarProcess.Result run = run(List.of("-Dvertx-domains.cluster.members=" + member,
          "-Dvertx-domains.cluster.port=" + JarProcess.freePort(), "-Dvertx-domains.cluster.join-timeout-seconds=5"),
          args.toArray(String[]::new));
        long seconds = java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertEquals(DomainsLauncher.CLUSTER_JOIN_FAILED, run.code(), command + ": " + run.output());
        assertTrue(run.output().contains("vertx-domains: cluster: could not join within 5 s (members: " + member + ")"),
          run.output());
        assertTrue(seconds < 40, command + " took " + seconds + " s");
        assertTrue(run.output().lines().noneMatch(l -> l.startsWith("\tat ")), run.output());
        // The fat jar's manifest opens what Hazelcast wants, and Hazelcast logs through SLF4J (no JUL lines).
        assertTrue(run.output().lines().noneMatch(l -> l.contains("--add-opens") || l.startsWith("WARNING:")
          || l.contains("com.hazelcast.instance.impl.HazelcastInstanceFactory")), run.output());
      }
    }
  }

  @Test
  @DisplayName("cluster members: a port range works (Hazelcast takes none), a malformed member is one line, exit 2")
  void memberForms() throws Exception {
    assertOneLineFailure(run(List.of("-Dvertx-domains.cluster.members=127.0.0.1:5701-57o3"), "bare"),
      DomainsLauncher.BAD_INPUT, "vertx-domains.cluster.members: '127.0.0.1:5701-57o3' not host, host:port or "
        + "host:port-port");
    int port = JarProcess.freePort();
    int management = JarProcess.freePort();
    try (JarProcess node = JarProcess.start("range", List.of("-Dvertx-domains.management.port=" + management,
      "-Dvertx-domains.cluster.port=" + port, "-Dvertx-domains.cluster.members=127.0.0.1:" + port + "-" + (port + 2)),
      "bare", "-cluster-host", "127.0.0.1")) {
      node.awaitLine("Management endpoint on", 90);
      JarProcess.awaitJson(management, "/workers?scope=cluster", json -> "cluster".equals(json.getString("scope")),
        "the cluster view");
      assertTrue(node.output().lines().noneMatch(l -> l.contains("NumberFormatException")), node.output());
      // A bare node is an HA standby: it warms its failover path once, on a private instance, in one line.
      node.awaitLine("Warmed the failover path in", 60);
      JarProcess.awaitJson(management, "/workers", json -> json.getJsonArray("workers") != null
        && json.getJsonArray("workers").isEmpty(), "no worker on the standby");
    }
  }

  @Test
  @DisplayName("the main deployment gives up (giveUp: stop): the process exits with the deployment's exitCode, "
    + "or stays up with -Dvertx-domains.exit-on-give-up=false")
  void mainDeploymentGivesUp() throws Exception {
    String crashes = BadVerticles.CrashesAfterStart.class.getName();
    List<String> intensity = List.of("-Dvertx-domains.management.port=0", "-Dvertx-domains.supervisor.maxRestarts=1",
      "-Dvertx-domains.supervisor.backoffMinMs=10");
    JarProcess.Result exits = JarProcess.runWithTestClasses(intensity, "run", crashes);
    assertEquals(70, exits.code(), exits.output());
    assertTrue(exits.output().contains("vertx-domains: main deployment 1 of " + crashes + " gave up (more than 1 "
      + "crashes within 60000 ms); exiting with 70"), exits.output());

    JarProcess.Result own = JarProcess.runWithTestClasses(intensity, "run", crashes, "-conf",
      "{\"supervisor\": {\"exitCode\": 42}}");
    assertEquals(42, own.code(), own.output());

    int management = JarProcess.freePort();
    List<String> stay = new ArrayList<>(intensity);
    stay.add("-Dvertx-domains.exit-on-give-up=false");
    stay.add("-Dvertx-domains.management.port=" + management);
    try (JarProcess process = JarProcess.startWithTestClasses("stays", stay, "run", crashes)) {
      process.awaitLine("gave up", 60);
      // Up after giving up: the management endpoint still answers.
      JarProcess.awaitJson(management, "/workers", json -> json.containsKey("workers"), "the workers list");
      assertTrue(process.isAlive(), process.output());
    }
  }

  @Test
  @DisplayName("bad management port setting, and management port in use: refused, naming the property")
  void managementPort() throws Exception {
    assertRefused(JarProcess.run(List.of("-Dvertx-domains.management.port=http"), "run", HELLO),
      "vertx-domains.management.port: must be a port from 0 to 65535");
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      JarProcess.Result inUse = JarProcess.run(List.of("-Dvertx-domains.management.port=" + taken.getLocalPort()),
        "run", HELLO, "-conf", "{\"http.port\": " + JarProcess.freePort() + ", \"http.host\": \"127.0.0.1\"}");
      assertRefused(inUse, "management endpoint 127.0.0.1:" + taken.getLocalPort() + ": port in use");
    }
    assertRefused(JarProcess.run(List.of("-Dvertx-domains.metrics=yes"), "run", HELLO),
      "vertx-domains.metrics: must be true or false, got 'yes'");
    assertRefused(JarProcess.run(List.of("-Dvertx-domains.management.host=192.0.2.10"), "run", HELLO),
      "management endpoint 192.0.2.10:9191: cannot listen on that address: it is not an address of this machine");
    JarProcess.Result nobody = JarProcess.run(List.of(), "list", "-port", Integer.toString(JarProcess.freePort()));
    assertEquals(ListCommand.UNREACHABLE, nobody.code(), nobody.output());
    assertTrue(nobody.output().contains("vertx-domains: no vertx-domains process answers on 127.0.0.1:"),
      nobody.output());
  }

  /** The thin library jar and its run-time dependencies (written by the build), without the fat jar. */
  private static String thinClassPath() throws Exception {
    Path thin = Path.of(System.getProperty("thin.jar.path", "target/vertx-domains-0.1.0-SNAPSHOT.jar"));
    Path deps = Path.of(System.getProperty("thin.classpath.file", "target/runtime-classpath.txt"));
    assertTrue(Files.isRegularFile(thin), "no thin jar at " + thin);
    try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(thin.toFile())) {
      assertEquals(null, jar.getEntry("logback.xml"), "the library jar carries no logging configuration");
      assertEquals(null, jar.getEntry("io/vertx/core/Vertx.class"), "the library jar carries no Vert.x");
    }
    // Without the optional dependencies a non-clustered, non-vertx-web run does not need: they are optional.
    String dependencies = java.util.Arrays.stream(Files.readString(deps).trim().split(java.io.File.pathSeparator))
      .filter(jar -> !jar.contains("hazelcast") && !jar.contains("vertx-web") && !jar.contains("vertx-auth")
        && !jar.contains("vertx-bridge"))
      .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    return thin.toAbsolutePath() + java.io.File.pathSeparator + dependencies;
  }

  @Test
  @DisplayName("thin class path (java -cp thin jar + dependencies, without the fat jar's manifest, Hazelcast or "
    + "vertx-web): a verticle named without a prefix is supervised, java: is not")
  void thinClassPathSupervisesByDefault() throws Exception {
    String classPath = thinClassPath();
    for (String name : new String[] {HELLO, "java:" + HELLO}) {
      int management = JarProcess.freePort();
      try (JarProcess process = JarProcess.startClassPath("thin", classPath,
        List.of("-Dvertx-domains.management.port=" + management), "run", name, "-conf",
        "{\"http.port\": " + JarProcess.freePort() + ", \"http.host\": \"127.0.0.1\"}")) {
        process.awaitLine("Succeeded in deploying verticle", 60);
        io.vertx.core.json.JsonArray workers = JarProcess.awaitJson(management, "/workers", json -> true,
          "the workers list").getJsonArray("workers");
        if (name.startsWith("java:")) {
          assertEquals(0, workers.size(), workers.encodePrettily());
        } else {
          assertEquals(1, workers.size(), workers.encodePrettily());
          assertEquals(HELLO, workers.getJsonObject(0).getString("verticle"), workers.encodePrettily());
          assertEquals("running", workers.getJsonObject(0).getString("state"), workers.encodePrettily());
        }
      }
    }
  }

  @Test
  @DisplayName("the quick start: HelloServer supervised with 2 instances; /error recycles a worker, seen in the log "
    + "and in list; / answers 200")
  void runsSupervisedServer() throws Exception {
    int port = JarProcess.freePort();
    int management = JarProcess.freePort();
    Path conf = Files.writeString(dir.resolve("hello.json"),
      "{\"http.port\": " + port + ", \"http.host\": \"127.0.0.1\", \"supervisor\": {\"killTimeoutMs\": 2000}}");
    try (JarProcess process = JarProcess.start("hello", List.of("-Dvertx-domains.management.port=" + management,
      "-Dvertx-domains.metrics=true"), "run", HELLO, "-instances", "2", "-conf", conf.toString())) {
      process.awaitLine("Succeeded in deploying verticle", 60);
      // Health on the management endpoint: live, and ready once both workers run.
      JarProcess.awaitJson(management, "/health/live", json -> "UP".equals(json.getString("status")), "liveness");
      JarProcess.awaitJson(management, "/health/ready", json -> "UP".equals(json.getString("status")), "readiness");
      JarProcess.Result before = JarProcess.run(List.of(), "list", "-port", Integer.toString(management));
      assertEquals(0, before.code(), before.output());
      List<String> rows = before.output().lines().toList();
      assertTrue(rows.get(0).matches("DEPLOYMENT +WORKER +NODE +STATE +RESTARTS +UPTIME +LAST ERROR"), before.output());
      assertTrue(rows.get(1).startsWith("1 HelloServer "), before.output());
      assertEquals(2, rows.stream().filter(r -> r.contains(" running ")).count(), before.output());

      // HTTP/1.1: the JDK client would otherwise upgrade to h2c, whose drain (GOAWAY) is not covered yet.
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
      URI base = URI.create("http://127.0.0.1:" + port);
      assertEquals(500, http.send(HttpRequest.newBuilder(base.resolve("/error")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
      process.awaitLine("Recycling worker", 30);
      HttpResponse<String> ok = http.send(HttpRequest.newBuilder(base.resolve("/")).build(),
        HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode());
      assertEquals("ok", ok.body());

      // Metrics (the switch is on): Prometheus text on the management endpoint, the supervisor's meters in it.
      URI metrics = URI.create("http://127.0.0.1:" + management + "/metrics");
      String recycles = "vertx_domains_recycles_total{verticle=\"" + HELLO + "\"} 1.0";
      String scraped = "";
      for (long deadline = System.nanoTime() + 30_000_000_000L; System.nanoTime() < deadline; ) {
        scraped = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
        if (scraped.contains(recycles)) {
          break;
        }
        Thread.sleep(100); // polling another process's scrape endpoint, bounded
      }
      assertTrue(scraped.contains(recycles), scraped);
      assertTrue(scraped.contains("vertx_domains_workers{state=\"running\"} 2.0"), scraped);
      // The default log pattern prints MDC fields only where they are set.
      assertTrue(process.output().lines().noneMatch(l -> l.contains("deployment= ") || l.contains("worker= ")
        || l.contains("domain= ")), process.output());
      assertTrue(process.output().lines().anyMatch(l -> l.contains("Recycling worker") && l.contains(" deployment=1 ")
        && l.contains(" worker=1/")), process.output());
      JarProcess.Result after = JarProcess.run(List.of(), "list", "-port", Integer.toString(management));
      assertEquals(0, after.code(), after.output());
      assertTrue(after.output().lines().anyMatch(r -> r.matches(".*#2 +local +running +1 .*GET /error: a timer failed")),
        "the recycled worker: second generation, one restart, the error that caused it:\n" + after.output());
    }
  }
}
