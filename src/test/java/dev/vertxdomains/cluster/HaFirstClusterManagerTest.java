package dev.vertxdomains.cluster;

import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The failover decision ahead of the subscription cleanup, on two real clustered Vert.x instances with HA. */
class HaFirstClusterManagerTest {

  /** Each start of {@link Probe}: the subscriptions its address had in the cluster just before it subscribed. */
  static final LinkedBlockingQueue<Integer> STARTS = new LinkedBlockingQueue<>();
  /** Where {@link Probe} reads the cluster's subscriptions (the surviving node's Hazelcast). */
  static volatile HazelcastInstance survivor;

  private LocalCluster cluster;

  @AfterEach
  void close() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
    STARTS.clear();
  }

  /** An HA verticle that subscribes to its address, after noting how many subscriptions the address had. */
  public static final class Probe extends VerticleBase {
    @Override
    public Future<?> start() {
      String address = config().getString("address");
      return vertx.executeBlocking(() -> survivor.getMultiMap("__vertx.subs").get(address).size())
        .compose(seen -> {
          STARTS.add(seen);
          return vertx.eventBus().consumer(address, message -> message.reply("ok")).completion();
        });
    }
  }

  @Test
  @DisplayName("a killed node's HA deployment fails over before its subscriptions are cleaned up, and only once")
  void failoverDoesNotWaitForTheCleanup() throws Exception {
    cluster = LocalCluster.start(2, true, (i, vertx, manager) -> { });
    List<Vertx> nodes = cluster.nodes;
    List<HazelcastClusterManager> managers = cluster.managers;
    survivor = managers.get(1).getHazelcastInstance();
    String address = "hafirst." + UUID.randomUUID();
    nodes.get(0).deployVerticle(Probe.class.getName(), new DeploymentOptions().setHa(true)
      .setConfig(new JsonObject().put("address", address))).await(30, TimeUnit.SECONDS);
    assertEquals(0, STARTS.poll(30, TimeUnit.SECONDS), "the first start: nobody subscribed yet");

    io.vertx.core.Promise<Void> cleaned = io.vertx.core.Promise.promise();
    survivor.<String, Object>getMultiMap("__vertx.subs").addEntryListener(new com.hazelcast.core.EntryAdapter<>() {
      @Override
      public void entryRemoved(com.hazelcast.core.EntryEvent<String, Object> event) {
        cleaned.tryComplete();
      }
    }, address, false);
    // A member killed while the partitions still migrate to the newer one can take Vert.x's HA record with it.
    long safeBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!survivor.getPartitionService().isClusterSafe() && System.nanoTime() < safeBy) {
      Thread.sleep(100); // isClusterSafe has no listener to wait on
    }
    managers.get(0).getHazelcastInstance().getLifecycleService().terminate(); // a crash: no clean undeploy

    // The survivor redeploys while the departed node's subscription is still listed: the cleanup comes after.
    assertEquals(1, STARTS.poll(60, TimeUnit.SECONDS), "the failover ran before the departed node's subscription "
      + "was cleaned up");
    // The cleanup follows, and its own notice of the departure does not start a second copy.
    cleaned.future().await(30, TimeUnit.SECONDS);
    assertEquals(1, survivor.getMultiMap("__vertx.subs").get(address).size(), "only the new copy is subscribed");
    assertEquals("ok", nodes.get(1).eventBus().request(address, "ping").await(10, TimeUnit.SECONDS).body());
    assertNull(STARTS.poll(2, TimeUnit.SECONDS), "one failover, not two (the cleanup tells HA right after it)");
  }

  @Test
  @DisplayName("news of a node's departure that arrives after it is back changes nothing: its deployment, HA record, "
    + "subscriptions and address stay, and nothing fails over")
  void lateNewsOfADepartureIsDropped() throws Exception {
    cluster = LocalCluster.start(2, true, (i, vertx, manager) -> { });
    HazelcastClusterManager hearer = cluster.managers.get(0);
    HazelcastClusterManager back = cluster.managers.get(1);
    survivor = hearer.getHazelcastInstance();
    String address = "hafirst." + UUID.randomUUID();
    cluster.nodes.get(1).deployVerticle(Probe.class.getName(), new DeploymentOptions().setHa(true)
      .setConfig(new JsonObject().put("address", address))).await(30, TimeUnit.SECONDS);
    assertEquals(0, STARTS.poll(30, TimeUnit.SECONDS), "the first start");
    String backId = back.getNodeId();
    String record = survivor.<String, String>getMap("__vertx.haInfo").get(backId);
    assertTrue(record != null && record.contains(Probe.class.getName()), "the HA record lists the deployment: " + record);

    // Hazelcast hands each listener its events in order: a departure queued behind a slow one can arrive when the
    // node is a member again (after a freeze or a split). Delivered here as Hazelcast delivers it, on a live member.
    com.hazelcast.cluster.Cluster members = survivor.getCluster();
    com.hazelcast.cluster.Member member = members.getMembers().stream()
      .filter(m -> backId.equals(Members.nodeId(m))).findFirst().orElseThrow();
    hearer.memberRemoved(new com.hazelcast.cluster.MembershipEvent(members, member,
      com.hazelcast.cluster.MembershipEvent.MEMBER_REMOVED, members.getMembers()));

    assertEquals(record, survivor.<String, String>getMap("__vertx.haInfo").get(backId), "the HA record stays");
    assertEquals(1, survivor.getMultiMap("__vertx.subs").get(address).size(), "the subscription stays");
    assertTrue(survivor.getMap("__vertx.nodeInfo").containsKey(backId), "the node's event-bus address stays");
    assertEquals("ok", cluster.nodes.get(0).eventBus().request(address, "ping").await(10, TimeUnit.SECONDS).body());
    assertNull(STARTS.poll(2, TimeUnit.SECONDS), "no failover of a live node's deployment");
  }
}
