package dev.vertxdomains.cluster;

import dev.vertxdomains.testing.JarProcess;
import dev.vertxdomains.testing.Netns;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.TestInfo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real network partitions ({@link Netns}: each JVM in its own network namespace, packets dropped with iptables)
 * between three nodes of a {@code -quorum 2} cluster and a client node, the holder of a supervised {@code -ha}
 * WorkService on one side. The test JVM is the observer: never cut, it polls every node's own {@code /workers} every
 * {@value #POLL_MILLIS} ms for the whole scenario and records which nodes run a copy of the service.
 * <p>
 * Each scenario prints its figures first (one line each, {@code PartitionIT <scenario>: <figure> = <value>}, also in
 * {@code target/PartitionIT-<test>-figures.txt}), then asserts what a partition must never do: (a) two nodes run
 * the service at once, (b) the majority takes longer than twice the failure-detection bound to run it, (c) after
 * the heal, anything but exactly one copy, on the node that served during the partition.
 * <p>
 * Nodes: {@code B} (bare), {@code H} (the holder), {@code C} (bare), and {@code client} (a lite member that sends a
 * request every 50 ms). The node started first, alone, is the Hazelcast master (the oldest member): {@code B} where
 * the holder must not be the master, {@code H} where it must; the test checks it before the cut. Each scenario runs
 * twice. Skipped where namespaces cannot be made, failed there when {@value Netns#REQUIRE}=1.
 */
class PartitionIT {

  private static final String WORK = "dev.vertxdomains.examples.WorkService";
  private static final String ADDRESS = "it.work";
  /** The failure-detection bound (hazelcast.max.no.heartbeat.seconds). */
  private static final int HEARTBEAT_SECONDS = 5;
  /** Each namespace has its own network stack: every node uses the same ports. */
  private static final int HAZELCAST_PORT = 5701;
  private static final int MANAGEMENT_PORT = 9191;
  private static final long POLL_MILLIS = 100;
  /** The shortest partition: four times the failure-detection bound. */
  private static final long PARTITION_MILLIS = 4_000L * HEARTBEAT_SECONDS;
  private static final int BARE = 0;
  private static final int HOLDER = 1;
  private static final int OTHER = 2;
  private static final int CLIENT = 3;
  private static final String[] NAMES = {"B", "H", "C", "client"};
  private static final int NODES = 3;
  private static final String REPEATED = "{displayName} ({currentRepetition}/{totalRepetitions})";

  private final String clusterName = "partition-" + UUID.randomUUID();
  private final JarProcess[] processes = new JarProcess[4];
  private final String[] ids = new String[NODES];
  private Netns netns;
  private Observer observer;
  private String testName;

  @BeforeEach
  void namespaces(TestInfo info, RepetitionInfo repetition) throws Exception {
    testName = info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("test") + "-"
      + repetition.getCurrentRepetition();
    Netns.assumeAvailable();
    netns = Netns.create(4);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (observer != null) {
        observer.close();
      }
      // All at once: each may take its 20 s grace.
      List<Thread> closing = new ArrayList<>();
      for (JarProcess process : processes) {
        if (process != null) {
          Thread thread = new Thread(process::close, "close-" + process.name());
          thread.start();
          closing.add(thread);
        }
      }
      for (Thread thread : closing) {
        thread.join(TimeUnit.SECONDS.toMillis(40));
      }
      for (JarProcess process : processes) {
        if (process != null) {
          Files.writeString(Path.of("target", "PartitionIT-" + testName + "-" + process.name() + ".log"),
            process.output());
        }
      }
    } finally {
      if (netns != null) {
        netns.close();
      }
    }
  }

  @RepeatedTest(value = 2, name = REPEATED)
  @DisplayName("holder isolated: the holder (not the master) of a -quorum 2 -ha WorkService cut from both other "
    + "nodes and the client; one copy at a time, the majority serves within twice the detection bound, one copy "
    + "after the heal")
  void holderIsolated() throws Exception {
    run("holder isolated", false, true, false, () -> netns.isolate(HOLDER, BARE, OTHER, CLIENT)).check();
  }

  @RepeatedTest(value = 2, name = REPEATED)
  @DisplayName("bridge, holder not master: the holder cut from the Hazelcast master only, still reaching the third "
    + "node and the client; one copy at a time, the majority serves within twice the detection bound, one copy "
    + "after the heal")
  void holderCutFromMasterOnly() throws Exception {
    run("bridge (holder cut from the master only)", false, true, false, () -> netns.cut(HOLDER, BARE)).check();
  }

  @RepeatedTest(value = 2, name = REPEATED)
  @DisplayName("bridge, holder master: the holder, the Hazelcast master, cut from one node only; it keeps its "
    + "quorum and serves throughout, nobody else starts a copy, one copy after the heal")
  void holderMasterCutFromOneNode() throws Exception {
    run("bridge (holder is the master, cut from one node)", true, false, false, () -> netns.cut(HOLDER, OTHER))
      .check();
  }

  @RepeatedTest(value = 2, name = REPEATED)
  @DisplayName("client with the minority: the holder, the Hazelcast master, cut from both other nodes; the client "
    + "reaches everyone and follows the master it has; the majority serves within twice the detection bound, the "
    + "client fails fast once the holder has stopped, one copy after the heal")
  void clientWithTheMinority() throws Exception {
    run("client with the minority", true, true, true, () -> netns.isolate(HOLDER, BARE, OTHER)).check();
  }

  /** Makes a cut; returns {@link System#nanoTime()} when it took effect. */
  @FunctionalInterface
  private interface Cut {
    long apply() throws Exception;
  }

  private String address(int i) {
    return netns.address(i);
  }

  private List<String> javaOptions(int i) {
    List<String> members = new ArrayList<>();
    for (int j = 0; j < netns.size(); j++) {
      members.add(address(j) + ":" + HAZELCAST_PORT);
    }
    return List.of("-Xmx256m", "-Dvertx-domains.cluster.name=" + clusterName,
      "-D" + ClusterConfig.MEMBERS + "=" + String.join(",", members), "-D" + ClusterConfig.INTERFACE + "=" + address(i),
      "-D" + ClusterConfig.PORT + "=" + HAZELCAST_PORT, "-D" + ClusterConfig.MAX_NO_HEARTBEAT + "=" + HEARTBEAT_SECONDS,
      "-Dvertx-domains.management.host=" + address(i), "-Dvertx-domains.management.port=" + MANAGEMENT_PORT,
      "-Dlogback.configurationFile=" + Path.of("target", "test-classes", "partition-it-logback.xml").toAbsolutePath());
  }

  /** Starts the holder: WorkService, supervised, 2 instances, {@code -ha -quorum 2}; waits for its node id. */
  private JarProcess startHolder() throws Exception {
    JarProcess holder = startNode(HOLDER, "run", WORK, "-ha", "-quorum", "2", "-instances", "2",
      "-conf", "{\"address\":\"" + ADDRESS + "\"}", "-cluster-host", address(HOLDER));
    ids[HOLDER] = awaitNodeId(HOLDER);
    return holder;
  }

  /** Starts node {@code i} (the jar's launcher) inside its namespace. */
  private JarProcess startNode(int i, String... args) throws IOException {
    processes[i] = JarProcess.startCommand(NAMES[i], netns.exec(i, JarProcess.command(javaOptions(i), List.of(args))));
    return processes[i];
  }

  /** Waits for node {@code i}'s management endpoint (up once it has joined the cluster); returns its node id. */
  private String awaitNodeId(int i) throws InterruptedException {
    return JarProcess.awaitJson(address(i), MANAGEMENT_PORT, "/workers", body -> body.getString("node") != null,
      NAMES[i] + "'s node id", 120).getString("node");
  }

  private static int running(JsonArray workers) {
    return (int) workers.stream().map(JsonObject.class::cast)
      .filter(w -> WORK.equals(w.getString("verticle")) && "running".equals(w.getString("state"))).count();
  }

  /**
   * Starts the cluster (the holder first when {@code holderIsMaster}, else the bare node B) and the client, makes
   * the cut, heals it; the figures. {@code moves}: whether the majority must take the service over;
   * {@code clientWithMinority}: whether the client stays on the holder's side (it must fail fast there).
   */
  private Scenario run(String title, boolean holderIsMaster, boolean moves, boolean clientWithMinority, Cut cut)
    throws Exception {
    // The majority serves within twice the detection bound, also where the lite client follows the cut-off master
    // (the majority's mastership claim is refused by it at once: ClusterConfig's member connections close at once).
    Scenario s = new Scenario(title, moves, 2_000L * HEARTBEAT_SECONDS);
    long began = System.nanoTime();
    JarProcess holder;
    if (holderIsMaster) {
      holder = startHolder();
      startNode(BARE, "bare", "-quorum", "2", "-cluster-host", address(BARE));
      ids[BARE] = awaitNodeId(BARE);
    } else {
      startNode(BARE, "bare", "-quorum", "2", "-cluster-host", address(BARE));
      ids[BARE] = awaitNodeId(BARE);
      holder = startHolder();
    }
    startNode(OTHER, "bare", "-quorum", "2", "-cluster-host", address(OTHER));
    ids[OTHER] = awaitNodeId(OTHER);
    holder.awaitLine("Succeeded in deploying verticle", 120);
    JarProcess.awaitJson(address(BARE), MANAGEMENT_PORT, "/workers?scope=cluster",
      body -> running(body.getJsonArray("workers")) == 2 && body.getJsonArray("workers").stream()
        .map(JsonObject.class::cast).filter(w -> WORK.equals(w.getString("verticle")))
        .allMatch(w -> ids[HOLDER].equals(w.getString("node"))), "the service on H in B's cluster view", 60);
    s.figure("nodes started (s)", (System.nanoTime() - began) / 1_000_000_000.0);

    // The client joins as a lite member, as the README recommends: it never decides which side wins.
    List<String> clientOptions = new ArrayList<>(javaOptions(CLIENT));
    clientOptions.add("-D" + ClusterConfig.LITE_MEMBER + "=true");
    JarProcess client = JarProcess.startCommand(NAMES[CLIENT], netns.exec(CLIENT, JarProcess.mainCommand(
      JarProcess.jarAndTestClasses(), clientOptions, PartitionClient.class.getName(),
      List.of(ADDRESS, address(CLIENT), "50", "1000"))));
    processes[CLIENT] = client;
    client.awaitLine(PartitionClient.READY, 120);
    client.awaitLines("ANSWER", 10, 60);
    // Cutting while partitions migrate (the client just joined) can lose data that the test does not mean to lose.
    JarProcess.awaitJson(address(BARE), MANAGEMENT_PORT, "/workers?scope=cluster",
      body -> body.getBoolean("safe", false), "cluster safety", 60);
    s.figure("cluster and client ready (s)", (System.nanoTime() - began) / 1_000_000_000.0);
    for (JarProcess process : processes) {
      // ip netns exec execs java: the process the test holds is java's own (destroy and signals reach it).
      assertTrue(process.process().info().command().orElse("").endsWith("/java"),
        process.name() + " is " + process.process().info().command());
    }
    String master = hazelcastMaster(processes[BARE]);
    s.figure("hazelcast master (first in B's member list)", nameOf(master));
    int expectedMaster = holderIsMaster ? HOLDER : BARE;
    assertEquals(address(expectedMaster), master, NAMES[expectedMaster] + ", started first and alone, is the "
      + "Hazelcast master");

    observer = new Observer();
    assertTrue(observer.await(state -> state[HOLDER] == 2 && state[BARE] == 0 && state[OTHER] == 0, 30),
      "before the cut, the observer sees H run both instances, B and C none: " + Arrays.toString(observer.state()));

    int masterMark = processes[BARE].mark();
    int holderMark = holder.mark();
    int clientMark = client.mark();
    int otherMark = processes[OTHER].mark();
    String holderId = ids[HOLDER];
    long cutAt = cut.apply();
    long cutWall = wallOf(cutAt);
    String moved = null;
    if (moves) {
      boolean settled = observer.await(state -> state[HOLDER] == 0 && (state[BARE] > 0 || state[OTHER] > 0), 60);
      s.figure("partition settled (holder stopped, another node running) within 60 s", settled);
    }
    if (moves && !clientWithMinority) {
      // The client's first answer from another node, sent after the cut.
      try {
        moved = client.awaitLine(clientMark, line -> answer(line) != null && !answer(line)[1].equals(holderId)
          && Long.parseLong(answer(line)[0]) > cutWall, "an answer from another node", 30);
      } catch (AssertionError none) {
        // recorded below as "never"
      }
    }
    // The partition lasts at least PARTITION_MILLIS whatever happens sooner, so that both sides have long passed
    // their failure detection when it heals (a scenario's duration, not a condition).
    long hold = PARTITION_MILLIS - ms(System.nanoTime() - cutAt);
    if (hold > 0) {
      Thread.sleep(hold);
    }
    boolean holderLostQuorum = holder.output().lines().skip(holderMark)
      .anyMatch(l -> l.contains("There is no longer a quorum"));

    int healMark = holder.mark();
    long healAt = netns.heal();
    long healWall = wallOf(healAt);
    s.figure("partition lasted (ms)", ms(healAt - cutAt));
    boolean quorumBack = !holderLostQuorum;
    if (holderLostQuorum) {
      try {
        holder.awaitLine(healMark, line -> line.contains("A quorum has been obtained"), "the quorum back", 90);
        quorumBack = true;
      } catch (AssertionError never) {
        // recorded
      }
    }
    s.figure("holder lost its quorum during the partition", holderLostQuorum);
    s.figure("holder has its quorum again after the heal", quorumBack);
    // Settled: one node runs both instances, the others none, for 10 s in a row.
    boolean single = observer.awaitStable(state -> Arrays.stream(state).filter(n -> n > 0).count() == 1
      && Arrays.stream(state).sum() == 2, 10_000, 90);
    long settledAt = System.nanoTime();
    observer.close();
    // No stale HA record: a node whose redeploy was refused (Vert.x had undeployed its copy on the lost quorum and
    // queued it) takes the deployment out of its HA record, so nothing runs it again when that node leaves.
    List<String> stale = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      JarProcess node = processes[i];
      int from = i == BARE ? masterMark : i == HOLDER ? holderMark : 0;
      if (node.output().lines().skip(from).anyMatch(l -> l.contains("Failed to redeploy verticle"))) {
        try {
          node.awaitLine(from, l -> l.contains("from this node's HA record"), "the refused deployment taken out of "
            + "its HA record", 20);
        } catch (AssertionError kept) {
          stale.add(NAMES[i]);
        }
      }
    }
    s.staleRecords = stale;
    s.figure("nodes whose HA record kept a refused deployment", stale.isEmpty() ? "none" : stale);
    for (int i = 0; i < NODES; i++) {
      try {
        ids[i] = JarProcess.getJson(address(i), MANAGEMENT_PORT, "/workers").getString("node"); // may change on merge
      } catch (IOException e) {
        // keep the one from before
      }
    }

    // Figures, from the observer's samples.
    List<Sample> samples = observer.samples();
    Sample majority = samples.stream().filter(x -> x.at > cutAt && x.node != HOLDER && x.running > 0).findFirst()
      .orElse(null);
    Sample holderStopped = samples.stream().filter(x -> x.at > cutAt && x.node == HOLDER && x.running == 0)
      .findFirst().orElse(null);
    s.majorityMs = majority == null ? -1 : ms(majority.at - cutAt);
    s.figure("majority node runs a copy after (ms)", majority == null ? "never" : s.majorityMs + " (" + NAMES[majority.node]
      + ")");
    s.figure("holder's copy stops after (ms)", holderStopped == null ? "never" : ms(holderStopped.at - cutAt));
    // From the nodes' logs (their wall clock is this JVM's): what the overlap is made of.
    s.figure("log: B removes H from its member list after (ms)",
      logMs(processes[BARE], masterMark, "Members {size:3", cutWall));
    s.figure("log: H starts a mastership claim after (ms)",
      logMs(holder, holderMark, "Starting mastership claim", cutWall));
    s.figure("log: H sees itself alone after (ms)", logMs(holder, holderMark, "Members {size:1", cutWall));
    s.figure("log: H loses its quorum after (ms)", logMs(holder, holderMark, "There is no longer a quorum", cutWall));
    // The majority's way to serving, step by step (B or C, whichever logs it first).
    int[] majorityMarks = {masterMark, otherMark};
    int[] majorityNodes = {BARE, OTHER};
    String[][] steps = {
      {"suspects H", "Suspecting Member [" + address(HOLDER) + "]"},
      {"starts a mastership claim", "Starting mastership claim"},
      {"has claimed mastership", "Mastership is claimed with"},
      {"decides the failover", "This node will deploy"},
      {"has redeployed the service", "Successfully redeployed verticle"}};
    for (String[] step : steps) {
      Object first = "none";
      for (int k = 0; k < majorityNodes.length; k++) {
        Object at = logMs(processes[majorityNodes[k]], majorityMarks[k], step[1], cutWall);
        if (at instanceof Long ms && (!(first instanceof Long) || ms < (Long) first)) {
          first = ms;
        }
      }
      s.figure("log: the majority " + step[0] + " after (ms)", first);
      s.majoritySteps.add(step[0] + " " + first);
    }
    s.overlapPartitionMs = overlap(samples, cutAt, healAt);
    s.overlapHealMs = overlap(samples, healAt, settledAt);
    s.figure("overlap during the partition (ms, both reported running)", s.overlapPartitionMs);
    s.figure("overlap after the heal (ms)", s.overlapHealMs);
    s.figure("longest gap between two polls of one node (ms)", observer.longestGap());
    s.servedDuring = !moves ? HOLDER : majority == null ? -1 : majority.node;
    s.holderStoppedMs = holderStopped == null ? -1 : ms(holderStopped.at - cutAt);
    int[] end = observer.state();
    s.single = single;
    s.after = end;
    s.figure("after the heal: running instances per node M/H/C", Arrays.toString(end) + (single ? ", stable 10 s"
      : ", never stable for 10 s within 90 s"));
    int finalNode = single ? indexOfRunning(end) : -1;
    s.finalNode = finalNode;
    s.figure("after the heal: the copy runs on", finalNode < 0 ? "no single node" : NAMES[finalNode]
      + (finalNode == s.servedDuring ? " (the node that served during the partition)" : ""));
    s.figure("after the heal: one copy only from (ms after the heal)", single
      ? ms(singleSince(samples, healAt, settledAt) - healAt) : "never");

    // Figures from the client.
    List<String> lines = client.output().lines().skip(clientMark).toList();
    long lastHolder = Long.MIN_VALUE;
    long firstOther = Long.MAX_VALUE;
    int holderAnswersAfterCut = 0;
    Map<String, Integer> failures = new LinkedHashMap<>();
    for (String line : lines) {
      String[] a = answer(line);
      if (a != null) {
        long sent = Long.parseLong(a[0]);
        if (a[1].equals(ids[HOLDER]) || a[1].equals(holderId)) {
          if (sent < healWall) {
            lastHolder = Math.max(lastHolder, sent);
          }
          if (sent > cutWall && sent < healWall) {
            holderAnswersAfterCut++;
          }
        } else if (sent > cutWall) {
          firstOther = Math.min(firstOther, sent);
        }
      } else if (line.startsWith("FAILED ")) {
        String[] f = line.split(" ");
        long sent = Long.parseLong(f[1]);
        if (sent > cutWall && sent < healWall) {
          failures.merge(f[2], 1, Integer::sum);
        }
      }
    }
    s.figure("client: last answer by H, sent at (ms after the cut)", lastHolder == Long.MIN_VALUE ? "none"
      : lastHolder - cutWall);
    s.figure("client: answers by H to requests sent during the partition", holderAnswersAfterCut);
    s.figure("client: first answer by another node, sent at (ms after the cut)", firstOther == Long.MAX_VALUE
      ? "never" : firstOther - cutWall);
    s.figure("client: failed requests sent during the partition", failures.isEmpty() ? "none" : failures);
    s.figure("client: answered by another node within 30 s of the settling", moved != null);
    s.clientInterleaved = lastHolder != Long.MIN_VALUE && firstOther != Long.MAX_VALUE && lastHolder >= firstOther;
    if (clientWithMinority) {
      // The client stays on the side of the master it follows, the holder's. Once its own view has dropped the
      // others and vertx-hazelcast has cleaned up their subscriptions, the client gets a fast failure, never a timeout.
      // Before: a request can go to a subscription of a node on the other side (the majority's new copy registers
      // while the client still lists that node; that node's answer cannot come back), and the cleanup, which scans
      // the subscription map and waits for migrating partitions, follows the view change by up to 1.1 s (measured).
      Object settledMs = logMs(client, clientMark, "Members {size:2", cutWall);
      long settledWall = settledMs instanceof Long at ? cutWall + at + 2_000 : Long.MAX_VALUE;
      long timeouts = lines.stream().filter(l -> l.startsWith("FAILED ")).map(l -> l.split(" "))
        .filter(f -> Long.parseLong(f[1]) > settledWall && Long.parseLong(f[1]) < healWall)
        .filter(f -> f[2].startsWith("TIMEOUT")).count();
      s.clientTimeouts = settledWall == Long.MAX_VALUE ? -1 : timeouts;
      s.figure("log: the client's view drops the others after (ms)", settledMs);
      s.figure("client: requests timed out, sent once its side settled (+2 s)", s.clientTimeouts);
    }
    s.print(testName);
    return s;
  }

  private static final java.util.regex.Pattern LOG_TIME = java.util.regex.Pattern.compile(
    "^(\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3}) ");

  /**
   * Milliseconds from {@code cutWall} to the first line after {@code mark} containing {@code text}, by the time of that
   * line's log event (the line itself, or the closest line above it that starts with one); "none" if none.
   */
  private static Object logMs(JarProcess node, int mark, String text, long cutWall) {
    List<String> lines = node.output().lines().toList();
    for (int i = mark; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        for (int j = i; j >= mark; j--) {
          java.util.regex.Matcher m = LOG_TIME.matcher(lines.get(j));
          if (m.find()) {
            long dayMs = ((Long.parseLong(m.group(1)) * 60 + Long.parseLong(m.group(2))) * 60
              + Long.parseLong(m.group(3))) * 1000 + Long.parseLong(m.group(4));
            java.time.LocalTime cut = java.time.Instant.ofEpochMilli(cutWall).atZone(java.time.ZoneId.systemDefault())
              .toLocalTime();
            long cutDayMs = cut.toNanoOfDay() / 1_000_000;
            long delta = Math.floorMod(dayMs - cutDayMs + 12 * 3_600_000L, 24 * 3_600_000L) - 12 * 3_600_000L;
            return delta;
          }
        }
      }
    }
    return "none";
  }

  /** {@code [sent, node]} of an {@code ANSWER} line, else {@code null}. */
  private static String[] answer(String line) {
    if (!line.startsWith("ANSWER ")) {
      return null;
    }
    String[] f = line.split(" ");
    return f.length == 3 ? new String[] {f[1], f[2]} : null;
  }

  private static int indexOfRunning(int[] state) {
    for (int i = 0; i < state.length; i++) {
      if (state[i] > 0) {
        return i;
      }
    }
    return -1;
  }

  private String nameOf(String address) {
    for (int i = 0; i < netns.size(); i++) {
      if (address(i).equals(address)) {
        return NAMES[i] + " (" + address + ")";
      }
    }
    return address;
  }

  /** The address of the first member of the last member list a node logged: the oldest member, the master. */
  private static String hazelcastMaster(JarProcess node) {
    List<String> lines = node.output().lines().toList();
    for (int i = lines.size() - 1; i >= 0; i--) {
      if (lines.get(i).contains("Members {size:")) {
        for (int j = i + 1; j < lines.size(); j++) {
          java.util.regex.Matcher m = java.util.regex.Pattern.compile("Member \\[([0-9.]+)\\]:\\d+")
            .matcher(lines.get(j));
          if (m.find()) {
            return m.group(1);
          }
        }
      }
    }
    return "unknown (no member list in B's output)";
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  /** The wall-clock milliseconds (the client's clock: same machine) of a {@link System#nanoTime()}. */
  private static long wallOf(long nanos) {
    return System.currentTimeMillis() - ms(System.nanoTime() - nanos);
  }

  /** Milliseconds between {@code from} and {@code to} during which two nodes or more reported a running copy. */
  private static long overlap(List<Sample> samples, long from, long to) {
    int[] state = new int[NODES];
    long previous = from;
    long total = 0;
    for (Sample sample : samples) {
      if (sample.at > to) {
        break;
      }
      if (sample.at > from) {
        if (Arrays.stream(state).filter(n -> n > 0).count() >= 2) {
          total += sample.at - previous;
        }
        previous = sample.at;
      }
      if (sample.running >= 0) {
        state[sample.node] = sample.running;
      }
    }
    if (Arrays.stream(state).filter(n -> n > 0).count() >= 2) {
      total += Math.max(0, to - previous);
    }
    return ms(total);
  }

  /** From when on (nanoTime) up to {@code to} the samples showed one node running both instances, the others none. */
  private static long singleSince(List<Sample> samples, long from, long to) {
    int[] state = new int[NODES];
    long since = from;
    boolean single = false;
    for (Sample sample : samples) {
      if (sample.at > to) {
        break;
      }
      if (sample.running >= 0) {
        state[sample.node] = sample.running;
      }
      boolean now = Arrays.stream(state).filter(n -> n > 0).count() == 1 && Arrays.stream(state).sum() == 2;
      if (sample.at > from && now && !single) {
        since = sample.at;
      }
      single = now;
    }
    return since;
  }

  /** One poll of one node: how many WorkService instances it reported running, -1 for no answer. */
  private record Sample(long at, int node, int running) {
  }

  /** The test JVM's polls of every node's own {@code /workers}, each node on a thread of its own. */
  private final class Observer implements AutoCloseable {

    private final List<Sample> samples = new ArrayList<>();
    private final int[] state = new int[NODES];
    private final long[] lastAt = new long[NODES];
    private long longestGap;
    private volatile boolean stopped;
    private final List<Thread> threads = new ArrayList<>();

    Observer() {
      Arrays.fill(state, -1);
      for (int i = 0; i < NODES; i++) {
        int node = i;
        Thread thread = new Thread(() -> poll(node), "observer-" + NAMES[i]);
        thread.setDaemon(true);
        thread.start();
        threads.add(thread);
      }
    }

    private void poll(int node) {
      long next = System.nanoTime();
      while (!stopped) {
        int running;
        try {
          running = PartitionIT.running(JarProcess.getJson(address(node), MANAGEMENT_PORT, "/workers",
            Duration.ofSeconds(1)).getJsonArray("workers"));
        } catch (IOException | RuntimeException e) {
          running = -1;
        } catch (InterruptedException e) {
          return;
        }
        long at = System.nanoTime();
        synchronized (this) {
          samples.add(new Sample(at, node, running));
          if (running >= 0) {
            state[node] = running;
          }
          if (lastAt[node] != 0) {
            longestGap = Math.max(longestGap, at - lastAt[node]);
          }
          lastAt[node] = at;
          notifyAll();
        }
        next += TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS);
        long wait = next - System.nanoTime();
        if (wait > 0) {
          try {
            TimeUnit.NANOSECONDS.sleep(wait); // the poll period
          } catch (InterruptedException e) {
            return;
          }
        } else {
          next = System.nanoTime();
        }
      }
    }

    /** Waits until the latest answer of every node matches (at most {@code seconds}); whether it did. */
    synchronized boolean await(Predicate<int[]> match, int seconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (!match.test(state.clone())) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return true;
    }

    /** Waits until the state has matched for {@code stableMillis} in a row (at most {@code seconds}). */
    synchronized boolean awaitStable(Predicate<int[]> match, long stableMillis, int seconds)
      throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long since = -1;
      while (true) {
        long now = System.nanoTime();
        if (match.test(state.clone())) {
          if (since < 0) {
            since = now;
          } else if (now - since >= TimeUnit.MILLISECONDS.toNanos(stableMillis)) {
            return true;
          }
        } else {
          since = -1;
        }
        if (now >= deadline) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, deadline - now);
      }
    }

    synchronized int[] state() {
      return state.clone();
    }

    synchronized List<Sample> samples() {
      return new ArrayList<>(samples);
    }

    synchronized long longestGap() {
      return ms(longestGap);
    }

    @Override
    public void close() throws InterruptedException {
      stopped = true;
      for (Thread thread : threads) {
        thread.interrupt();
        thread.join(5_000);
      }
    }
  }

  /** A scenario's figures, printed in order, and what is asserted on them. */
  private final class Scenario {
    private final String title;
    private final Map<String, Object> figures = new LinkedHashMap<>();
    long majorityMs = -1;
    long overlapPartitionMs;
    long overlapHealMs;
    int servedDuring = -1;
    int finalNode = -1;
    boolean single;
    int[] after;

    final boolean moves;
    long holderStoppedMs = -1;
    long clientTimeouts;
    List<String> staleRecords = List.of();
    /** The majority's steps to serving, from its logs, for the message of (b). */
    final List<String> majoritySteps = new ArrayList<>();

    final long serveBoundMillis;
    boolean clientInterleaved;

    Scenario(String title, boolean moves, long serveBoundMillis) {
      this.title = title;
      this.moves = moves;
      this.serveBoundMillis = serveBoundMillis;
    }

    void figure(String name, Object value) {
      figures.put(name, value);
    }

    void print(String test) throws IOException {
      StringBuilder out = new StringBuilder();
      figures.forEach((name, value) -> out.append("PartitionIT ").append(title).append(": ").append(name)
        .append(" = ").append(value).append('\n'));
      System.out.print(out);
      System.out.flush();
      Files.writeString(Path.of("target", "PartitionIT-" + test + "-figures.txt"), out);
    }

    /** The assertions, after the figures. */
    void check() {
      assertEquals(0, overlapPartitionMs + overlapHealMs, "(a) never two nodes running the service at once; "
        + "overlap during the partition " + overlapPartitionMs + " ms, after the heal " + overlapHealMs + " ms");
      assertFalse(clientInterleaved, "(a) the client never had answers from two copies interleaved: the holder's last "
        + "answer was to a request sent before the first one another node answered");
      if (moves) {
        assertTrue(holderStoppedMs >= 0 && holderStoppedMs < majorityMs, "(a) the holder's copy stops ("
          + holderStoppedMs + " ms) before the majority's starts (" + majorityMs + " ms)");
        assertTrue(majorityMs >= 0 && majorityMs <= serveBoundMillis, "(b) the majority serves within "
          + serveBoundMillis + " ms of the cut; it took " + (majorityMs < 0 ? "forever" : majorityMs + " ms")
          + " (ms after the cut: " + String.join(", ", majoritySteps) + ")");
      } else {
        assertEquals(-1, majorityMs, "(b) the holder keeps its quorum: no other node starts a copy");
        assertEquals(-1, holderStoppedMs, "(b) the holder keeps its quorum and serves throughout");
      }
      assertEquals(0, clientTimeouts, "a client left on the minority side fails fast once the holder stopped");
      assertEquals(List.of(), staleRecords, "no HA record keeps a deployment its node no longer runs");
      assertTrue(single, "(c) exactly one copy after the heal; running per node M/H/C: " + Arrays.toString(after));
      assertEquals(servedDuring, finalNode, "(c) the copy after the heal runs on the node that served during the "
        + "partition (" + (servedDuring < 0 ? "none" : NAMES[servedDuring]) + ")");
    }
  }
}
