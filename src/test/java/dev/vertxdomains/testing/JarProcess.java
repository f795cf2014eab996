package dev.vertxdomains.testing;

import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** The fat jar running as a separate JVM, its output recorded line by line. */
public final class JarProcess implements AutoCloseable {

  /** The jar under test (set by failsafe). */
  public static final String JAR = System.getProperty("jar.path", "target/vertx-domains.jar");

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(5)).build();

  private final String name;
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private JarProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          synchronized (lines) {
            lines.add(line);
            lines.notifyAll();
          }
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, "output-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** The java command line for the jar: this JVM's java, the options, {@code -jar}, the arguments. */
  public static List<String> command(List<String> javaOptions, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(javaOptions);
    command.add("-jar");
    command.add(Path.of(JAR).toAbsolutePath().toString());
    command.addAll(args);
    return command;
  }

  /**
   * Starts the jar's launcher with this project's test classes on the class path too (for test verticles).
   */
  public static JarProcess startWithTestClasses(String name, List<String> javaOptions, String... args)
    throws IOException {
    return startClassPath(name, jarAndTestClasses(), javaOptions, args);
  }

  /** Starts the launcher ({@code DomainsLauncher}) on the given class path; stdout and stderr are recorded together. */
  public static JarProcess startClassPath(String name, String classPath, List<String> javaOptions, String... args)
    throws IOException {
    return new JarProcess(name, new ProcessBuilder(classPathCommand(classPath, javaOptions, List.of(args)))
      .redirectErrorStream(true).start());
  }

  /**
   * Starts any command (a java command line); stdout and stderr are recorded together. With a prefix that execs its
   * command ({@code ip netns exec NS}, see {@code Netns.exec}), the process is the java process itself.
   */
  public static JarProcess startCommand(String name, List<String> command) throws IOException {
    return new JarProcess(name, new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  /** Whether the process is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Waits for the process to exit (at most {@code seconds}); returns its exit code. */
  public int awaitExit(int seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      throw new AssertionError(name + ": still running after " + seconds + " s:\n" + output());
    }
    return process.exitValue();
  }

  /** Starts the jar; stdout and stderr are recorded together. */
  public static JarProcess start(String name, List<String> javaOptions, String... args) throws IOException {
    Process process = new ProcessBuilder(command(javaOptions, List.of(args))).redirectErrorStream(true).start();
    return new JarProcess(name, process);
  }

  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The first port the kernel hands to outgoing connections (Linux: ip_local_port_range); below it, none does. */
  private static final int EPHEMERAL_LOW = ephemeralLow();
  private static final int FIRST_PORT = 10_000;
  private static final java.util.concurrent.atomic.AtomicInteger NEXT = new java.util.concurrent.atomic.AtomicInteger(
    new java.util.Random().nextInt(Math.max(1, EPHEMERAL_LOW - FIRST_PORT)));

  /**
   * A port free at the time of the call and never handed out before in this JVM. Ports are chosen before the
   * processes that bind them start, so they come from below the kernel's ephemeral range: a port from that range (the
   * kernel's own pick for port 0) can be taken meanwhile by any outgoing connection (seen: a node's management port
   * was another node's Hazelcast port, and once an outgoing connection's). Where the range is unknown, the kernel picks.
   */
  public static int freePort() throws IOException {
    int span = EPHEMERAL_LOW - FIRST_PORT;
    for (int i = 0; i < span; i++) {
      int port = FIRST_PORT + Math.floorMod(NEXT.getAndIncrement(), span);
      if (!HANDED_OUT.contains(port) && bindable(port) && HANDED_OUT.add(port)) {
        return port;
      }
    }
    while (true) {
      try (ServerSocket socket = new ServerSocket(0)) {
        if (HANDED_OUT.add(socket.getLocalPort())) {
          return socket.getLocalPort();
        }
      }
    }
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket(port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int ephemeralLow() {
    try {
      // read as a stream: a /proc file reports size 0, and a read by size returns a part of it
      try (java.io.BufferedReader in = java.nio.file.Files.newBufferedReader(
        java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
        return Integer.parseInt(in.readLine().trim().split("\\s+")[0]);
      }
    } catch (IOException | RuntimeException e) {
      return FIRST_PORT; // unknown: the kernel picks
    }
  }

  /** Waits for an output line containing {@code text} (at most {@code seconds}); returns it. */
  public String awaitLine(String text, int seconds) throws InterruptedException {
    return awaitLine(line -> line.contains(text), "containing '" + text + "'", seconds);
  }

  /** Waits until {@code count} output lines contain {@code text} (at most {@code seconds}). */
  public void awaitLines(String text, int count, int seconds) throws InterruptedException {
    int seen = 0;
    int mark = 0;
    while (seen < count) {
      awaitLine(mark, line -> line.contains(text), "number " + (seen + 1) + " containing '" + text + "'", seconds);
      synchronized (lines) {
        seen = 0;
        for (String line : lines) {
          if (line.contains(text)) {
            seen++;
          }
        }
        mark = lines.size();
      }
    }
  }

  /** Waits for an output line matching; returns it. */
  public String awaitLine(Predicate<String> match, String what, int seconds) throws InterruptedException {
    return awaitLine(0, match, what, seconds);
  }

  /** How many lines have been printed so far: a mark for {@link #awaitLine(int, Predicate, String, int)}. */
  public int mark() {
    return lines.size();
  }

  /** Waits for a matching output line printed after {@code mark}; returns it. */
  public String awaitLine(int mark, Predicate<String> match, String what, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    int seen = mark;
    synchronized (lines) {
      while (true) {
        for (; seen < lines.size(); seen++) {
          if (match.test(lines.get(seen))) {
            return lines.get(seen);
          }
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0 || (!process.isAlive() && seen == lines.size())) {
          throw new AssertionError(name + ": no line " + what + " within " + seconds + " s:\n" + output());
        }
        lines.wait(Math.min(left, 200));
      }
    }
  }

  /** The name given at start. */
  public String name() {
    return name;
  }

  /** Everything printed so far. */
  public String output() {
    return String.join("\n", lines);
  }

  /** The OS process. */
  public Process process() {
    return process;
  }

  /** Sends a signal ({@code STOP}, {@code CONT}, {@code KILL}) with {@code kill}. */
  public void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
    }
  }

  /** GETs a management endpoint's JSON. */
  public static JsonObject getJson(int port, String pathAndQuery) throws IOException, InterruptedException {
    return getJson("127.0.0.1", port, pathAndQuery);
  }

  /** GETs the JSON of a management endpoint on {@code host} (an endpoint bound to that address). */
  public static JsonObject getJson(String host, int port, String pathAndQuery)
    throws IOException, InterruptedException {
    return getJson(host, port, pathAndQuery, Duration.ofSeconds(10));
  }

  /** As {@link #getJson(String, int, String)}, failing with an {@link IOException} after {@code timeout}. */
  public static JsonObject getJson(String host, int port, String pathAndQuery, Duration timeout)
    throws IOException, InterruptedException {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port
      + pathAndQuery)).timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode() + ": " + response.body());
    }
    return new JsonObject(response.body());
  }

  /**
   * Polls a management endpoint (a process has no event to wait on) until its JSON matches, for at most 60 s; an
   * endpoint not answering yet counts as not matching. Returns the matching answer.
   */
  public static JsonObject awaitJson(int port, String pathAndQuery, Predicate<JsonObject> match, String what)
    throws InterruptedException {
    return awaitJson("127.0.0.1", port, pathAndQuery, match, what, 60);
  }

  /** As {@link #awaitJson(int, String, Predicate, String)}, on {@code host}, for at most {@code seconds}. */
  public static JsonObject awaitJson(String host, int port, String pathAndQuery, Predicate<JsonObject> match,
                                     String what, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    JsonObject last = null;
    Exception error = null;
    while (System.nanoTime() < deadline) {
      try {
        last = getJson(host, port, pathAndQuery, Duration.ofSeconds(5));
        if (match.test(last)) {
          return last;
        }
      } catch (IOException e) {
        error = e; // not up yet
      }
      Thread.sleep(200);
    }
    throw new AssertionError(what + " on " + host + ":" + port + " never matched within " + seconds + " s; last: "
      + last, error);
  }

  /** The java command line for the launcher on a class path: this JVM's java, the options, {@code -cp}, the arguments. */
  public static List<String> classPathCommand(String classPath, List<String> javaOptions, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(javaOptions);
    command.add("-cp");
    command.add(classPath);
    command.add("dev.vertxdomains.launcher.DomainsLauncher");
    command.addAll(args);
    return command;
  }

  /**
   * The java command line for a main class: this JVM's java, the options, {@code -cp}, the class, the arguments.
   * Put {@code Netns.exec(i)} in front to run it in a network namespace and start it with {@link #startCommand}.
   */
  public static List<String> mainCommand(String classPath, List<String> javaOptions, String mainClass,
                                         List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(javaOptions);
    command.add("-cp");
    command.add(classPath);
    command.add(mainClass);
    command.addAll(args);
    return command;
  }

  /** The fat jar and this project's test classes (for test verticles), as a class path. */
  public static String jarAndTestClasses() {
    return Path.of(JAR).toAbsolutePath() + java.io.File.pathSeparator + Path.of("target", "test-classes")
      .toAbsolutePath();
  }

  /** Runs the jar to its exit (at most 60 s); returns exit code and output. */
  public static Result run(List<String> javaOptions, String... args) throws IOException, InterruptedException {
    return run(command(javaOptions, List.of(args)));
  }

  /** Runs the launcher on the fat jar plus the test classes to its exit (at most 60 s). */
  public static Result runWithTestClasses(List<String> javaOptions, String... args)
    throws IOException, InterruptedException {
    return run(classPathCommand(jarAndTestClasses(), javaOptions, List.of(args)));
  }

  /** Runs a command to its exit (at most 60 s); returns exit code and output (stdout and stderr together). */
  public static Result run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[][] out = new byte[1][];
    Thread reader = new Thread(() -> {
      try {
        out[0] = process.getInputStream().readAllBytes();
      } catch (IOException e) {
        out[0] = new byte[0];
      }
    });
    reader.start();
    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    reader.join(10_000);
    String output = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
    if (!exited) {
      throw new AssertionError("the process did not exit by itself within 60 s: " + output);
    }
    return new Result(process.exitValue(), output);
  }

  /** A finished run. */
  public record Result(int code, String output) {
  }

  /** Stops the process (SIGTERM, then SIGKILL after 20 s). */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
