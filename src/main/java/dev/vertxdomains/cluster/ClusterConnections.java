package dev.vertxdomains.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the event-bus connections between cluster members open before they are needed, so that the first request
 * after a failover does not pay for them.
 * <p>
 * Vert.x opens the connection to another node when the first message goes there, and the node opens its own
 * connection back for the reply: each side looks the other up in the cluster's node map, connects, and runs that code
 * for the first time. Measured on 127.0.0.1 (3 JVMs, 2 cores): the first request to a node that had never been sent
 * anything took 270 to 620 ms, the next ones 2 to 7 ms. A node that takes over a failed node's deployments is
 * usually one its clients have never talked to, so the whole first-contact cost landed in the failover window.
 * <p>
 * {@link #keepWarm} registers {@value #PING_ADDRESS_PREFIX}{@code <node id>} on this node and sends one ping to every
 * other member that has it, now and whenever a member joins; the ping opens this node's connection and the answer
 * opens the other's. Vert.x keeps both open until a node leaves. The launcher calls it on every clustered node; an
 * application that joins the cluster by itself (a client of HA services) calls it once after Vert.x starts.
 */
public final class ClusterConnections {

  /** Each node's ping address: this prefix and the node id. */
  public static final String PING_ADDRESS_PREFIX = "vertx-domains.cluster.ping.";

  /** How long a joining member's ping address is waited for (it joins Hazelcast well before its Vert.x runs). */
  private static final long JOIN_WAIT_MILLIS = 60_000;
  private static final long RETRY_MILLIS = 250;
  private static final Logger LOG = LoggerFactory.getLogger(ClusterConnections.class);

  private ClusterConnections() {
  }

  /**
   * Answers pings on this node and opens the connections to every other member, now and as members join.
   *
   * @param vertx   a clustered Vert.x instance
   * @param manager its cluster manager, joined
   * @return completes when this node answers pings (the connections open in the background)
   */
  public static Future<Void> keepWarm(Vertx vertx, HazelcastClusterManager manager) {
    if (manager.getHazelcastInstance() == null) {
      throw new IllegalStateException("ClusterConnections.keepWarm needs a cluster manager that has joined");
    }
    String self = manager.getNodeId();
    MessageConsumer<String> consumer = vertx.eventBus().consumer(PING_ADDRESS_PREFIX + self, ping -> ping.reply(self));
    return consumer.completion().onSuccess(v -> {
      manager.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent event) {
          String node = Members.nodeId(event.getMember());
          if (node != null) {
            vertx.runOnContext(x -> ping(vertx, manager, node, System.currentTimeMillis() + JOIN_WAIT_MILLIS));
          }
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
          // Vert.x closes the connections to a node that leaves
        }
      });
      for (String node : Members.liveNodeIds(manager.getHazelcastInstance())) {
        if (!node.equals(self)) {
          ping(vertx, manager, node, System.currentTimeMillis() + JOIN_WAIT_MILLIS);
        }
      }
    });
  }

  /** Pings a node, again every {@value #RETRY_MILLIS} ms until it answers or the deadline passes. */
  private static void ping(Vertx vertx, HazelcastClusterManager manager, String node, long deadline) {
    if (!Members.liveNodeIds(manager.getHazelcastInstance()).contains(node)) {
      return; // it left
    }
    vertx.eventBus().request(PING_ADDRESS_PREFIX + node, "ping", new DeliveryOptions().setSendTimeout(5_000))
      .onFailure(err -> {
        if (System.currentTimeMillis() < deadline) {
          vertx.setTimer(RETRY_MILLIS, id -> ping(vertx, manager, node, deadline));
        } else {
          LOG.debug("Node {} did not answer pings; its event-bus connection opens with its first message: {}", node,
            err.toString());
        }
      });
  }
}
