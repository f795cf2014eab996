package dev.vertxdomains.cluster;

import io.vertx.core.Vertx;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

  @Test
  @DisplayName("an HA record entry of a deployment that runs here again as another deployment is removed, so a "
    + "failover starts one copy")
  void staleEntryOfADeploymentTakenBack() throws Exception {
    ClusterClaims[] claims = new ClusterClaims[2];
    cluster = LocalCluster.start(2, true, (i, vertx, manager) -> claims[i] = ClusterClaims.install(vertx, manager));
    Vertx node = cluster.nodes.get(0);
    String nodeId = cluster.managers.get(0).getNodeId();
    String id = dev.vertxdomains.supervisor.Supervisor.deploy(node, dev.vertxdomains.examples.WorkService.class.getName(),
      new io.vertx.core.DeploymentOptions().setHa(true).setConfig(new io.vertx.core.json.JsonObject()
        .put("address", "claims.stale"))).await(30, TimeUnit.SECONDS);
    com.hazelcast.map.IMap<String, String> haInfo = cluster.managers.get(1).getHazelcastInstance()
      .getMap("__vertx.haInfo");
    io.vertx.core.json.JsonObject record = new io.vertx.core.json.JsonObject(haInfo.get(nodeId));
    io.vertx.core.json.JsonArray verticles = record.getJsonArray("verticles");
    assertEquals(1, verticles.size(), record.encode());
    // What Vert.x HA leaves when a node loses its quorum (it undeploys the copy and keeps its entry), the copy moves
    // elsewhere, and the node takes it back later as a new deployment: two entries of one deployment.
    io.vertx.core.json.JsonObject stale = verticles.getJsonObject(0).copy().put("dep_id", java.util.UUID.randomUUID()
      .toString());
    String twice = record.copy().put("verticles", new io.vertx.core.json.JsonArray().add(stale)
      .add(verticles.getJsonObject(0))).encode();
    java.util.concurrent.CompletableFuture<String> rewritten = new java.util.concurrent.CompletableFuture<>();
    haInfo.addEntryListener((com.hazelcast.map.listener.EntryUpdatedListener<String, String>) event -> {
      if (twice.equals(event.getOldValue())) {
        rewritten.complete(event.getValue());
      }
    }, nodeId, true);
    haInfo.put(nodeId, twice);

    claims[0].reconcile(); // also every 5 s
    io.vertx.core.json.JsonArray kept = new io.vertx.core.json.JsonObject(rewritten.get(30, TimeUnit.SECONDS))
      .getJsonArray("verticles");
    assertEquals(1, kept.size(), "one entry left: " + kept.encode());
    assertEquals(id, kept.getJsonObject(0).getString("dep_id"), "the entry of the copy that runs");
  }
}
