package dev.vertxdomains.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.map.IMap;
import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.WorkerInfo;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One view of the supervised workers of every node of a cluster.
 * <ul>
 *   <li>Each node keeps its own entry of the Hazelcast map {@value #WORKERS_MAP} (key: the Vert.x node id, value:
 *       its workers as JSON) up to date on every worker state change; when a node leaves the cluster (closed,
 *       killed, or removed by failure detection) the survivors drop its entry.</li>
 *   <li>Errors and recycles are published cluster-wide at {@value #EVENTS_ADDRESS}: every supervisor event whose
 *       state is {@code draining} (a recycle), {@code backing-off} (a crash) or {@code failed} (given up), and every
 *       {@code undeployed} event, as the {@link Supervisor#EVENTS_ADDRESS} JSON with its {@code node}.</li>
 * </ul>
 * The uptime of a worker read from another node is its uptime when that node last wrote, plus the time since by this
 * node's clock.
 */
public final class ClusterView {

  /** The Hazelcast map holding each node's workers. */
  public static final String WORKERS_MAP = "vertx-domains.workers";
  /** The cluster-wide event-bus address of errors and recycles. */
  public static final String EVENTS_ADDRESS = "vertx-domains.cluster.events";

  private static final Logger LOG = LoggerFactory.getLogger(ClusterView.class);
  private static final long REFRESH_MILLIS = 5_000;
  private static final long SAFE_ANSWER_MILLIS = 500;
  private static final Set<String> CLUSTER_STATES = Set.of("draining", "backing-off", "failed");

  private final Vertx vertx;
  private final String nodeId;
  private final HazelcastInstance hazelcast;
  private final IMap<String, String> workers;
  /**
   * This node's copy of {@link #workers}, kept by an entry listener: the view is read from it, so that reading it
   * never waits on a partition whose owner just died (a remote read right after a kill -9 waited ~10 s).
   */
  private final Map<String, String> replica = new ConcurrentHashMap<>();
  private final AtomicBoolean writing = new AtomicBoolean();
  private volatile boolean dirty;
  /** Reads over every partition, one at a time each (see {@link SingleFlight}). */
  private final SingleFlight<Boolean> safeCheck = new SingleFlight<>();
  private final SingleFlight<Void> pruning = new SingleFlight<>();

  private ClusterView(Vertx vertx, HazelcastClusterManager manager) {
    this.vertx = vertx;
    this.nodeId = manager.getNodeId();
    this.hazelcast = manager.getHazelcastInstance();
    this.workers = hazelcast.getMap(WORKERS_MAP);
  }

  /**
   * Starts keeping this node's entry and watching the cluster's members. Call once per clustered Vert.x instance,
   * after it has joined.
   *
   * @param vertx   the clustered Vert.x instance
   * @param manager its cluster manager
   * @return the view, once this node's entry is written
   */
  public static Future<ClusterView> start(Vertx vertx, HazelcastClusterManager manager) {
    if (!vertx.isClustered() || manager.getHazelcastInstance() == null) {
      throw new IllegalStateException("ClusterView.start needs a clustered Vert.x instance that has joined");
    }
    ClusterView view = new ClusterView(vertx, manager);
    io.vertx.core.Context home = vertx.getOrCreateContext();
    // State changes only (not every failed request), handled on this view's own context.
    Supervisor.listen(vertx, event -> {
      if (!"request-error".equals(event.getString("type"))) {
        home.runOnContext(v -> view.onEvent(event));
      }
    });
    view.workers.addEntryListener(view.new Replication(), true);
    view.hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        // After a split heals, the other side may have dropped this node's entry: write it again.
        view.dropDeparted();
        vertx.runOnContext(v -> view.write());
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        LOG.info("Node {} left the cluster; dropping its workers from the cluster view",
          Members.nodeId(event.getMember()));
        view.dropDeparted();
      }
    });
    // Refreshed now and then too: uptimes stay current, and an entry lost in a partition comes back.
    vertx.setPeriodic(REFRESH_MILLIS, id -> view.write());
    return vertx.executeBlocking(() -> {
        view.replica.putAll(view.workers); // what was written before the listener was in place
        return null;
      }, false)
      .compose(v -> view.write()).map(view);
  }

  /**
   * Whether the cluster is safe: no partition migrating and every backup in sync, so that losing one member now
   * loses no data (in particular not Vert.x HA's record of what each node runs: a node killed while this is false,
   * for instance just after a member joined, may not be failed over).
   *
   * @return whether the cluster is safe (asked of every member, off the event loop)
   */
  public Future<Boolean> isSafe() {
    Promise<Boolean> answer = Promise.promise();
    // Right after a member dies the question can take a while: past half a second the answer is "not safe yet".
    long timer = vertx.setTimer(SAFE_ANSWER_MILLIS, id -> answer.tryComplete(false));
    safeCheck.run(() -> vertx.executeBlocking(() -> hazelcast.getPartitionService().isClusterSafe(), false))
      .onComplete(ar -> {
        vertx.cancelTimer(timer);
        answer.tryComplete(ar.succeeded() && ar.result());
      });
    return answer.future();
  }

  /** This node's id (the Vert.x cluster node id). */
  public String nodeId() {
    return nodeId;
  }

  /**
   * The workers of every node, by node then worker.
   *
   * @return the workers
   */
  public Future<List<WorkerInfo>> workers() {
    long now = System.currentTimeMillis();
    Set<String> live = Members.liveNodeIds(hazelcast);
    List<WorkerInfo> all = new ArrayList<>(Supervisor.workers(vertx)); // this node's, fresh
    replica.forEach((node, value) -> {
      if (node.equals(nodeId) || !live.contains(node)) {
        return; // this node's are above; a departed node's are gone, whether or not its entry was dropped yet
      }
      JsonObject entry = new JsonObject(value);
      long age = Math.max(0, now - entry.getLong("at", now));
      for (Object item : entry.getJsonArray("workers", new JsonArray())) {
        WorkerInfo info = WorkerInfo.fromJson((JsonObject) item);
        if (info.uptimeMillis() > 0) {
          info = new WorkerInfo(info.deploymentId(), info.verticle(), info.worker(), info.generation(), info.node(),
            info.state(), info.restarts(), info.uptimeMillis() + age, info.lastError());
        }
        all.add(info);
      }
    });
    all.sort(Comparator.comparing(WorkerInfo::node).thenComparing(WorkerInfo::worker)
      .thenComparing(WorkerInfo::generation));
    return Future.succeededFuture(all);
  }

  /** Keeps {@link #replica} in step with the cluster map. */
  private final class Replication implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
    EntryRemovedListener<String, String>, EntryEvictedListener<String, String> {

    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      replica.put(event.getKey(), event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      replica.put(event.getKey(), event.getValue());
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
      replica.remove(event.getKey());
    }

    @Override
    public void entryEvicted(EntryEvent<String, String> event) {
      replica.remove(event.getKey());
    }
  }

  private void onEvent(JsonObject event) {
    String state = event.getString("state");
    if ("undeployed".equals(event.getString("type")) || CLUSTER_STATES.contains(state)) {
      vertx.eventBus().publish(EVENTS_ADDRESS, event.copy().put("node", nodeId));
    }
    write();
  }

  /** Writes this node's entry; coalesces writes requested while one is in progress. */
  private Future<Void> write() {
    dirty = true;
    if (!writing.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    dirty = false;
    JsonArray list = new JsonArray();
    Supervisor.workers(vertx).forEach(info -> list.add(info.toJson()));
    String value = new JsonObject().put("at", System.currentTimeMillis()).put("workers", list).encode();
    return Future.fromCompletionStage(workers.setAsync(nodeId, value), vertx.getOrCreateContext())
      .recover(err -> {
        LOG.warn("Cannot update this node's entry of the cluster view: {}", err.toString());
        return Future.succeededFuture();
      })
      .compose(v -> {
        writing.set(false);
        return dirty ? write() : Future.succeededFuture();
      });
  }

  /** Removes the entries of nodes that are no longer members (a prune already running covers this call). */
  private void dropDeparted() {
    pruning.run(() -> vertx.<Void>executeBlocking(() -> {
      Set<String> live = Members.liveNodeIds(hazelcast);
      for (String node : new ArrayList<>(workers.keySet())) {
        if (!live.contains(node)) {
          workers.delete(node);
        }
      }
      return null;
    }, false)).onFailure(err -> LOG.warn("Cannot prune the cluster view: {}", err.toString()));
  }
}
