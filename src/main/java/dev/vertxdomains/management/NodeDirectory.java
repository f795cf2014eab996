package dev.vertxdomains.management;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.TimeUnit;

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
  /** The read of the map in progress, per Vert.x instance. */
  private static final Map<Vertx, Future<Map<String, JsonObject>>> READING = new java.util.WeakHashMap<>();

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
   * Every node's entry, or an empty map when the cluster does not answer within {@code timeoutMs} (a list is better
   * than no answer while the cluster is busy).
   *
   * @param vertx     the clustered instance
   * @param timeoutMs how long to wait
   * @return node id → {@code {"host", "managementPort", "pid"}}
   */
  public static Future<Map<String, JsonObject>> nodes(Vertx vertx, long timeoutMs) {
    // One read at a time per Vert.x instance, shared by whoever asks meanwhile: a read of every partition holds a
    // worker thread until every migrating partition has moved (~10 s after a member merged back), and polled reads
    // used to take the whole worker pool, which a failover's redeploy needs.
    Future<Map<String, JsonObject>> read;
    synchronized (READING) {
      read = READING.get(vertx);
      if (read == null) {
        read = vertx.sharedData().<String, JsonObject>getAsyncMap(MAP).compose(AsyncMap::entries);
        Future<Map<String, JsonObject>> started = read;
        READING.put(vertx, started);
        started.onComplete(ar -> {
          synchronized (READING) {
            READING.remove(vertx, started);
          }
        });
      }
    }
    return read.timeout(timeoutMs, TimeUnit.MILLISECONDS).otherwise(e -> Map.of());
  }
}
