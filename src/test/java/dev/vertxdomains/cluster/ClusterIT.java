package dev.vertxdomains.cluster;

import dev.vertxdomains.testing.JarProcess;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Separate JVMs clustered with Hazelcast on 127.0.0.1 (TCP-IP join): the jar as nodes, this JVM as a client node.
 */
class ClusterIT {

  private static final String WORK = "dev.vertxdomains.examples.WorkService";
  private static final String HELLO = "dev.vertxdomains.examples.HelloServer";

  private final List<JarProcess> nodes = new ArrayList<>();
  private final String clusterName = "it-" + UUID.randomUUID();
  private int[] hazelcastPorts;
  private String members;
  private Vertx client;

  private String testName;

  @BeforeEach
  void ports(org.junit.jupiter.api.TestInfo info) throws Exception {
    testName = info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("test");
    hazelcastPorts = new int[] {JarProcess.freePort(), JarProcess.freePort(), JarProcess.freePort()};
    List<String> list = new ArrayList<>();
    for (int port : hazelcastPorts) {
      list.add("127.0.0.1:" + port);
    }
    members = String.join(",", list);
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close().await(30, TimeUnit.SECONDS);
    }
    for (JarProcess node : nodes) {
      node.close();
      // Each node's output, for reading after a failure.
      java.nio.file.Files.writeString(java.nio.file.Path.of("target", "ClusterIT-" + testName + "-" + node.name()
          + ".log"),
        node.output());
    }
  }

  /**
   * Failure detection for these tests: 10 s instead of the default 5 s. Four JVMs on a 2-core CI machine stall now and
   * then for several seconds (seen: a survivor sent no heartbeat for 6 s right after a failover, and the two
   * survivors split); the tests check detection within the configured bound, whatever it is.
   */
  static final String MAX_NO_HEARTBEAT = "10";

  private List<String> clusterOptions(int index, int managementPort) {
    return List.of("-Dvertx-domains.cluster.name=" + clusterName, "-Dvertx-domains.cluster.members=" + members,
      "-D" + ClusterConfig.MAX_NO_HEARTBEAT + "=" + MAX_NO_HEARTBEAT,
      "-Dvertx-domains.cluster.port=" + hazelcastPorts[index], "-Dvertx-domains.management.port=" + managementPort,
      "-Xmx256m");
  }

  private JarProcess node(String name, int index, int managementPort, String... args) throws Exception {
    JarProcess node = JarProcess.start(name, clusterOptions(index, managementPort), args);
    nodes.add(node);
    return node;
  }

  /** This JVM joins the cluster as a node without HA (it never receives failed-over deployments). */
  private Vertx joinAsClient(int index) throws Exception {
    return joinAsClientOn(hazelcastPorts[index]);
  }

  /** As {@link #joinAsClient(int)}, on a Hazelcast port of its own. */
  private Vertx joinAsClientOn(int port) throws Exception {
    Properties properties = new Properties();
    properties.setProperty(ClusterConfig.NAME, clusterName);
    properties.setProperty(ClusterConfig.MEMBERS, members);
    properties.setProperty(ClusterConfig.PORT, Integer.toString(port));
    properties.setProperty(ClusterConfig.MAX_NO_HEARTBEAT, MAX_NO_HEARTBEAT);
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1");
    return Vertx.builder().with(options)
      .withClusterManager(ClusterConfig.clusterManager(System.getenv(), properties))
      .buildClustered().await(60, TimeUnit.SECONDS);
  }

  /** Polls a node's cluster view until {@code match} holds; returns the workers. */
  private static JsonArray awaitView(int managementPort, Predicate<JsonArray> match) throws Exception {
    return JarProcess.awaitJson(managementPort, "/workers?scope=cluster",
      body -> match.test(body.getJsonArray("workers")), "cluster view").getJsonArray("workers");
  }

  /** Who and where each worker is, without the times. */
  private static java.util.Set<String> identities(JsonArray workers) {
    return workers.stream().map(JsonObject.class::cast)
      .map(w -> w.getString("worker") + "#" + w.getInteger("generation") + "@" + w.getString("node") + ":"
        + w.getString("state"))
      .collect(java.util.stream.Collectors.toSet());
  }

  /** Polls until the cluster reports itself safe (every backup in sync) from a node's endpoint. */
  private static void awaitSafe(int managementPort) throws Exception {
    JarProcess.awaitJson(managementPort, "/workers?scope=cluster", body -> body.getBoolean("safe", false),
      "cluster safety");
  }

  private static long count(JsonArray workers, String verticle, String state) {
    return workers.stream().map(JsonObject.class::cast)
      .filter(w -> w.getString("verticle").equals(verticle) && w.getString("state").equals(state)).count();
  }

  private static String nodeOf(JsonArray workers, String verticle) {
    return workers.stream().map(JsonObject.class::cast).filter(w -> w.getString("verticle").equals(verticle))
      .map(w -> w.getString("node")).findFirst().orElseThrow();
  }

  @Test
  @DisplayName("kill -9 the node of a supervised -ha WorkService: it answers again from the survivor, supervised, "
    + "and the cluster view drops the dead node")
  void failoverAfterKill() throws Exception {
    int managementA = JarProcess.freePort();
    int managementB = JarProcess.freePort();
    JarProcess a = node("A", 0, managementA, "run", WORK, "-ha", "-hagroup", "it", "-quorum", "1",
      "-instances", "2", "-conf", "{\"address\": \"it.work\"}", "-cluster-host", "127.0.0.1",
      "-cluster-port", Integer.toString(JarProcess.freePort()));
    JarProcess b = node("B", 1, managementB, "bare", "-hagroup", "it", "-cluster-host", "127.0.0.1",
      "-options", "{\"eventLoopPoolSize\": 2}");
    a.awaitLine("Succeeded in deploying verticle", 90);
    JsonArray before = awaitView(managementB, w -> count(w, WORK, "running") == 2);
    String nodeA = nodeOf(before, WORK);
    awaitView(managementA, w -> identities(w).equals(identities(before))); // every node shows the same workers

    client = joinAsClient(2);
    Promise<JsonObject> recycled = Promise.promise();
    client.eventBus().<JsonObject>consumer(ClusterView.EVENTS_ADDRESS, msg -> {
      if ("draining".equals(msg.body().getString("state"))) {
        recycled.tryComplete(msg.body());
      }
    }).completion().await(30, TimeUnit.SECONDS);
    assertEquals("ok", request("ok", 10_000).await(30, TimeUnit.SECONDS));
    // Over the clustered event bus, an error in the remote consumer's domain answers at once, never a timeout.
    // (A timeout would fail with TIMEOUT.)
    io.vertx.core.eventbus.ReplyException failure = (io.vertx.core.eventbus.ReplyException) request("error", 10_000)
      .transform(ar -> Future.succeededFuture(ar.cause())).await(30, TimeUnit.SECONDS);
    assertEquals(io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE, failure.failureType(), failure.toString());
    assertEquals(500, failure.failureCode());
    assertEquals("Internal Server Error", failure.getMessage());
    assertEquals("ok", request("ok", 10_000).await(30, TimeUnit.SECONDS)); // the other instance, or the replacement
    // ... and the recycle it caused on node A is published cluster-wide, seen here on the client node.
    JsonObject event = recycled.future().await(30, TimeUnit.SECONDS);
    assertEquals(nodeA, event.getString("node"), event.encode());
    assertEquals(WORK, event.getString("verticle"), event.encode());

    // Keep requesting while node A is killed; measure how long the service did not answer.
    List<Long> answered = new java.util.concurrent.CopyOnWriteArrayList<>();
    Promise<Void> warm = Promise.promise();
    Promise<Void> recovered = Promise.promise();
    long[] killedAt = new long[1];
    List<Long> answeredAfter = new java.util.concurrent.CopyOnWriteArrayList<>();
    long timer = client.setPeriodic(20, id -> {
      long sent = System.nanoTime();
      request("ok").onSuccess(r -> {
        long now = System.nanoTime();
        answered.add(now);
        if (answered.size() >= 5) {
          warm.tryComplete();
        }
        if (killedAt[0] != 0 && sent > killedAt[0]) {
          // only a request sent after the kill proves the service is back (a reply on its way does not)
          answeredAfter.add(now);
          recovered.tryComplete();
        }
      });
    });
    warm.future().await(30, TimeUnit.SECONDS); // answers flow before the kill, to measure from the last one
    // Killing a member while partitions migrate (this client just joined) can lose Vert.x HA's record of node A.
    awaitSafe(managementB);
    killedAt[0] = System.nanoTime();
    a.process().destroyForcibly(); // SIGKILL
    // Operations tooling during failover: the survivor's cluster view answers at once and drops the dead node's
    // workers as soon as Hazelcast sees it gone (its sockets closed), with no wait on the dead node's partitions.
    long viewDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    JsonObject view = null;
    while (System.nanoTime() < viewDeadline) {
      view = JarProcess.getJson(managementB, "/workers?scope=cluster");
      if (view.getJsonArray("workers").stream().map(JsonObject.class::cast)
        .noneMatch(w -> w.getString("node").equals(nodeA))) {
        break;
      }
      Thread.sleep(100); // a process's endpoint has no event to wait on
    }
    assertTrue(System.nanoTime() < viewDeadline, "within 3 s of the kill, the view drops node A: " + view);
    recovered.future().await(60, TimeUnit.SECONDS);
    client.cancelTimer(timer);
    long lastBefore = answered.stream().filter(t -> t < killedAt[0]).max(Long::compare).orElse(killedAt[0]);
    long firstAfter = answeredAfter.stream().min(Long::compare).orElseThrow();
    System.out.printf("failover: WorkService unavailable for %d ms after kill -9%n",
      TimeUnit.NANOSECONDS.toMillis(firstAfter - lastBefore));

    JsonArray after = awaitView(managementB, w -> count(w, WORK, "running") == 2
      && w.stream().map(JsonObject.class::cast).noneMatch(x -> x.getString("node").equals(nodeA)));
    assertTrue(after.stream().map(JsonObject.class::cast).allMatch(w -> !w.getString("node").equals(nodeA)),
      "the dead node's workers are gone: " + after);
    b.awaitLine("Successfully redeployed verticle supervised:" + WORK, 10);

    JarProcess.Result list = JarProcess.run(List.of(), "list", "-cluster", "-port", Integer.toString(managementB));
    assertEquals(0, list.code(), list.output());
    assertEquals(2, list.output().lines().filter(l -> l.contains("running")).count(), list.output());
  }

  @Test
  @DisplayName("SIGSTOP the node of a supervised -ha WorkService past failure detection: it fails over; SIGCONT: "
    + "the node's own redeploy is refused and the service runs exactly once")
  void noDuplicateAfterPartition() throws Exception {
    int managementA = JarProcess.freePort();
    int managementB = JarProcess.freePort();
    JarProcess a = node("A", 0, managementA, "run", WORK, "-ha", "-quorum", "2", "-instances", "2",
      "-conf", "{\"address\": \"it.work\"}", "-cluster-host", "127.0.0.1");
    node("B", 1, managementB, "bare", "-quorum", "2", "-cluster-host", "127.0.0.1");
    node("C", 2, JarProcess.freePort(), "bare", "-quorum", "2", "-cluster-host", "127.0.0.1");
    a.awaitLine("Succeeded in deploying verticle", 90);
    String nodeA = nodeOf(awaitView(managementB, w -> count(w, WORK, "running") == 2), WORK);

    awaitSafe(managementB);
    long stoppedAt = System.nanoTime();
    a.signal("STOP");
    JsonArray failedOver = awaitView(managementB, w -> count(w, WORK, "running") == 2
      && !nodeOf(w, WORK).equals(nodeA));
    System.out.printf("SIGSTOP: WorkService running on another node %d ms later%n",
      TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt));
    String survivor = nodeOf(failedOver, WORK);

    int mark = a.mark();
    a.signal("CONT");
    // Back in the cluster, A loses its quorum (it finds itself alone) and regains it when the split heals. Vert.x HA
    // either undeploys A's copy and redeploys it later (refused: the survivor holds the claim), or, when the quorum
    // comes back first, keeps it running: then the claims check finds the copy and undeploys it. Either way: once.
    // Vert.x HA may also hear of B and C leaving only after the merge, never lose the quorum, and take the survivor
    // for the failed node: its redeploy is refused the same way. Its settling is the quorum line or that refusal.
    a.awaitLine(mark, line -> line.contains("A quorum has been obtained") || line.contains("not starting a second copy"),
      "regaining the quorum, or Vert.x HA's redeploy refused", 90);
    awaitLocal(managementA, w -> count(w, WORK, "running") == 0);
    for (int management : new int[] {managementA, managementB}) {
      JsonArray view = awaitView(management, w -> count(w, WORK, "running") == 2
        && nodeOf(w, WORK).equals(survivor));
      assertEquals(2, view.stream().map(JsonObject.class::cast)
        .filter(w -> w.getString("verticle").equals(WORK)).count(), "exactly one copy: " + view);
    }
    assertEquals(0, count(JarProcess.getJson(managementA, "/workers").getJsonArray("workers"), WORK, "running"),
      "A does not run a second copy");
  }

  @Test
  @DisplayName("SIGSTOP/SIGCONT of the holder, five times: each time the service moves, the frozen node's copy takes "
    + "no new work once it runs again, and exactly one copy runs, never two on one node")
  void repeatedFreezes() throws Exception {
    int[] management = {JarProcess.freePort(), JarProcess.freePort(), JarProcess.freePort()};
    JarProcess[] processes = {
      node("A", 0, management[0], "run", WORK, "-ha", "-quorum", "2", "-instances", "2",
        "-conf", "{\"address\": \"it.work\"}", "-cluster-host", "127.0.0.1"),
      node("B", 1, management[1], "bare", "-quorum", "2", "-cluster-host", "127.0.0.1"),
      node("C", 2, management[2], "bare", "-quorum", "2", "-cluster-host", "127.0.0.1")};
    processes[0].awaitLine("Succeeded in deploying verticle", 90);
    awaitView(management[1], w -> count(w, WORK, "running") == 2);
    String[] ids = new String[3];
    for (int i = 0; i < 3; i++) {
      ids[i] = JarProcess.awaitJson(management[i], "/workers", body -> body.getString("node") != null, "node id")
        .getString("node");
    }
    client = joinAsClientOn(JarProcess.freePort());
    // Which node answered each request, and when it was sent.
    List<Map.Entry<Long, String>> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
    long timer = client.setPeriodic(50, id -> {
      long sent = System.nanoTime();
      request("node").onSuccess(node -> answers.add(Map.entry(sent, node)));
    });
    try {
      for (int round = 1; round <= 5; round++) {
        int other = round % 3; // a node to read the cluster from before the freeze
        awaitSafe(management[other]);
        String holder = nodeOf(awaitView(management[other], w -> count(w, WORK, "running") == 2), WORK);
        int frozen = java.util.Arrays.asList(ids).indexOf(holder);
        int watcher = (frozen + 1) % 3;
        processes[frozen].signal("STOP");
        long stoppedAt = System.nanoTime();
        String moved = nodeOf(awaitView(management[watcher], w -> count(w, WORK, "running") == 2
          && !nodeOf(w, WORK).equals(holder)), WORK);
        long movedAt = System.nanoTime();
        int mark = processes[frozen].mark();
        processes[frozen].signal("CONT");
        // Back, the frozen node fences its copy at once and undeploys it once the claims say it moved: the freeze
        // check's line ("runs on node X since this node's freeze"), or, when the merge's claims check comes first,
        // its line ("also runs elsewhere (... held by node X)").
        processes[frozen].awaitLine(mark, line -> line.contains("runs on node " + moved)
          || line.contains("held by node " + moved + ")"), "the fence's undeploy", 90);
        awaitLocal(management[frozen], w -> count(w, WORK, "running") == 0);
        for (int i = 0; i < 3; i++) {
          JsonArray view = awaitView(management[i], w -> count(w, WORK, "running") == 2
            && w.stream().map(JsonObject.class::cast).filter(x -> x.getString("verticle").equals(WORK))
              .allMatch(x -> x.getString("node").equals(moved)));
          assertEquals(2, view.stream().map(JsonObject.class::cast)
            .filter(w -> w.getString("verticle").equals(WORK)).count(), "round " + round + ": one copy: " + view);
          long here = count(JarProcess.getJson(management[i], "/workers").getJsonArray("workers"), WORK, "running");
          assertEquals(ids[i].equals(moved) ? 2 : 0, here, "round " + round + ": node " + ids[i] + " runs " + here);
        }
        // No request sent after the move (plus the client's view of the subscriptions catching up) was answered by
        // the frozen node's copy.
        long settled = movedAt + TimeUnit.SECONDS.toNanos(1);
        for (Map.Entry<Long, String> answer : answers) {
          assertTrue(answer.getKey() < settled || !answer.getValue().equals(holder),
            "round " + round + ": a request sent after the move was answered by the frozen node " + holder);
        }
        System.out.printf("freeze %d: %s stopped, running on %s %d ms later%n", round, holder, moved,
          TimeUnit.NANOSECONDS.toMillis(movedAt - stoppedAt));
      }
    } finally {
      client.cancelTimer(timer);
    }
  }

  /** Polls a node's own workers until {@code match} holds. */
  private static void awaitLocal(int managementPort, Predicate<JsonArray> match) throws Exception {
    JarProcess.awaitJson(managementPort, "/workers", body -> match.test(body.getJsonArray("workers")),
      "local workers");
  }

  @Test
  @DisplayName("spread, not pile: the two HA deployments of a killed node restart on two different survivors")
  void spreadAfterKill() throws Exception {
    int managementB = JarProcess.freePort();
    JarProcess a = JarProcess.startWithTestClasses("A", clusterOptions(0, JarProcess.freePort()), "run",
      "java:" + TwoServices.class.getName(), "-cluster", "-options", "{\"haEnabled\": true}", "-cluster-host",
      "127.0.0.1");
    nodes.add(a);
    nodes.add(JarProcess.startWithTestClasses("B", clusterOptions(1, managementB), "bare", "-cluster-host",
      "127.0.0.1"));
    nodes.add(JarProcess.startWithTestClasses("C", clusterOptions(2, JarProcess.freePort()), "bare",
      "-cluster-host", "127.0.0.1"));
    a.awaitLine("Succeeded in deploying verticle", 90);
    String nodeA = nodeOf(awaitView(managementB, w -> count(w, WORK, "running") == 2), WORK);

    awaitSafe(managementB);
    a.process().destroyForcibly(); // SIGKILL
    JsonArray after = awaitView(managementB, w -> count(w, WORK, "running") == 2
      && w.stream().map(JsonObject.class::cast).noneMatch(x -> x.getString("node").equals(nodeA)));
    java.util.Set<String> nodesNow = after.stream().map(JsonObject.class::cast)
      .filter(w -> w.getString("state").equals("running")).map(w -> w.getString("node"))
      .collect(java.util.stream.Collectors.toSet());
    assertEquals(2, nodesNow.size(), "one deployment on each survivor: " + after);
  }

  @Test
  @DisplayName("hand-off: a deployment that keeps failing to start on one node is handed to another node of its "
    + "HA group and runs there; the first node stays up")
  void handOff() throws Exception {
    int managementA = JarProcess.freePort();
    int managementB = JarProcess.freePort();
    String conf = "{\"address\": \"it.flaky\", \"supervisor\": {\"giveUp\": \"handoff\", \"maxRestarts\": 1, "
      + "\"backoffMinMs\": 10, \"backoffMaxMs\": 20}}";
    JarProcess b = JarProcess.startWithTestClasses("B", withName(clusterOptions(1, managementB), "B"),
      "bare", "-cluster-host", "127.0.0.1");
    nodes.add(b);
    b.awaitLine("Management endpoint", 90);
    List<String> failing = new ArrayList<>(withName(clusterOptions(0, managementA), "A"));
    failing.add("-Dflaky.fail=true");
    failing.add("-Dvertx-domains.metrics=true");
    JarProcess a = JarProcess.startWithTestClasses("A", failing, "run",
      "supervised:" + FlakyStart.class.getName(), "-ha", "-instances", "2", "-conf", conf, "-cluster-host",
      "127.0.0.1");
    nodes.add(a);
    a.awaitLine("handed to node", 90);
    JsonArray view = awaitView(managementA, w -> count(w, FlakyStart.class.getName(), "running") == 2);
    String nodeB = JarProcess.getJson(managementB, "/workers").getString("node");
    assertTrue(view.stream().map(JsonObject.class::cast).filter(w -> w.getString("state").equals("running"))
      .allMatch(w -> w.getString("node").equals(nodeB)), "it runs on B: " + view);
    assertTrue(a.process().isAlive(), "A keeps running");
    // The hand-off is counted on the node that gave the deployment away.
    java.net.http.HttpResponse<String> metrics = java.net.http.HttpClient.newHttpClient().send(
      java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + managementA + "/metrics"))
        .timeout(java.time.Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertTrue(metrics.body().contains("vertx_domains_handoffs_total{verticle=\"supervised:" + FlakyStart.class.getName()
      + "\"} 1.0") || metrics.body().contains("vertx_domains_handoffs_total{verticle=\"" + FlakyStart.class.getName()
      + "\"} 1.0"), metrics.body().lines().filter(l -> l.startsWith("vertx_domains")).toList().toString());

    client = joinAsClient(2);
    assertEquals("B", client.eventBus().<String>request("it.flaky", "who")
      .map(msg -> msg.body()).await(30, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("hand-off gives up only when every eligible node has failed the deployment")
  void handOffGivesUp() throws Exception {
    int managementA = JarProcess.freePort();
    int managementB = JarProcess.freePort();
    String conf = "{\"address\": \"it.flaky\", \"supervisor\": {\"giveUp\": \"handoff\", \"maxRestarts\": 1, "
      + "\"backoffMinMs\": 10, \"backoffMaxMs\": 20}}";
    List<String> failingB = new ArrayList<>(withName(clusterOptions(1, managementB), "B"));
    failingB.add("-Dflaky.fail=true");
    JarProcess b = JarProcess.startWithTestClasses("B", failingB, "bare", "-cluster-host", "127.0.0.1");
    nodes.add(b);
    b.awaitLine("Management endpoint", 90);
    List<String> failingA = new ArrayList<>(withName(clusterOptions(0, managementA), "A"));
    failingA.add("-Dflaky.fail=true");
    JarProcess a = JarProcess.startWithTestClasses("A", failingA, "run",
      "supervised:" + FlakyStart.class.getName(), "-ha", "-conf", conf, "-cluster-host", "127.0.0.1");
    nodes.add(a);
    // A hands it to B, B fails it too and finds no node left: it stops there; A hears the hand-off failed, and its
    // run fails like any deployment that cannot start (exit code 15, one line).
    b.awaitLine("every eligible node of the HA group has failed it", 90);
    a.awaitLine("could not be handed off", 90);
    assertTrue(a.process().waitFor(60, TimeUnit.SECONDS), "A exits");
    assertEquals(15, a.process().exitValue(), a.output());
    assertTrue(a.output().contains("vertx-domains: could not deploy supervised:" + FlakyStart.class.getName()));
    JsonArray view = awaitView(managementB, w -> true);
    assertEquals(0, count(view, FlakyStart.class.getName(), "running"), view.toString());
  }

  private static List<String> withName(List<String> options, String name) {
    List<String> named = new ArrayList<>(options);
    named.add("-Dnode.name=" + name);
    return named;
  }

  @Test
  @DisplayName("run -cluster: list -cluster shows the node's workers; list without a process fails clearly")
  void listCluster() throws Exception {
    int management = JarProcess.freePort();
    int http = JarProcess.freePort();
    JarProcess node = node("solo", 0, management, "run", HELLO, "-cluster", "-instances", "2",
      "-conf", "{\"http.port\": " + http + ", \"http.host\": \"127.0.0.1\"}");
    node.awaitLine("Succeeded in deploying verticle", 90);
    JarProcess.Result list = JarProcess.run(List.of(), "list", "-cluster", "-port", Integer.toString(management));
    assertEquals(0, list.code(), list.output());
    assertTrue(list.output().startsWith("DEPLOYMENT"), list.output());
    assertEquals(2, list.output().lines().filter(l -> l.contains(" running ")).count(), list.output());
  }

  /** A request with a 1 s send timeout, for the load loop (a slow answer counts as unavailable). */
  @Test
  @DisplayName("-quorum 2: the holder and a bare node killed at once, a node started later: once the quorum is back, "
    + "the supervised -ha WorkService runs again")
  void quorumComesBack() throws Exception {
    int managementC = JarProcess.freePort();
    JarProcess a = node("A", 0, JarProcess.freePort(), "run", WORK, "-ha", "-quorum", "2", "-instances", "2",
      "-conf", "{\"address\": \"it.work\"}", "-cluster-host", "127.0.0.1");
    JarProcess b = node("B", 1, JarProcess.freePort(), "bare", "-quorum", "2", "-cluster-host", "127.0.0.1");
    JarProcess c = node("C", 2, managementC, "bare", "-quorum", "2", "-cluster-host", "127.0.0.1");
    a.awaitLine("Succeeded in deploying verticle", 90);
    String nodeA = nodeOf(awaitView(managementC, w -> count(w, WORK, "running") == 2), WORK);
    awaitSafe(managementC);
    a.process().destroyForcibly();
    b.process().destroyForcibly();
    c.awaitLine("There is no longer a quorum", 60);
    // A new node takes the dead ones' place (A's Hazelcast port is free again): the quorum is back.
    int managementD = JarProcess.freePort();
    node("D", 0, managementD, "bare", "-quorum", "2", "-cluster-host", "127.0.0.1");
    JsonArray back = awaitView(managementC, w -> count(w, WORK, "running") == 2
      && w.stream().map(JsonObject.class::cast).noneMatch(x -> x.getString("node").equals(nodeA)));
    assertEquals(2, count(back, WORK, "running"), back.toString());
    client = joinAsClient(1);
    assertEquals("ok", request("ok", 10_000).await(30, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("kill -9 the node of a supervised -ha Accounts service while a caller sends idempotent proxy calls "
    + "every 10 ms with IdempotentCalls: none fails, each is answered once; plain calls in the same window fail")
  void idempotentCallsSurviveAKill() throws Exception {
    String accounts = "dev.vertxdomains.examples.AccountsVerticle";
    int managementA = JarProcess.freePort();
    int managementB = JarProcess.freePort();
    JarProcess a = node("A", 0, managementA, "run", accounts, "-ha", "-hagroup", "it", "-quorum", "1",
      "-conf", "{\"address\": \"it.accounts\"}", "-cluster-host", "127.0.0.1",
      "-cluster-port", Integer.toString(JarProcess.freePort()));
    node("B", 1, managementB, "bare", "-hagroup", "it", "-cluster-host", "127.0.0.1",
      "-options", "{\"eventLoopPoolSize\": 2}");
    a.awaitLine("Succeeded in deploying verticle", 90);
    awaitView(managementB, w -> count(w, accounts, "running") == 1);
    client = joinAsClient(2);
    // Each send waits 1 s for its answer (a proxy's default is 30 s): a call sent to the node as it dies times out.
    dev.vertxdomains.examples.Accounts plain = dev.vertxdomains.examples.Accounts.createProxyWithOptions(client, "it.accounts",
      new DeliveryOptions().setSendTimeout(1_000));
    dev.vertxdomains.examples.Accounts retrying = dev.vertxdomains.eventbus.IdempotentCalls.of(client)
      .proxy(dev.vertxdomains.examples.Accounts.class, plain);
    java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger plainFailed = new java.util.concurrent.atomic.AtomicInteger();
    List<String> failed = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.Set<Integer> answers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<Future<?>> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
    long[] killedAt = new long[1];
    Promise<Void> warm = Promise.promise();
    Promise<Void> recovered = Promise.promise();
    long timer = client.setPeriodic(10, id -> {
      int call = sent.incrementAndGet();
      long at = System.nanoTime();
      calls.add(retrying.balance("a" + call).onComplete(ar -> {
        if (ar.failed()) {
          failed.add(call + ": " + ar.cause());
          return;
        }
        if (!answers.add(call) || !("a" + call).equals(ar.result().getString("id"))) {
          failed.add(call + ": answered twice or wrongly: " + ar.result());
        }
        if (answered.incrementAndGet() >= 20) {
          warm.tryComplete();
        }
        if (killedAt[0] != 0 && at > killedAt[0]) {
          recovered.tryComplete();
        }
      }));
      plain.balance("p" + call).onFailure(err -> plainFailed.incrementAndGet());
    });
    warm.future().await(30, TimeUnit.SECONDS);
    awaitSafe(managementB);
    killedAt[0] = System.nanoTime();
    a.process().destroyForcibly(); // SIGKILL
    recovered.future().await(60, TimeUnit.SECONDS);
    client.cancelTimer(timer);
    // Every call sent ends (answered, or failed) within the retries' 10 s deadline; twice, for a tick that raced the
    // cancel.
    for (int pass = 0; pass < 2; pass++) {
      Future.join(List.copyOf(calls)).otherwiseEmpty().await(30, TimeUnit.SECONDS);
    }
    int total = sent.get();
    System.out.printf("idempotent calls across kill -9: %d sent, %d answered, %d failed; plain calls failed: %d%n",
      total, answered.get(), failed.size(), plainFailed.get());
    assertEquals(List.of(), failed, "idempotent calls that failed");
    assertEquals(total, answered.get(), "every idempotent call answered");
    assertTrue(plainFailed.get() > 0, "plain (non-idempotent) calls in the same window fail, not retried");
  }

  private Future<String> request(String body) {
    return request(body, 1000);
  }

  private Future<String> request(String body, long timeoutMillis) {
    return client.eventBus().<String>request("it.work", body, new DeliveryOptions().setSendTimeout(timeoutMillis))
      .map(msg -> msg.body());
  }
}
