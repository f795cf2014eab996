package dev.vertxdomains.management;

import dev.vertxdomains.cluster.SingleFlight;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Where each node of a cluster can be reached by an operator: its host, its management port and its process id, in
 * the cluster-wide map {@value #MAP}, keyed by node id. Each node writes its own entry with a time to live of
 * {@value #TTL_MS} ms and refreshes it every {@value #REFRESH_MS} ms, so a dead node's entry goes away by itself.
 */
public final class NodeDirectory {

  /** The cluster-wide map. */
  public static final String MAP = "vertx-domains.nodes";
  /** How long an entry lives without a refresh. */
  public static final long TTL_MS = 15_000;
  /** How often a node refreshes its entry. */
  public static final long REFRESH_MS = 5_000;

  private static final Logger LOG = LoggerFactory.getLogger(NodeDirectory.class);

  private NodeDirectory() {
  }

  /**
   * Publishes this node's entry, and keeps it fresh while Vert.x runs.
   *
   * @param vertx          the clustered instance
   * @param nodeId         this node's id in the cluster
   * @param host           the host an operator reaches this node at
   * @param managementPort the port of its management endpoint
   */
  public static void publish(Vertx vertx, String nodeId, String host, int managementPort) {
    JsonObject entry = new JsonObject().put("host", host).put("managementPort", managementPort)
      .put("pid", ProcessHandle.current().pid());
    Runnable write = () -> vertx.sharedData().<String, JsonObject>getAsyncMap(MAP)
      .compose(map -> map.put(nodeId, entry, TTL_MS))
      .onFailure(e -> LOG.debug("Cannot publish this node's address: {}", e.toString()));
    write.run();
    vertx.setPeriodic(REFRESH_MS, id -> write.run());
  }

  /**
   * Every node's entry. The read goes over every partition of the map, so it can take a while when partitions migrate
   * (~10 s after a member merged back): callers share one read at a time ({@link SingleFlight}) and apply a timeout.
   *
   * @param vertx the clustered instance
   * @return node id → {@code {"host", "managementPort", "pid"}}
   */
  public static Future<Map<String, JsonObject>> nodes(Vertx vertx) {
    return vertx.sharedData().<String, JsonObject>getAsyncMap(MAP).compose(AsyncMap::entries);
  }
}
