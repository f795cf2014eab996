package dev.vertxdomains.supervisor;

import dev.vertxdomains.supervisor.spi.Generation;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Deploys verticles as supervised workers: Node's cluster master, per verticle instance, in-process.
 * <p>
 * A supervised deployment with {@code instances = N} runs N workers, each its own Vert.x deployment with one
 * instance, so one can be replaced alone. When a worker's top-level domain receives an error (an uncaught error, or
 * one a request's domain escalated), the supervisor deploys a replacement at once and drains the old instance: it
 * takes no new work, finishes what it has, and is undeployed when done or when the kill timer fires. Failed starts
 * and errors outside any request domain count as crashes: they restart with exponential backoff, and too many within
 * the restart period run the give-up action. See {@link SupervisorOptions} for the settings, read from the
 * deployment config under {@value SupervisorOptions#CONFIG_KEY}.
 * <p>
 * The same deployment by name: {@code vertx.deployVerticle("supervised:com.acme.App", options)}, which is also the
 * identifier Vert.x HA redeploys on another node. Every worker state change is published on the local event bus at
 * {@value #EVENTS_ADDRESS} as a JSON object (see {@link WorkerInfo#toJson()}, plus {@code type}).
 */
public final class Supervisor {

  /** The verticle-name prefix of supervised deployments. */
  public static final String PREFIX = "supervised";

  /** The local event-bus address where worker state changes are published. */
  public static final String EVENTS_ADDRESS = "vertx-domains.supervisor.events";

  private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
  private static final Map<Vertx, Set<SupervisedDeployment>> GROUPS = new ConcurrentHashMap<>();
  private static final Map<Vertx, SlotWatchdog> WATCHDOGS = new ConcurrentHashMap<>();
  private static final Map<Vertx, List<io.vertx.core.Handler<JsonObject>>> LISTENERS = new ConcurrentHashMap<>();
  private static final int FAILED_KEPT = 64;
  private static final io.vertx.core.eventbus.DeliveryOptions LOCAL_ONLY =
    new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true);
  private static final Map<Vertx, java.util.Deque<WorkerInfo>> FAILED = new ConcurrentHashMap<>();

  private Supervisor() {
  }

  /**
   * Deploys a verticle by class name, supervised.
   *
   * @param vertx        the Vert.x instance
   * @param verticleName a class name, optionally with the {@code java:} prefix
   * @param options      the deployment options: instances, config (with the {@value SupervisorOptions#CONFIG_KEY}
   *                     section), threading model, HA
   * @return the supervised deployment's id, once every worker has started
   */
  public static Future<String> deploy(Vertx vertx, String verticleName, DeploymentOptions options) {
    Objects.requireNonNull(verticleName, "verticleName");
    if (options != null && options.getInstances() < 1) {
      return noInstances(options);
    }
    return vertx.deployVerticle(PREFIX + ":" + verticleName, withHaId(options));
  }

  /**
   * For an HA deployment, the options with a fresh {@link SupervisorOptions#haId()} (unless they have one): Vert.x HA
   * records the options, so the id follows the deployment from node to node.
   *
   * @param options deployment options
   * @return the same options, with the id added when {@code ha} is set
   */
  public static DeploymentOptions withHaId(DeploymentOptions options) {
    if (options == null || !options.isHa()) {
      return options;
    }
    JsonObject config = options.getConfig() == null ? new JsonObject() : options.getConfig().copy();
    Object section = config.getValue(SupervisorOptions.CONFIG_KEY);
    if (section == null) {
      section = new JsonObject();
    }
    if (!(section instanceof JsonObject supervisor)) {
      return options; // invalid: the deployment reports it
    }
    if (!supervisor.containsKey("haId")) {
      supervisor.put("haId", java.util.UUID.randomUUID().toString());
    }
    config.put(SupervisorOptions.CONFIG_KEY, supervisor);
    return options.setConfig(config);
  }

  /**
   * Deploys a verticle class, supervised; each worker gets a new instance from its no-argument constructor.
   *
   * @param vertx   the Vert.x instance
   * @param type    the verticle class
   * @param options the deployment options
   * @return the supervised deployment's id, once every worker has started
   */
  public static Future<String> deploy(Vertx vertx, Class<? extends Deployable> type, DeploymentOptions options) {
    Objects.requireNonNull(type, "type");
    return deploy(vertx, type.getName(), () -> {
      try {
        return type.getDeclaredConstructor().newInstance();
      } catch (ReflectiveOperationException e) {
        throw new IllegalArgumentException("type: " + type.getName() + " needs a public no-argument constructor", e);
      }
    }, options);
  }

  /**
   * Deploys verticles made by {@code supplier}, supervised; it is called for every worker and every replacement,
   * and must return a new instance each time.
   *
   * @param vertx    the Vert.x instance
   * @param supplier makes verticle instances
   * @param options  the deployment options
   * @return the supervised deployment's id, once every worker has started
   */
  public static Future<String> deploy(Vertx vertx, Supplier<? extends Deployable> supplier,
                                      DeploymentOptions options) {
    Objects.requireNonNull(supplier, "supplier");
    return deploy(vertx, "supplier:" + supplier.getClass().getName(), supplier, options);
  }

  private static Future<String> deploy(Vertx vertx, String name, Supplier<? extends Deployable> supplier,
                                       DeploymentOptions options) {
    if (options.getInstances() < 1) {
      return noInstances(options);
    }
    try {
      SupervisorOptions.fromConfig(options.getConfig());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    SupervisedDeployment group = new SupervisedDeployment(name, supplier::get);
    return vertx.deployVerticle(() -> new Slot(group), withHaId(options));
  }

  private static Future<String> noInstances(DeploymentOptions options) {
    return Future.failedFuture(new IllegalArgumentException("options.instances: must be at least 1, got "
      + options.getInstances()));
  }

  /**
   * Gracefully undeploys a supervised deployment: the same as {@code vertx.undeploy(id)}, which drains every worker
   * (each finishes its in-flight work within the kill timeout) before it is undeployed.
   *
   * @param vertx        the Vert.x instance
   * @param deploymentId the supervised deployment's id
   * @return completes when every worker is undeployed
   */
  public static Future<Void> undeploy(Vertx vertx, String deploymentId) {
    return vertx.undeploy(deploymentId);
  }

  /**
   * A snapshot of the worker the calling code runs in: its id, generation, node and state.
   *
   * @return the snapshot, or {@code null} outside a supervised verticle instance
   */
  public static WorkerInfo currentWorker() {
    dev.vertxdomains.supervisor.spi.Generation generation = dev.vertxdomains.supervisor.spi.Generation.current();
    return generation == null ? null : generation.info();
  }

  /**
   * Registers a listener of this Vert.x instance's supervisor events: the same JSON objects that are published at
   * {@value #EVENTS_ADDRESS}, given to the listener directly, on the thread that publishes them (a slot's event loop),
   * in order, just before they go on the event bus. A listener must be quick, never block and be thread-safe, and
   * must not change the event. It costs nothing per event but the call, where an event-bus consumer on another
   * event loop costs a wake-up of that loop for every event: for listeners inside the process (health, metrics)
   * under a high recycle rate.
   *
   * @param vertx    the Vert.x instance
   * @param listener called with every event
   * @return removes the listener when run
   */
  public static Runnable listen(Vertx vertx, io.vertx.core.Handler<JsonObject> listener) {
    Objects.requireNonNull(listener, "listener");
    List<io.vertx.core.Handler<JsonObject>> list = LISTENERS.computeIfAbsent(vertx,
      v -> new java.util.concurrent.CopyOnWriteArrayList<>());
    list.add(listener);
    return () -> list.remove(listener);
  }

  /** Gives an event to the listeners, then publishes it on the local event bus. */
  static void publish(Vertx vertx, JsonObject event) {
    for (io.vertx.core.Handler<JsonObject> listener : LISTENERS.getOrDefault(vertx, List.of())) {
      try {
        listener.handle(event);
      } catch (RuntimeException e) {
        LOG.warn("A supervisor event listener failed: {}", e.toString());
      }
    }
    vertx.eventBus().publish(EVENTS_ADDRESS, event, LOCAL_ONLY);
  }

  /** Keeps the last state of a worker whose deployment gave up, so that it stays visible with its reason. */
  static void keepFailed(Vertx vertx, WorkerInfo info) {
    java.util.Deque<WorkerInfo> kept = FAILED.computeIfAbsent(vertx, v -> new java.util.concurrent.ConcurrentLinkedDeque<>());
    kept.addLast(info);
    while (kept.size() > FAILED_KEPT) {
      kept.pollFirst();
    }
  }

  /**
   * Snapshots of every supervised worker of this Vert.x instance, including instances still draining, and the workers
   * of the last deployments that gave up (state {@code failed}, with their last error; at most 64 are kept).
   *
   * @param vertx the Vert.x instance
   * @return the workers, by deployment and slot
   */
  public static List<WorkerInfo> workers(Vertx vertx) {
    List<WorkerInfo> infos = new ArrayList<>();
    for (SupervisedDeployment group : GROUPS.getOrDefault(vertx, Set.of())) {
      for (Slot slot : group.slots) {
        infos.addAll(slot.infos());
      }
    }
    infos.addAll(FAILED.getOrDefault(vertx, new java.util.ArrayDeque<>()));
    infos.sort(java.util.Comparator.comparing(WorkerInfo::worker).thenComparing(WorkerInfo::generation));
    return infos;
  }

  /**
   * Pauses or resumes the intake of new work of a supervised deployment of this Vert.x instance: while paused, every
   * slot's listeners leave their ports and its consumers their addresses, as for a stuck loop, and the work they
   * already took goes on. For layers above the supervisor, which decide when a deployment may not take work here.
   *
   * @param vertx        the Vert.x instance
   * @param deploymentId the supervised deployment's id
   * @param paused       {@code true} to stop the intake, {@code false} to resume it
   * @return whether the deployment runs here
   */
  public static boolean pauseIntake(Vertx vertx, String deploymentId, boolean paused) {
    for (SupervisedDeployment group : GROUPS.getOrDefault(vertx, Set.of())) {
      if (Objects.equals(deploymentId, group.deploymentId())) {
        group.slots.forEach(slot -> slot.pauseIntake(paused));
        return true;
      }
    }
    return false;
  }

  static synchronized void register(Vertx vertx, SupervisedDeployment group) {
    GROUPS.computeIfAbsent(vertx, v -> ConcurrentHashMap.newKeySet()).add(group);
    WATCHDOGS.computeIfAbsent(vertx, SlotWatchdog::start);
  }

  static synchronized void unregister(Vertx vertx, SupervisedDeployment group) {
    GROUPS.computeIfPresent(vertx, (v, groups) -> {
      groups.remove(group);
      return groups.isEmpty() ? null : groups;
    });
    if (!GROUPS.containsKey(vertx)) {
      SlotWatchdog watchdog = WATCHDOGS.remove(vertx);
      if (watchdog != null) {
        watchdog.stop();
      }
    }
  }

  /** Every slot of every supervised deployment of this Vert.x instance. */
  static List<Slot> slots(Vertx vertx) {
    List<Slot> slots = new ArrayList<>();
    for (SupervisedDeployment group : GROUPS.getOrDefault(vertx, Set.of())) {
      slots.addAll(group.slots);
    }
    return slots;
  }

  /** The Vert.x cluster node id, or {@code "local"}; Vert.x 5 has no public accessor for it. */
  static String nodeId(Vertx vertx) {
    if (vertx.isClustered() && vertx instanceof io.vertx.core.internal.VertxInternal internal
      && internal.clusterManager() != null) {
      return internal.clusterManager().getNodeId();
    }
    return "local";
  }

  /** The give-up action {@link GiveUpAction#EXIT}: drain everything, close Vert.x, exit the JVM. */
  static void exit(Vertx vertx, int code, String reason) {
    exit(vertx, code, reason, 60_000);
  }

  /** As {@link #exit(Vertx, int, String)}, halting after {@code boundMillis} whatever is left (a stuck loop). */
  static void exit(Vertx vertx, int code, String reason, long boundMillis) {
    LOG.error("Exiting with code {}: {}", code, reason);
    Thread guard = new Thread(() -> {
      try {
        Thread.sleep(boundMillis);
      } catch (InterruptedException ignored) {
        return;
      }
      Runtime.getRuntime().halt(code);
    }, "vertx-domains-exit-guard");
    guard.setDaemon(true);
    guard.start();
    // Closing Vert.x undeploys every deployment; each slot drains first (see Slot#undeploy).
    vertx.close().onComplete(ar -> System.exit(code));
  }
}
