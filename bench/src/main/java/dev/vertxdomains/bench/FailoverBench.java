package dev.vertxdomains.bench;

import dev.vertxdomains.cluster.ClusterConfig;
import dev.vertxdomains.cluster.ClusterConnections;
import dev.vertxdomains.eventbus.IdempotentCalls;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Failover: a fresh three-member cluster per trial on 127.0.0.1 (node A runs WorkService supervised with -ha, node B
 * is bare, this JVM is the client); while the client sends a request every 10 ms, A is killed with SIGKILL; the
 * unavailability window is from the last answer before the kill to the first after, and the failed requests are those
 * (sent every 10 ms, 1 s timeout) that got no answer around the kill. Beside each of those requests the client sends
 * one with the callers' opt-in for idempotent requests ({@link IdempotentCalls}, 250 ms per send): how many of those
 * failed, and the longest any of them waited. Args: the fat jar, trials.
 */
public final class FailoverBench {

  private FailoverBench() {
  }

  /**
   * Runs the trials and prints the result.
   *
   * @param args the fat jar's path, the number of trials
   */
  public static void main(String[] args) throws Exception {
    String jar = Path.of(args[0]).toAbsolutePath().toString();
    int trials = Integer.parseInt(args[1]);
    double[] windows = new double[trials];
    double[] failures = new double[trials];
    double[] retriedFailures = new double[trials];
    double[] retriedWaits = new double[trials];
    // Each node's output goes to <bench.logs>/failover-<cluster>-<A|B>.log
    for (int t = 0; t < trials; t++) {
      try {
        double[] result = trial(jar);
        windows[t] = result[0];
        failures[t] = result[1];
        retriedFailures[t] = result[2];
        retriedWaits[t] = result[3];
      } catch (Exception e) {
        e.printStackTrace();
        throw e;
      }
      System.err.printf("failover trial %d: %.0f ms, %.0f failed requests; with the opt-in %.0f failed, the longest "
        + "wait %.0f ms%n", t + 1, windows[t], failures[t], retriedFailures[t], retriedWaits[t]);
    }
    Results.print("failover", "trials", trials, "median_ms", Results.percentile(windows, 50),
      "max_ms", Results.percentile(windows, 100), "median_failed", Results.percentile(failures, 50),
      "max_failed", Results.percentile(failures, 100), "retried_max_failed", Results.percentile(retriedFailures, 100),
      "retried_median_wait_ms", Results.percentile(retriedWaits, 50),
      "retried_max_wait_ms", Results.percentile(retriedWaits, 100));
  }

  /** One trial: the unavailability window in ms, and how many requests failed. */
  private static double[] trial(String jar) throws Exception {
    String name = "bench-" + UUID.randomUUID();
    int[] ports = {freePort(), freePort(), freePort()};
    String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2];
    List<Process> nodes = new ArrayList<>();
    Vertx client = null;
    try {
      CountDownLatch deployed = new CountDownLatch(1);
      CountDownLatch bareReady = new CountDownLatch(1);
      nodes.add(start(jar, name, members, ports[0], deployed, "Succeeded in deploying verticle", "run", "dev.vertxdomains.examples.WorkService",
        "-ha", "-instances", "2", "-conf", "{\"address\": \"bench.work\"}", "-cluster-host", "127.0.0.1"));
      nodes.add(start(jar, name, members, ports[1], bareReady, "Management endpoint", "bare", "-cluster-host",
        "127.0.0.1"));
      if (!deployed.await(120, TimeUnit.SECONDS) || !bareReady.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("node A did not deploy WorkService, or node B did not start");
      }
      Properties properties = new Properties();
      properties.setProperty(ClusterConfig.NAME, name);
      properties.setProperty(ClusterConfig.MEMBERS, members);
      properties.setProperty(ClusterConfig.PORT, Integer.toString(ports[2]));
      VertxOptions options = new VertxOptions();
      options.getEventBusOptions().setHost("127.0.0.1");
      io.vertx.spi.cluster.hazelcast.HazelcastClusterManager manager =
        ClusterConfig.clusterManager(System.getenv(), properties);
      client = Vertx.builder().with(options).withClusterManager(manager).buildClustered()
        .await(120, TimeUnit.SECONDS);
      // What an application that joins the cluster by itself does to reach a failed-over service at once.
      ClusterConnections.keepWarm(client, manager).await(30, TimeUnit.SECONDS);
      Vertx c = client;
      List<Long> answers = new CopyOnWriteArrayList<>();
      long[] killedAt = {Long.MAX_VALUE};
      Promise<Void> warm = Promise.promise();
      Promise<Void> back = Promise.promise();
      List<Long> answersAfter = new CopyOnWriteArrayList<>();
      java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
      IdempotentCalls retries = IdempotentCalls.of(client);
      java.util.concurrent.atomic.AtomicInteger retriedOpen = new java.util.concurrent.atomic.AtomicInteger();
      List<io.vertx.core.Future<?>> retried = new CopyOnWriteArrayList<>();
      java.util.concurrent.atomic.AtomicInteger retriedFailed = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicLong retriedWait = new java.util.concurrent.atomic.AtomicLong();
      long timer = client.setPeriodic(10, id -> {
        long sent = System.nanoTime();
        retriedOpen.incrementAndGet();
        // A short send timeout: a call sent to the node as it dies waits that long before its retry.
        retried.add(retries.request("bench.work", "ok", new DeliveryOptions().setSendTimeout(250)).onComplete(ar -> {
          if (ar.failed() && killedAt[0] != Long.MAX_VALUE) {
            retriedFailed.incrementAndGet();
          }
          retriedWait.accumulateAndGet(System.nanoTime() - sent, Math::max);
          retriedOpen.decrementAndGet();
        }));
        c.eventBus().request("bench.work", "ok", new DeliveryOptions().setSendTimeout(1000)).onFailure(err -> {
          if (killedAt[0] != Long.MAX_VALUE) {
            failed.incrementAndGet();
          }
        }).onSuccess(reply -> {
          long now = System.nanoTime();
          answers.add(now);
          if (answers.size() >= 20) {
            warm.tryComplete();
          }
          if (sent > killedAt[0]) {
            // only a request sent after the kill proves the service is back (a reply already on its way does not)
            answersAfter.add(now);
            back.tryComplete();
          }
        });
      });
      warm.future().await(60, TimeUnit.SECONDS);
      // A member killed while partitions migrate (this client just joined) can take Vert.x HA's record with it.
      long safeBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!manager.getHazelcastInstance().getPartitionService().isClusterSafe()) {
        if (System.nanoTime() > safeBy) {
          throw new IllegalStateException("the cluster did not become safe within 60 s");
        }
        Thread.sleep(100); // isClusterSafe has no listener to wait on
      }
      // when the new consumer's subscription reaches this node (the first one added after the kill)
      java.util.concurrent.atomic.AtomicLong subscribedWall = new java.util.concurrent.atomic.AtomicLong(-1);
      manager.getHazelcastInstance().<String, Object>getMultiMap("__vertx.subs").addEntryListener(
        new com.hazelcast.core.EntryAdapter<String, Object>() {
          @Override
          public void entryAdded(com.hazelcast.core.EntryEvent<String, Object> event) {
            if (killedAt[0] != Long.MAX_VALUE) {
              subscribedWall.compareAndSet(-1, System.currentTimeMillis());
            }
          }
        }, "bench.work", false);
      killedAt[0] = System.nanoTime();
      long killedWall = System.currentTimeMillis();
      nodes.get(0).destroyForcibly();
      back.future().await(120, TimeUnit.SECONDS);
      client.cancelTimer(timer);
      // Requests sent just before the recovery may still time out: let the last ones (1 s timeout) finish, and the
      // retried ones end (their deadline is 10 s).
      Promise<Void> settled = Promise.promise();
      client.setTimer(1100, id -> settled.complete());
      settled.future().await(10, TimeUnit.SECONDS);
      io.vertx.core.Future.join(List.copyOf(retried)).otherwiseEmpty().await(15, TimeUnit.SECONDS);
      long before = answers.stream().filter(a -> a < killedAt[0]).max(Long::compare).orElseThrow();
      long after = answersAfter.stream().min(Long::compare).orElseThrow();
      phases(name, killedWall, subscribedWall.get(), killedWall + (after - killedAt[0]) / 1_000_000);
      return new double[] {(after - before) / 1e6, failed.get(), retriedFailed.get() + retriedOpen.get(),
        retriedWait.get() / 1e6};
    } finally {
      if (client != null) {
        client.close().await(30, TimeUnit.SECONDS);
      }
      for (Process node : nodes) {
        node.destroyForcibly();
        node.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * Where the window went: the kill until node B's Vert.x HA decides to take A's deployments (detection and decision,
   * from B's log, whose lines carry the time of day), until the new consumer's subscription reaches the client (the
   * redeploy), and until the client's first answer.
   */
  private static void phases(String name, long killedWall, long subscribedWall, long answeredWall) {
    Path log = Path.of(System.getProperty("bench.logs", System.getProperty("java.io.tmpdir")),
      "failover-" + name.substring(6, 14) + "-B.log");
    long decided = -1;
    try {
      for (String line : java.nio.file.Files.readAllLines(log)) {
        if (decided < 0 && line.contains("has failed. This node will deploy")) {
          decided = timeOfDay(line, killedWall);
        }
      }
    } catch (Exception e) {
      return;
    }
    if (decided > 0 && subscribedWall > 0) {
      System.err.printf("failover phases: detection and HA decision %d ms, redeploy until the client sees the new "
        + "consumer %d ms, until its first answer %d ms%n", decided - killedWall, subscribedWall - decided,
        answeredWall - subscribedWall);
    }
  }

  /** The epoch millis of a log line's HH:mm:ss.SSS prefix, on the day of {@code near} (UTC). */
  private static long timeOfDay(String line, long near) {
    java.time.LocalTime time = java.time.LocalTime.parse(line.substring(0, 12));
    java.time.LocalDate day = java.time.Instant.ofEpochMilli(near).atZone(java.time.ZoneOffset.UTC).toLocalDate();
    return day.atTime(time).toInstant(java.time.ZoneOffset.UTC).toEpochMilli();
  }

  private static Process start(String jar, String name, String members, int port, CountDownLatch ready,
                               String readyLine, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
      "-Xmx256m", "-Dvertx-domains.cluster.name=" + name, "-Dvertx-domains.cluster.members=" + members,
      "-Dvertx-domains.cluster.port=" + port, "-Dvertx-domains.management.port=0", "-jar", jar));
    // (management on any free port: its start line tells that the node has joined the cluster)
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    Path log = Path.of(System.getProperty("bench.logs", System.getProperty("java.io.tmpdir")),
      "failover-" + name.substring(6, 14) + "-" + (args[0].equals("bare") ? "B" : "A") + ".log");
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8)); java.io.Writer out = java.nio.file.Files.newBufferedWriter(log)) {
        for (String line; (line = in.readLine()) != null; ) {
          out.write(line + "\n");
          out.flush();
          if (line.contains(readyLine)) {
            ready.countDown();
          }
        }
      } catch (Exception ignored) {
        // the process ended
      }
    });
    reader.setDaemon(true);
    reader.start();
    return process;
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
