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
      "supervisor.killTimeout: unknown key, allowed:");
  }

  @Test
  @DisplayName("wrong type and zero count: refused, naming the key")
  void wrongTypeAndZero() throws Exception {
    Path conf = Files.writeString(dir.resolve("c.json"), "{\"supervisor\": {\"maxRestarts\": \"many\"}}");
    assertRefused(run(List.of(), "run", HELLO, "-conf", conf.toString()), "supervisor.maxRestarts:");
    assertRefused(run(List.of(), "run", HELLO, "-instances", "0"), "-instances: must be an integer of at least 1");
    assertRefused(run(List.of("-Dvertx-domains.supervisor.killTimeoutMs=-5"), "run", HELLO),
      "supervisor.killTimeoutMs:");
  }

  @Test
  @DisplayName("missing and malformed conf files: refused")
  void badConfFiles() throws Exception {
    assertRefused(run(List.of(), "run", HELLO, "-conf", dir.resolve("absent.json").toString()),
      "-conf: no such file, and not a JSON object");
    Path broken = Files.writeString(dir.resolve("broken.json"), "{\"http.port\": 80");
    assertRefused(run(List.of(), "run", HELLO, "-conf", broken.toString()), "-conf: " + broken + " is not a JSON object");
  }

  @Test
  @DisplayName("unknown verticle and port in use: one line, deployment exit code")
  void deployFailures() throws Exception {
    JarProcess.Result unknown = run(List.of(), "run", "com.example.Nope");
    assertEquals(DomainsLauncher.DEPLOY_FAILED, unknown.code(), unknown.output());
    assertTrue(unknown.output().contains("vertx-domains: could not deploy"), unknown.output());
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      JarProcess.Result inUse = run(List.of(), "run", HELLO, "-conf",
        "{\"http.port\": " + taken.getLocalPort() + ", \"http.host\": \"127.0.0.1\"}");
      assertEquals(DomainsLauncher.DEPLOY_FAILED, inUse.code(), inUse.output());
      assertTrue(inUse.output().contains("port in use"), inUse.output());
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
    JarProcess.Result nobody = JarProcess.run(List.of(), "list", "-port", Integer.toString(JarProcess.freePort()));
    assertEquals(ListCommand.UNREACHABLE, nobody.code(), nobody.output());
    assertTrue(nobody.output().contains("vertx-domains: no vertx-domains process answers on 127.0.0.1:"),
      nobody.output());
  }

  @Test
  @DisplayName("the quick start: HelloServer supervised with 2 instances; /error recycles a worker, seen in the log "
    + "and in list; / answers 200")
  void runsSupervisedServer() throws Exception {
    int port = JarProcess.freePort();
    int management = JarProcess.freePort();
    Path conf = Files.writeString(dir.resolve("hello.json"),
      "{\"http.port\": " + port + ", \"http.host\": \"127.0.0.1\", \"supervisor\": {\"killTimeoutMs\": 2000}}");
    try (JarProcess process = JarProcess.start("hello", List.of("-Dvertx-domains.management.port=" + management),
      "run", HELLO, "-instances", "2", "-conf", conf.toString())) {
      process.awaitLine("Succeeded in deploying verticle", 60);
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

      JarProcess.Result after = JarProcess.run(List.of(), "list", "-port", Integer.toString(management));
      assertEquals(0, after.code(), after.output());
      assertTrue(after.output().lines().anyMatch(r -> r.matches(".*#2 +local +running +1 .*GET /error: a timer failed")),
        "the recycled worker: second generation, one restart, the error that caused it:\n" + after.output());
    }
  }
}
