package dev.vertxdomains.launcher;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fat jar as a process: a supervised server from conf/, and each kind of bad input refused at once. */
class LauncherIT {

  private static final String JAR = System.getProperty("jar.path", "target/vertx-domains.jar");
  private static final String HELLO = "dev.vertxdomains.examples.HelloServer";

  @TempDir
  Path dir;

  static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Runs the jar to its exit (at most 60 s); returns its exit code and output. */
  record Run(int code, String output) {
  }

  private Run run(List<String> javaOptions, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(javaOptions);
    command.add("-jar");
    command.add(Path.of(JAR).toAbsolutePath().toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(exited, "the process must exit by itself on bad input: " + output);
    return new Run(process.exitValue(), output);
  }

  private void assertRefused(Run run, String expected) {
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
    Run unknown = run(List.of(), "run", "com.example.Nope");
    assertEquals(DomainsLauncher.DEPLOY_FAILED, unknown.code(), unknown.output());
    assertTrue(unknown.output().contains("vertx-domains: could not deploy"), unknown.output());
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Run inUse = run(List.of(), "run", HELLO, "-conf",
        "{\"http.port\": " + taken.getLocalPort() + ", \"http.host\": \"127.0.0.1\"}");
      assertEquals(DomainsLauncher.DEPLOY_FAILED, inUse.code(), inUse.output());
      assertTrue(inUse.output().contains("port in use"), inUse.output());
    }
  }

  @Test
  @DisplayName("run HelloServer (supervised by default) with -conf: /crash answers 500, the worker recycles, / answers 200")
  void runsSupervisedServer() throws Exception {
    int port = freePort();
    Path conf = Files.writeString(dir.resolve("hello.json"),
      "{\"http.port\": " + port + ", \"http.host\": \"127.0.0.1\", \"supervisor\": {\"killTimeoutMs\": 2000}}");
    List<String> command = List.of(ProcessHandle.current().info().command().orElse("java"), "-jar",
      Path.of(JAR).toAbsolutePath().toString(), "run", HELLO, "-instances", "2", "-conf", conf.toString());
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (Exception ignored) {
        // the process ended
      }
    });
    reader.start();
    try {
      awaitLine(lines, "Succeeded in deploying verticle");
      // HTTP/1.1: the JDK client would otherwise upgrade to h2c, whose drain (GOAWAY) is not covered yet.
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
      URI base = URI.create("http://127.0.0.1:" + port);
      assertEquals(500, http.send(HttpRequest.newBuilder(base.resolve("/crash")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode());
      awaitLine(lines, "Recycling worker");
      HttpResponse<String> ok = http.send(HttpRequest.newBuilder(base.resolve("/")).build(),
        HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode());
      assertEquals("ok", ok.body());
    } finally {
      process.destroy();
      process.waitFor(30, TimeUnit.SECONDS);
      process.destroyForcibly();
    }
  }

  private static void awaitLine(BlockingQueue<String> lines, String text) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    List<String> seen = new ArrayList<>();
    while (System.nanoTime() < deadline) {
      String line = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      if (line == null) {
        break;
      }
      seen.add(line);
      if (line.contains(text)) {
        return;
      }
    }
    throw new AssertionError("no line containing '" + text + "' within 30 s: " + seen);
  }
}
