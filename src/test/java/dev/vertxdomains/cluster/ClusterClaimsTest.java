package dev.vertxdomains.cluster;

import io.vertx.core.Vertx;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ownership record on two real clustered Vert.x instances (Hazelcast on 127.0.0.1). */
class ClusterClaimsTest {

  private LocalCluster cluster;

  @AfterEach
  void close() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @DisplayName("a live holder keeps its deployment; a node that left loses it to the next claimant")
  void claims() throws Exception {
    ClusterClaims[] claims = new ClusterClaims[2];
    cluster = LocalCluster.start(2, false, (i, vertx, manager) -> claims[i] = ClusterClaims.install(vertx, manager));
    List<Vertx> nodes = cluster.nodes;
    List<HazelcastClusterManager> managers = cluster.managers;

    claims[0].claim("svc", "Service").await(10, TimeUnit.SECONDS);
    Exception twice = assertThrows(Exception.class, () -> claims[0].claim("svc", "Service")
      .await(10, TimeUnit.SECONDS));
    assertTrue(twice.getMessage().contains("already runs on this node"), "never two copies on one node: "
      + twice.getMessage());
    Exception refused = assertThrows(Exception.class, () -> claims[1].claim("svc", "Service")
      .await(10, TimeUnit.SECONDS));
    assertTrue(refused.getMessage().contains("already runs on node " + managers.get(0).getNodeId()),
      refused.getMessage());

    // A supervised deployment with that identity does not start on the other node, and leaves nothing behind.
    io.vertx.core.json.JsonObject config = new io.vertx.core.json.JsonObject()
      .put("address", "claims.work").put("supervisor", new io.vertx.core.json.JsonObject().put("haId", "svc"));
    Exception second = assertThrows(Exception.class, () -> dev.vertxdomains.supervisor.Supervisor.deploy(nodes.get(1),
      dev.vertxdomains.examples.WorkService.class.getName(),
      new io.vertx.core.DeploymentOptions().setInstances(2).setConfig(config)).await(30, TimeUnit.SECONDS));
    assertTrue(second.getMessage().contains("already runs on node"), second.getMessage());
    assertTrue(dev.vertxdomains.supervisor.Supervisor.workers(nodes.get(1)).isEmpty());

    // Released by its holder (an undeploy): free for anyone.
    claims[0].release("svc").await(10, TimeUnit.SECONDS);
    claims[1].claim("svc", "Service").await(10, TimeUnit.SECONDS);
    assertThrows(Exception.class, () -> claims[0].claim("svc", "Service").await(10, TimeUnit.SECONDS));

    // A holder that leaves the cluster without releasing (a crash): taken over.
    claims[0].claim("other", "Other").await(10, TimeUnit.SECONDS);
    managers.get(0).getHazelcastInstance().getLifecycleService().terminate();
    claims[1].claim("other", "Other").await(30, TimeUnit.SECONDS);
  }
}
