package dev.vertxdomains.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.config.Config;
import io.vertx.core.spi.cluster.NodeListener;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Hazelcast cluster manager of vertx-domains: Vert.x's own, except that a departed node is reported to Vert.x HA
 * before the subscription cleanup runs, not after it.
 * <p>
 * vertx-hazelcast handles a member's departure on Hazelcast's event thread in one synchronized step: it scans the
 * whole subscription multimap for the node's entries, removes them, rewrites the node map, and only then tells Vert.x
 * HA, which decides the failover. The scan is an operation on every partition, so it waits for every partition that
 * is migrating. Measured in {@code ClusterIT.repeatedFreezes}: when a node froze while the cluster was still moving
 * partitions back to a member that had merged after the previous freeze, the scan took about 10 s, and the failover
 * came 20 s after the freeze instead of 10 (7 of 30 freezes). Vert.x HA needs only its own map's entries for the
 * decision (single-partition reads), so here it hears of the departure first, on the same event thread; the cleanup
 * follows, and its own notice of the same departure is not passed on twice.
 * <p>
 * News of a departure that arrives when the node is a member again is dropped, cleanup and all. Hazelcast hands each
 * listener its events in order on one event thread, so a departure queued behind a slow cleanup can arrive after the
 * node came back: measured in {@code ClusterIT.repeatedFreezes}, a node that froze saw the others leave, merged back
 * with them, and heard of one's departure 2.3 s after the merge. Vert.x HA then took the live node for failed: our
 * claims refused its redeploys, but HA deleted the node's record from {@code __vertx.haInfo}, so when that node really
 * failed later nothing failed it over.
 */
final class HaFirstClusterManager extends HazelcastClusterManager {

  private static final Logger LOG = LoggerFactory.getLogger(HaFirstClusterManager.class);

  /** Nodes whose departure HA has been told of ahead of the cleanup; the cleanup's notice is then dropped. */
  private final Set<String> toldEarly = ConcurrentHashMap.newKeySet();
  private volatile NodeListener listener;

  HaFirstClusterManager(Config config) {
    super(config);
  }

  @Override
  public void nodeListener(NodeListener listener) {
    this.listener = listener;
    super.nodeListener(new NodeListener() {
      @Override
      public void nodeAdded(String nodeID) {
        toldEarly.remove(nodeID); // back after a merge: its next departure is news again
        listener.nodeAdded(nodeID);
      }

      @Override
      public void nodeLeft(String nodeID) {
        if (!toldEarly.remove(nodeID)) {
          listener.nodeLeft(nodeID);
        }
      }
    });
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    NodeListener ha = listener;
    String nodeId = Members.nodeId(event.getMember());
    if (nodeId != null && isActive() && Members.liveNodeIds(getHazelcastInstance()).contains(nodeId)) {
      // Late news: the node is a member again. Acted on, HA would fail over a live node's deployments and delete its
      // record, and the cleanup would delete its subscriptions and its event-bus address.
      LOG.warn("Node {} is a member again; ignoring the news of its departure, which arrived after its return",
        nodeId);
      return;
    }
    if (ha != null && nodeId != null && isActive() && toldEarly.add(nodeId)) {
      try {
        ha.nodeLeft(nodeId);
      } catch (RuntimeException e) {
        LOG.error("Vert.x HA failed to handle the departure of node {}", nodeId, e); // the cleanup still runs
      }
    }
    super.memberRemoved(event);
  }
}
