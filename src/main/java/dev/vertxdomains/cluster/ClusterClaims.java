package dev.vertxdomains.cluster;

import dev.vertxdomains.supervisor.spi.Integrations;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.vertxdomains.supervisor.spi.StartGate;
import dev.vertxdomains.supervisor.GiveUpAction;
import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.SupervisorHandedOffException;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * the supervisor's {@link StartGate} for HA deployments, kept in the Hazelcast map {@value #OWNERS_MAP} (key: the deployment's {@code haId}, value: the
 * Vert.x node id running it). A claim succeeds when the key is free, held by this node, or held by a node that is no
 * longer a member (a failover); otherwise the deployment fails, naming the holder. So when a node that was cut off
 * comes back and Vert.x HA redeploys what it had before, the redeploy is refused: the survivor that took it over holds
 * it. The map keeps one backup, and after a split heals Hazelcast's default merge keeps the larger side's entries.
 */
public final class ClusterClaims implements StartGate {

  /** The Hazelcast map of deployment owners. */
  public static final String OWNERS_MAP = "vertx-domains.owners";
  /** The Hazelcast map of the nodes that have failed each deployment (by {@code haId}), for hand-offs. */
  public static final String HANDOFFS_MAP = "vertx-domains.handoffs";
  /** Each node's event-bus address for deployments handed to it: this prefix and the node id. */
  public static final String DEPLOY_ADDRESS_PREFIX = "vertx-domains.cluster.deploy.";

  private static final String HA_INFO_MAP = "__vertx.haInfo";
  private static final long HANDOFF_TIMEOUT_MS = 120_000;
  private static final long RECONCILE_MILLIS = 5_000;
  private static final long FREEZE_TICK_MILLIS = 100;
  private static final long FENCE_CHECK_MILLIS = 250;
  /** Hazelcast's heartbeat interval (conf/cluster.xml). */
  private static final long HEARTBEAT_MILLIS = 1_000;
  /** How long a node that lost its members after a freeze waits for the split to heal before deciding alone. */
  private static final long ALONE_MILLIS = 30_000;
  private static final Logger LOG = LoggerFactory.getLogger(ClusterClaims.class);

  private final Vertx vertx;
  private final String nodeId;
  private final HazelcastInstance hazelcast;
  private final IMap<String, String> owners;
  private final IMap<String, String> handoffs;
  private final Set<String> undeploying = ConcurrentHashMap.newKeySet();
  private final SingleFlight<Void> reconciling = new SingleFlight<>();
  /** The HA deployments admitted here that run (not given up): deployment id by haId. */
  private final Map<String, String> running = new ConcurrentHashMap<>();
  /** The haIds this node has claimed and not released: a second copy here is refused, whoever asks. */
  private final Set<String> claimedHere = ConcurrentHashMap.newKeySet();
  /** Orphaned HA records seen by the last reconcile, by departed node, with when each was first seen. */
  private final Map<String, Map.Entry<String, Long>> orphansSeen = new ConcurrentHashMap<>();
  /** The HA deployments fenced after a freeze (deployment id by haId), until their claims are checked. */
  private final Map<String, String> fenced = new ConcurrentHashMap<>();
  /** When this node last ran again after a freeze (nanoTime), and whether a member left since. */
  private volatile long resumedAt;
  /** How long the last freeze lasted. */
  private volatile long frozenMillis;
  private volatile boolean membersLeftSinceResume;
  /** Whether members joined this node again after some had left since the freeze (the split healed). */
  private volatile boolean mergedSinceResume;
  /** Hazelcast's failure-detection bound (max.no.heartbeat). */
  private final long boundMillis;
  private long fenceTimer = -1;
  /** A check of the fenced deployments is in flight (on the fence timer's context). */
  private boolean checkingFenced;
  private final ClusterLease lease;

  private ClusterClaims(Vertx vertx, HazelcastClusterManager manager, int quorum) {
    this.vertx = vertx;
    this.nodeId = manager.getNodeId();
    this.hazelcast = manager.getHazelcastInstance();
    this.owners = hazelcast.getMap(OWNERS_MAP);
    this.handoffs = hazelcast.getMap(HANDOFFS_MAP);
    this.boundMillis = heartbeatBoundMillis(hazelcast);
    this.lease = new ClusterLease(vertx, hazelcast, nodeId, quorum, LeaseBook.Terms.forBound(boundMillis),
      new LeaseEvents());
  }

  /**
   * Installs the claims for a clustered Vert.x instance that has joined.
   *
   * @param vertx   the Vert.x instance
   * @param manager its cluster manager
   * @return the claims
   */
  public static ClusterClaims install(Vertx vertx, HazelcastClusterManager manager) {
    return install(vertx, manager, 1);
  }

  /**
   * Installs the claims, with leases granted by {@code quorum} nodes, for a clustered Vert.x instance that has joined.
   * With Vert.x HA's quorum here (the same majority of the cluster's data members on every node), at most one copy of
   * an HA deployment takes new work at any moment, under a partition that drops packets, while clock rates agree
   * within the lease's margin (see {@link LeaseBook}); with 1, a cut-off node keeps its copies, and the others start
   * theirs once its lease has run out.
   *
   * @param vertx   the Vert.x instance
   * @param manager its cluster manager
   * @param quorum  how many data members, this one included, must grant a lease
   * @return the claims
   */
  public static ClusterClaims install(Vertx vertx, HazelcastClusterManager manager, int quorum) {
    if (quorum < 1) {
      throw new IllegalArgumentException("quorum: must be at least 1, got " + quorum);
    }
    if (manager.getHazelcastInstance() == null) {
      throw new IllegalStateException("ClusterClaims.install needs a cluster manager that has joined");
    }
    ClusterClaims claims = new ClusterClaims(vertx, manager, quorum);
    claims.lease.start(); // before the gate: a start it admits needs a lease
    Integrations.gateStarts(vertx, claims);
    Integrations.onGiveUp(vertx, GiveUpAction.HANDOFF, gaveUp -> gaveUp.supervisor().haId() == null
      ? Future.failedFuture("not an HA deployment (no supervisor.haId)")
      : claims.handOff(gaveUp.supervisor().haId(), gaveUp.verticle(), gaveUp.options().setHa(true)));
    vertx.eventBus().<JsonObject>consumer(DEPLOY_ADDRESS_PREFIX + claims.nodeId, claims::deployHandedOff);
    // A node cut off from the cluster may keep running what the others took over meanwhile (Vert.x undeploys on a
    // lost quorum only when the quorum stays lost long enough): after a merge, and every few seconds, a copy whose
    // claim another live node holds is undeployed here.
    claims.hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        if (claims.membersLeftSinceResume) {
          claims.mergedSinceResume = true;
        }
        vertx.runOnContext(v -> claims.reconcile());
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        claims.membersLeftSinceResume = true; // nothing to give up when others leave, but a fence waits for a merge
      }
    });
    vertx.setPeriodic(RECONCILE_MILLIS, id -> claims.reconcile());
    claims.watchFreezes(claims.boundMillis);
    return claims;
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Fencing after a freeze

  /**
   * A freeze (SIGSTOP, a long GC pause, a suspended VM) stops every thread of the process, so the others may have
   * taken this node for dead and run its HA deployments elsewhere while its own copies, still deployed, wake up with
   * their subscriptions. A daemon thread notices the freeze as a gap in its own clock ticks: one of half the
   * failure-detection bound or more fences this node's HA deployments at once (they take no new work) until their
   * claims can be read from a settled cluster; then a copy whose claim another live node holds is undeployed, and
   * the others are resumed.
   * <p>
   * This node's own view cannot be trusted right after a freeze: Hazelcast resets its heartbeat clocks on a clock jump,
   * so it may take up to the whole bound again to notice that the others removed it (measured: 0.2 to 10.3 s with a
   * 10 s bound), and until then it reads its own stale copy of the claims. So the check waits for the membership to
   * tell: a freeze longer than the bound plus a heartbeat means the others removed this node, and the check waits
   * until it has lost its members and merged back (the claims are then the cluster's); a shorter one waits a bound
   * and two heartbeats for members to leave, and resumes if none did.
   */
  private void watchFreezes(long boundMillis) {
    long gapNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1_000, boundMillis / 2));
    Thread thread = new Thread(() -> {
      long last = System.nanoTime();
      while (true) {
        try {
          Thread.sleep(FREEZE_TICK_MILLIS);
        } catch (InterruptedException e) {
          return;
        }
        if (!hazelcast.getLifecycleService().isRunning()) {
          return; // the node has left the cluster (Vert.x closed)
        }
        long now = System.nanoTime();
        if (now - last >= gapNanos) {
          frozen(TimeUnit.NANOSECONDS.toMillis(now - last));
        }
        last = now;
      }
    }, "vertx-domains-freeze-watch");
    thread.setDaemon(true);
    thread.start();
  }

  /** On the freeze watch's thread, as soon as the process runs again: fences every claimed HA deployment here. */
  private void frozen(long millis) {
    Map<String, String> running = Map.copyOf(this.running);
    resumedAt = System.nanoTime();
    frozenMillis = millis;
    membersLeftSinceResume = false;
    mergedSinceResume = false;
    if (running.isEmpty()) {
      LOG.warn("This node did not run for {} ms (a freeze); it runs no HA deployment", millis);
      return;
    }
    running.forEach((haId, deploymentId) -> {
      if (Supervisor.pauseIntake(vertx, deploymentId, true)) {
        fenced.put(haId, deploymentId);
      }
    });
    LOG.warn("This node did not run for {} ms (a freeze: SIGSTOP, a long GC pause, a suspended VM); the cluster may have "
      + "moved its HA deployments {} elsewhere: they take no new work until their claims are checked", millis,
      fenced.values());
    vertx.runOnContext(v -> {
      if (fenceTimer < 0) {
        fenceTimer = vertx.setPeriodic(FENCE_CHECK_MILLIS, id -> checkFenced());
      }
    });
  }

  /**
   * Every {@value #FENCE_CHECK_MILLIS} ms while fenced: once this node's view of the cluster can be trusted again (see
   * {@link #watchFreezes}), each fenced deployment is undeployed if another live node holds its claim, else claimed
   * again and resumed.
   */
  private void checkFenced() {
    if (fenced.isEmpty()) {
      vertx.cancelTimer(fenceTimer);
      fenceTimer = -1;
      return;
    }
    if (checkingFenced || !settled(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - resumedAt))) {
      return;
    }
    // Each stays fenced until its own decision (a lease renewal must not resume it meanwhile).
    Map<String, String> checking = new HashMap<>(fenced);
    checkingFenced = true;
    vertx.<Map<String, String>>executeBlocking(() -> {
      Map<String, String> holders = new HashMap<>();
      checking.forEach((haId, deploymentId) -> {
        String holder = owners.putIfAbsent(haId, nodeId);
        if (holder != null && !holder.equals(nodeId) && !isMember(holder) && owners.replace(haId, holder, nodeId)) {
          holder = nodeId; // the holder left meanwhile: this copy is the one
        }
        holders.put(haId, holder == null ? nodeId : holder);
      });
      return holders;
    }, false).onComplete(ar -> {
      checkingFenced = false;
      if (ar.failed()) {
        LOG.warn("Cannot check the claims of fenced HA deployments yet: {}", ar.cause().toString());
        return;
      }
      checking.forEach((haId, deploymentId) -> {
        String holder = ar.result().get(haId);
        if (!fenced.remove(haId, deploymentId)) {
          return; // decided meanwhile (the lease found it lost), or fenced again by a later freeze
        }
        if (holder.equals(nodeId)) {
          LOG.info("Supervised deployment {} (haId {}) is still this node's after the freeze; resuming it{}",
            deploymentId, haId, lease.serving(haId) ? "" : " once a quorum renews its lease");
          if (lease.serving(haId)) {
            Supervisor.pauseIntake(vertx, deploymentId, false);
          }
        } else {
          undeployCopy(deploymentId, () -> LOG.warn("Supervised deployment {} (haId {}) runs on node {} since this "
            + "node's freeze; undeploying this copy", deploymentId, haId, holder));
        }
      });
    });
  }

  /** Whether this node's view of the members and claims can be trusted, {@code since} ms after a freeze. */
  private boolean settled(long since) {
    boolean alone = Members.liveNodeIds(hazelcast).size() <= 1;
    if (membersLeftSinceResume) {
      // Split from the others: decide once merged back (or alone for long: the others are gone).
      return mergedSinceResume || alone && since >= ALONE_MILLIS || since >= 2 * boundMillis + ALONE_MILLIS;
    }
    if (frozenMillis >= boundMillis + HEARTBEAT_MILLIS) {
      // The others removed this node; it has not noticed yet. Wait for it to (a bound), and for the merge.
      return since >= 2 * boundMillis + ALONE_MILLIS;
    }
    // Perhaps not removed: members that removed this node leave its view within a bound and two heartbeats.
    return since >= boundMillis + 2 * HEARTBEAT_MILLIS;
  }

  /** Undeploys this node's copy of a deployment another node holds, unless an earlier check is undeploying it. */
  private void undeployCopy(String deploymentId, Runnable log) {
    if (!undeploying.add(deploymentId)) {
      return;
    }
    log.run();
    vertx.undeploy(deploymentId)
      .onFailure(err -> LOG.debug("Undeploy of {}: {}", deploymentId, err.toString()))
      .onComplete(ar -> undeploying.remove(deploymentId));
  }

  /** Hazelcast's failure-detection bound, from its configuration. */
  private static long heartbeatBoundMillis(HazelcastInstance hazelcast) {
    String seconds = hazelcast.getConfig().getProperty("hazelcast.max.no.heartbeat.seconds");
    try {
      return TimeUnit.SECONDS.toMillis(seconds == null ? 60 : Long.parseLong(seconds.trim()));
    } catch (NumberFormatException e) {
      return TimeUnit.SECONDS.toMillis(60);
    }
  }

  /** Admits an HA deployment (one with a {@code haId}) by claiming it; any other starts at once. */
  @Override
  public Future<Void> admit(StartGate.Deployment deployment) {
    String haId = deployment.options().haId();
    if (haId == null) {
      return Future.succeededFuture();
    }
    return claim(haId, deployment.verticle())
      .compose(v -> lease.acquire(haId).onFailure(err -> release(haId)))
      .onSuccess(v -> running.put(haId, deployment.deploymentId()));
  }

  @Override
  public void gaveUp(StartGate.Deployment deployment) {
    String haId = deployment.options().haId();
    if (haId != null && running.remove(haId, deployment.deploymentId())) {
      lease.release(haId);
    }
  }

  /** Releases the claim of an HA deployment that ended here (when this node holds it: a hand-off moved it already). */
  @Override
  public void ended(StartGate.Deployment deployment) {
    String haId = deployment.options().haId();
    if (haId != null) {
      if (running.remove(haId, deployment.deploymentId())) {
        lease.release(haId);
      }
      release(haId);
    }
  }

  /**
   * Claims an HA deployment for this node: succeeds if nobody holds it, if this node does, or if its holder has left
   * the cluster; fails, naming the holder, if another live node holds it.
   *
   * @param haId     the deployment's identity
   * @param verticle the verticle, for messages
   * @return completes when claimed
   */
  public Future<Void> claim(String haId, String verticle) {
    if (!claimedHere.add(haId)) {
      // Vert.x HA can redeploy one deployment twice on one node (after a freeze, a lost and regained quorum).
      return Future.failedFuture(new IllegalStateException(verticle + " (haId " + haId + ") already runs on this node ("
        + nodeId + "); not starting a second copy"));
    }
    return vertx.<String>executeBlocking(() -> {
      while (true) {
        String holder = owners.putIfAbsent(haId, nodeId);
        if (holder == null || holder.equals(nodeId)) {
          return null;
        }
        if (isMember(holder)) {
          throw new IllegalStateException(verticle + " (haId " + haId + ") already runs on node " + holder
            + "; not starting a second copy");
        }
        // A failover: the holder left. Spread: the least loaded node of the HA group takes it (this one on a tie).
        String target = leastLoaded(List.of());
        String to = target == null ? nodeId : target;
        if (owners.replace(haId, holder, to)) {
          return to.equals(nodeId) ? null : to;
        }
      }
    }, false).<Void>compose(target -> {
      if (target == null) {
        return Future.succeededFuture();
      }
      JsonObject record = failedOverRecord(haId);
      if (record == null) {
        return Future.succeededFuture(); // not found: run it here after all
      }
      String className = record.getString("verticle_name").replaceFirst("^" + Supervisor.PREFIX + ":", "");
      LOG.info("Failover of {} (haId {}): spreading it to node {}, less loaded than this one", className, haId,
        target);
      return deployOn(target, className, record.getJsonObject("options"))
        .compose(reply -> Future.failedFuture(new SupervisorHandedOffException(className, target, null)));
    }).onFailure(err -> claimedHere.remove(haId));
  }

  /**
   * Runs again what departed nodes left behind; undeploys the local copies of deployments another live node holds;
   * re-claims the ones nobody holds. A reconcile asked for while one runs is covered by it (see {@link SingleFlight}).
   */
  void reconcile() {
    reconciling.run(this::reconcileNow);
  }

  private Future<Void> reconcileNow() {
    Future<Void> record = vertx.<Void>executeBlocking(() -> {
      pruneOwnRecord();
      return null;
    }, false).onFailure(err -> LOG.warn("Cannot check this node's HA record: {}", err.toString())).otherwiseEmpty();
    Future<Void> orphans = vertx.executeBlocking(this::takeOrphans, false)
      .onSuccess(this::redeploy)
      .onFailure(err -> LOG.warn("Cannot check for orphaned HA deployments: {}", err.toString()))
      .<Void>mapEmpty().otherwiseEmpty();
    Map<String, String> running = Map.copyOf(this.running);
    if (running.isEmpty()) {
      return Future.all(record, orphans).mapEmpty();
    }
    Future<Void> claims = vertx.<Map<String, String>>executeBlocking(() -> {
      Map<String, String> duplicates = new HashMap<>();
      running.forEach((haId, deploymentId) -> {
        String holder = owners.putIfAbsent(haId, nodeId);
        if (holder != null && !holder.equals(nodeId) && isMember(holder)) {
          duplicates.put(deploymentId, haId + " held by node " + holder);
        }
      });
      return duplicates;
    }, false).onSuccess(duplicates -> duplicates.forEach((deploymentId, why) -> {
      undeployCopy(deploymentId, () -> LOG.warn("Supervised deployment {} also runs elsewhere ({}); undeploying this "
        + "copy", deploymentId, why));
    })).onFailure(err -> LOG.warn("Cannot check deployment claims: {}", err.toString()))
      .<Void>mapEmpty().otherwiseEmpty();
    return Future.all(record, orphans, claims).mapEmpty();
  }

  /**
   * Removes from this node's Vert.x HA record the deployments that no longer run here because another live node runs
   * them, or because this node runs them again as another deployment. Vert.x HA undeploys a node's HA deployments
   * when it loses its quorum without taking them out of its record, and queues them for a redeploy; when the claims
   * refuse that redeploy (another node took the deployment over meanwhile), the record would list them for good, and
   * the cluster would start them again when this node leaves; when this node takes such a deployment back later, the
   * record lists it twice. Vert.x writes the record again on each HA deploy here, so this runs on every reconcile; the
   * write is a compare-and-set against Vert.x's own.
   */
  private void pruneOwnRecord() {
    IMap<String, String> haInfo = hazelcast.getMap(HA_INFO_MAP);
    String record = haInfo.get(nodeId);
    if (record == null) {
      return;
    }
    // Read after the record: Vert.x adds a deployment to its record only once it is deployed.
    Set<String> deployed = vertx.deploymentIDs();
    JsonObject info = new JsonObject(record);
    JsonArray verticles = info.getJsonArray("verticles", new JsonArray());
    Map<String, String> runHere = new HashMap<>(); // deployment id by haId, of the record's entries that run here
    for (Object item : verticles) {
      JsonObject verticle = (JsonObject) item;
      if (haId(verticle) != null && deployed.contains(verticle.getString("dep_id"))) {
        runHere.put(haId(verticle), verticle.getString("dep_id"));
      }
    }
    JsonArray kept = new JsonArray();
    List<String> gone = new ArrayList<>();
    for (Object item : verticles) {
      JsonObject verticle = (JsonObject) item;
      String haId = haId(verticle);
      String where = null;
      if (haId != null && !deployed.contains(verticle.getString("dep_id"))) {
        // Not running here and another deployment of it does (this node took it back after losing it): a stale
        // entry, which a failover would try to start a second time. Not running here and held by another live node:
        // it runs there. (Not running here and held by nobody else: Vert.x undeployed it on a lost quorum and holds
        // it for a redeploy; the record is what fails it over.)
        if (runHere.containsKey(haId)) {
          where = "running here as " + runHere.get(haId);
        } else {
          String holder = owners.get(haId);
          if (holder != null && !holder.equals(nodeId) && isMember(holder)) {
            where = "running on node " + holder;
          }
        }
      }
      if (where == null) {
        kept.add(verticle);
      } else {
        gone.add(verticle.getString("verticle_name") + " (" + verticle.getString("dep_id") + ", " + where + ")");
      }
    }
    if (!gone.isEmpty() && haInfo.replace(nodeId, record, info.put("verticles", kept).encode())) {
      LOG.info("Removed {} from this node's HA record: those deployments are not running here", gone);
    }
  }

  /**
   * The HA deployments of departed nodes that no failover took. Vert.x HA fails a node's deployments over only when
   * it sees the node leave while it has a quorum (HAManager.nodeLeft); when the quorum is lost at that moment (two
   * nodes of three die at once with {@code -quorum 2}), their record stays in {@code __vertx.haInfo} and nothing runs
   * them once a quorum is back. A record that has stayed orphaned for a whole reconcile period is taken here, by the
   * one node whose atomic remove of it succeeds, and its deployments are deployed again with HA: Vert.x holds them
   * until there is a quorum, and the claims keep them from running twice.
   */
  private List<JsonObject> takeOrphans() {
    IMap<String, String> haInfo = hazelcast.getMap(HA_INFO_MAP);
    java.util.Set<String> live = Members.liveNodeIds(hazelcast);
    Map<String, String> orphans = new HashMap<>();
    for (Map.Entry<String, String> entry : haInfo.entrySet()) {
      if (!live.contains(entry.getKey())) {
        orphans.put(entry.getKey(), entry.getValue());
      }
    }
    long now = System.currentTimeMillis();
    List<JsonObject> taken = new java.util.ArrayList<>();
    orphansSeen.keySet().retainAll(orphans.keySet());
    orphans.forEach((node, record) -> {
      Map.Entry<String, Long> seen = orphansSeen.get(node);
      if (seen == null || !seen.getKey().equals(record)) {
        orphansSeen.put(node, Map.entry(record, now));
      } else if (now - seen.getValue() >= RECONCILE_MILLIS && haInfo.remove(node, record)) {
        orphansSeen.remove(node);
        for (Object verticle : new JsonObject(record).getJsonArray("verticles", new JsonArray())) {
          taken.add(((JsonObject) verticle).put("node", node));
        }
      }
    });
    return taken;
  }

  private void redeploy(List<JsonObject> orphans) {
    for (JsonObject orphan : orphans) {
      String name = orphan.getString("verticle_name");
      DeploymentOptions options = new DeploymentOptions(orphan.getJsonObject("options", new JsonObject())).setHa(true);
      LOG.warn("HA deployment {} of departed node {} was never failed over (no quorum when it left); deploying it "
        + "again, once there is a quorum", name, orphan.getString("node"));
      vertx.deployVerticle(name, options)
        .onSuccess(id -> LOG.info("Redeployed {} of departed node {} as {}", name, orphan.getString("node"), id))
        .onFailure(err -> LOG.warn("Redeploying {} of departed node {}: {}", name, orphan.getString("node"),
          err.getMessage()));
    }
  }

  /** The {@code supervisor.haId} of a deployment in a Vert.x HA record, or {@code null}. */
  private static String haId(JsonObject record) {
    JsonObject config = record.getJsonObject("options", new JsonObject()).getJsonObject("config");
    JsonObject supervisor = config == null ? null : config.getJsonObject("supervisor");
    return supervisor == null ? null : supervisor.getString("haId");
  }

  /** The departed node's Vert.x HA record of the deployment with this haId (still there while it fails over). */
  private JsonObject failedOverRecord(String haId) {
    IMap<String, String> haInfo = hazelcast.getMap(HA_INFO_MAP);
    for (String value : haInfo.values()) {
      for (Object item : new JsonObject(value).getJsonArray("verticles", new JsonArray())) {
        JsonObject record = (JsonObject) item;
        if (haId.equals(haId(record))) {
          return record;
        }
      }
    }
    return null;
  }

  /**
   * The live node of this node's HA group with the fewest HA deployments, not in {@code excluded}; this node wins
   * a tie. {@code null} when none.
   */
  private String leastLoaded(Collection<?> excluded) {
    IMap<String, String> haInfo = hazelcast.getMap(HA_INFO_MAP);
    Map<String, String> live = haInfo.getAll(Members.liveNodeIds(hazelcast)); // one read for every live node
    String own = live.get(nodeId);
    String group = own == null ? null : new JsonObject(own).getString("group");
    String best = null;
    int bestLoad = Integer.MAX_VALUE;
    for (Map.Entry<String, String> entry : live.entrySet()) {
      String node = entry.getKey();
      JsonObject info = new JsonObject(entry.getValue());
      int load = info.getJsonArray("verticles", new JsonArray()).size();
      if (!excluded.contains(node) && Objects.equals(group, info.getString("group"))
        && (load < bestLoad || (load == bestLoad && node.equals(nodeId)))) {
        best = node;
        bestLoad = load;
      }
    }
    return best;
  }

  /**
   * Gives an HA deployment up, if this node holds it (an undeploy that is not a failover).
   *
   * @param haId the deployment's identity
   * @return completes when released
   */
  public Future<Void> release(String haId) {
    claimedHere.remove(haId);
    return vertx.executeBlocking(() -> {
      owners.remove(haId, nodeId);
      return null;
    }, false);
  }

  /**
   * The {@code handoff} give-up action: hands the deployment to another node of this node's HA group that has not
   * failed it yet, deployed there with {@code options} and HA, and records this node as having failed it.
   *
   * @param haId     the deployment's identity
   * @param verticle the verticle's class name
   * @param options  the deployment options for the other node (instances, config)
   * @return the node that runs it now; failed when every eligible node has failed it
   */
  public Future<String> handOff(String haId, String verticle, DeploymentOptions options) {
    return vertx.executeBlocking(() -> chooseTarget(haId), false)
      .compose(target -> deployOn(target, verticle, options.toJson()).map(target));
  }

  /** Asks {@code node} to deploy the verticle supervised (see {@link #deployHandedOff}). */
  private Future<Message<String>> deployOn(String node, String verticle, JsonObject options) {
    return vertx.eventBus().request(DEPLOY_ADDRESS_PREFIX + node,
      new JsonObject().put("verticle", verticle).put("options", options),
      new DeliveryOptions().setSendTimeout(HANDOFF_TIMEOUT_MS));
  }

  /** Records this node as failed for the deployment, picks the least loaded eligible node and makes it the holder. */
  private String chooseTarget(String haId) {
    handoffs.lock(haId);
    try {
      JsonArray failed = new JsonArray(handoffs.getOrDefault(haId, "[]"));
      if (!failed.contains(nodeId)) {
        failed.add(nodeId);
      }
      String target = leastLoaded(failed.getList());
      if (target == null) {
        handoffs.delete(haId);
        throw new IllegalStateException("every eligible node of the HA group has failed it: " + failed);
      }
      handoffs.set(haId, failed.encode());
      owners.set(haId, target);
      return target;
    } finally {
      handoffs.unlock(haId);
    }
  }

  /** Deploys a deployment handed to this node; replies when it runs (or was handed on again). */
  private void deployHandedOff(Message<JsonObject> message) {
    String verticle = message.body().getString("verticle");
    DeploymentOptions options = new DeploymentOptions(message.body().getJsonObject("options"));
    LOG.info("Deploying {} handed to this node", verticle);
    Supervisor.deploy(vertx, verticle, options).onComplete(ar -> {
      if (ar.succeeded()) {
        message.reply(ar.result());
      } else if (ar.cause() instanceof SupervisorHandedOffException moved) {
        message.reply(moved.node());
      } else {
        message.fail(500, String.valueOf(ar.cause().getMessage()));
      }
    });
  }

  /** The leases of this node's HA deployments. */
  ClusterLease lease() {
    return lease;
  }

  /** What a change of a lease held here does to the deployment's copy. */
  private final class LeaseEvents implements ClusterLease.Holder {
    @Override
    public void expired(String haId) {
      String deploymentId = running.get(haId);
      if (deploymentId != null) {
        Supervisor.pauseIntake(vertx, deploymentId, true);
      }
    }

    @Override
    public void renewed(String haId) {
      String deploymentId = running.get(haId);
      if (deploymentId != null && !fenced.containsKey(haId)) {
        Supervisor.pauseIntake(vertx, deploymentId, false);
      }
    }

    @Override
    public void lost(String haId, String node) {
      String deploymentId = running.get(haId);
      fenced.remove(haId);
      if (deploymentId != null) {
        undeployCopy(deploymentId, () -> LOG.warn("Supervised deployment {} (haId {}) runs on node {} since this node "
          + "lost its lease; undeploying this copy", deploymentId, haId, node));
      }
    }
  }

  private boolean isMember(String node) {
    return Members.liveNodeIds(hazelcast).contains(node);
  }
}
