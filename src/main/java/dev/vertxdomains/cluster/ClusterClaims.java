package dev.vertxdomains.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.vertxdomains.supervisor.DeploymentClaims;
import dev.vertxdomains.supervisor.Supervisor;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * {@link DeploymentClaims} in the Hazelcast map {@value #OWNERS_MAP} (key: the deployment's {@code haId}, value: the
 * Vert.x node id running it). A claim succeeds when the key is free, held by this node, or held by a node that is no
 * longer a member (a failover); otherwise the deployment fails, naming the holder. So when a node that was cut off
 * comes back and Vert.x HA redeploys what it had before, the redeploy is refused: the survivor that took it over holds
 * it. The map keeps one backup, and after a split heals Hazelcast's default merge keeps the larger side's entries.
 */
public final class ClusterClaims implements DeploymentClaims {

  /** The Hazelcast map of deployment owners. */
  public static final String OWNERS_MAP = "vertx-domains.owners";

  private static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  private final Vertx vertx;
  private final String nodeId;
  private final HazelcastInstance hazelcast;
  private final IMap<String, String> owners;

  private ClusterClaims(Vertx vertx, HazelcastClusterManager manager) {
    this.vertx = vertx;
    this.nodeId = manager.getNodeId();
    this.hazelcast = manager.getHazelcastInstance();
    this.owners = hazelcast.getMap(OWNERS_MAP);
  }

  /**
   * Installs the claims for a clustered Vert.x instance that has joined.
   *
   * @param vertx   the Vert.x instance
   * @param manager its cluster manager
   * @return the claims
   */
  public static ClusterClaims install(Vertx vertx, HazelcastClusterManager manager) {
    if (manager.getHazelcastInstance() == null) {
      throw new IllegalStateException("ClusterClaims.install needs a cluster manager that has joined");
    }
    ClusterClaims claims = new ClusterClaims(vertx, manager);
    Supervisor.useClaims(vertx, claims);
    return claims;
  }

  @Override
  public Future<Void> claim(String haId, String verticle) {
    return vertx.executeBlocking(() -> {
      while (true) {
        String holder = owners.putIfAbsent(haId, nodeId);
        if (holder == null || holder.equals(nodeId)) {
          return null;
        }
        if (isMember(holder)) {
          throw new IllegalStateException(verticle + " (haId " + haId + ") already runs on node " + holder
            + "; not starting a second copy");
        }
        if (owners.replace(haId, holder, nodeId)) {
          return null; // taken over from a node that left
        }
      }
    }, false);
  }

  @Override
  public Future<Void> release(String haId) {
    return vertx.executeBlocking(() -> {
      owners.remove(haId, nodeId);
      return null;
    }, false);
  }

  private boolean isMember(String node) {
    for (Member member : hazelcast.getCluster().getMembers()) {
      if (node.equals(member.getAttribute(NODE_ID_ATTRIBUTE))) {
        return true;
      }
    }
    return false;
  }
}
