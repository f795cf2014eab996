package dev.vertxdomains.supervisor;

import dev.vertxdomains.supervisor.spi.GiveUpHandler;
import dev.vertxdomains.supervisor.spi.Integrations;
import dev.vertxdomains.supervisor.spi.StartGate;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One supervised deployment: the verticle, its options, its slots (one per instance) and the restart intensity they
 * share. Slots run on different event loops, so the shared bookkeeping here is synchronized; it only changes on
 * crashes, never on the request path.
 */
final class SupervisedDeployment {

  private static final Logger LOG = LoggerFactory.getLogger(Slot.class);

  final String verticleName;
  final Callable<? extends Deployable> factory;
  final List<Slot> slots = new CopyOnWriteArrayList<>();
  /** The deployment's crash times (ms) within the restart window, oldest first (see {@link #decide}). */
  private List<Long> crashes = List.of();
  volatile SupervisorOptions options;
  private volatile DeploymentOptions childOptions;
  /** The instance count the deployment was made with (slots may still be joining when it matters). */
  private volatile int instances = 1;
  private volatile String deploymentId;
  private volatile String nodeId = "local";
  private volatile boolean gaveUp;
  /** The node the deployment was handed to when it gave up, if it was. */
  volatile String handedOffTo;
  /** Whether any instance of the deployment has ever run. */
  private volatile boolean everRan;
  private int nextSlot;
  private volatile io.vertx.core.Future<Void> admitted;
  /** The start gate that admitted the deployment, if any. */
  private StartGate gate;

  SupervisedDeployment(String verticleName, Callable<? extends Deployable> factory) {
    this.verticleName = verticleName;
    this.factory = factory;
  }

  /** Called by each slot as it deploys; the first call reads the options from the deployment's context. */
  synchronized int join(Slot slot, Context context) {
    if (options == null) {
      options = SupervisorOptions.fromConfig(context.config());
      deploymentId = context.deploymentID();
      childOptions = new DeploymentOptions()
        .setConfig(context.config() == null ? null : context.config().copy())
        .setThreadingModel(context.threadingModel())
        .setInstances(1);
      nodeId = Supervisor.nodeId(context.owner());
      instances = SupervisorInternals.instances(context);
      Supervisor.register(context.owner(), this);
      gate = Integrations.startGate(context.owner());
      admitted = gate == null ? io.vertx.core.Future.succeededFuture() : admit(gate);
    }
    slots.add(slot);
    return ++nextSlot;
  }

  synchronized void leave(Slot slot, Vertx vertx) {
    slots.remove(slot);
    if (slots.isEmpty()) {
      Supervisor.unregister(vertx, this);
      if (gate != null) {
        // Also when the admission completes later (an undeploy while the gate was still deciding): what it granted
        // must be given back.
        StartGate gated = gate;
        admitted.onSuccess(v -> gated.ended(asGated()));
      }
      Supervisor.publish(vertx, new JsonObject()
          .put("type", "undeployed").put("deployment", deploymentId()).put("verticle", verticleName)
          .put("node", nodeId()).put("gaveUp", gaveUp).put("handedOffTo", handedOffTo));
    }
  }

  /**
   * Decides what a slot does after {@code facts} ({@link RestartPolicy#decide}) and keeps the deployment's crash
   * history the decision returns: the history is the deployment's, shared by its slots.
   *
   * @param backoffAttempt the slot's backoff attempt
   */
  synchronized RestartPolicy.Decision decide(RestartPolicy.Facts facts, int backoffAttempt) {
    RestartPolicy.Decision decision = RestartPolicy.decide(facts, System.currentTimeMillis(), crashes,
      backoffAttempt, RestartPolicy.Limits.of(options), java.util.concurrent.ThreadLocalRandom.current().nextDouble());
    crashes = decision.crashes();
    return decision;
  }

  /** Whether a first start that failed this way fails the whole deployment at once. */
  boolean failsDeployment(RestartPolicy.Facts facts) {
    return RestartPolicy.failsDeployment(facts, RestartPolicy.Limits.of(options));
  }

  /** Marks the group as given up; returns {@code false} if it already was. */
  synchronized boolean giveUp() {
    if (gaveUp) {
      return false;
    }
    gaveUp = true;
    if (gate != null && admitted.succeeded()) {
      gate.gaveUp(asGated());
    }
    return true;
  }

  boolean gaveUp() {
    return gaveUp;
  }

  void ran() {
    everRan = true;
  }

  /** Whether an instance of the deployment has ever run. */
  boolean everRan() {
    return everRan;
  }

  /** Completes when this node may run the deployment (see {@link StartGate}). */
  io.vertx.core.Future<Void> admitted() {
    return admitted;
  }

  private io.vertx.core.Future<Void> admit(StartGate gate) {
    try {
      return gate.admit(asGated());
    } catch (RuntimeException e) {
      return io.vertx.core.Future.failedFuture(e);
    }
  }

  private StartGate.Deployment asGated() {
    return new StartGate.Deployment(deploymentId, verticleName, options);
  }

  String deploymentId() {
    return deploymentId;
  }

  String nodeId() {
    return nodeId;
  }

  int instances() {
    return instances;
  }

  DeploymentOptions childOptions() {
    return new DeploymentOptions(childOptions);
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Give-up: the deployment's, whichever slot crashed last.

  /**
   * Runs the give-up action, once: {@code stop} marks every slot failed and undeploys the deployment (or fails its
   * first start), {@code exit} exits the process, and any other action is the one another layer provides
   * ({@link dev.vertxdomains.supervisor.spi.Integrations#onGiveUp}), which moves the deployment, or it stops.
   *
   * @param cause   the last crash
   * @param from    the slot that crashed; the action's callbacks run on its context
   * @param started whether the deployment's start completed (then it is undeployed, else its start fails)
   */
  void giveUp(Throwable cause, Slot from, boolean started) {
    if (!giveUp()) {
      return;
    }
    Vertx vertx = from.home().owner();
    String action = options.giveUp().name().toLowerCase(java.util.Locale.ROOT);
    LOG.error("Supervised deployment {} of {} gave up: more than {} crashes within {} ms (last: {}); action: {}",
      deploymentId, verticleName, options.maxRestarts(), options.restartPeriodMs(), cause.toString(), action);
    SupervisorGaveUpException failure = new SupervisorGaveUpException(deploymentId, verticleName,
      options.maxRestarts(), options.restartPeriodMs(), cause);
    if (options.giveUp() == GiveUpAction.EXIT) {
      Supervisor.exit(vertx, options.exitCode(), failure.getMessage());
    } else if (options.giveUp() == GiveUpAction.STOP) {
      stop(failure, vertx, started);
    } else {
      moveAway(cause, failure, from, started);
    }
  }

  private void moveAway(Throwable cause, SupervisorGaveUpException failure, Slot from, boolean started) {
    Vertx vertx = from.home().owner();
    GiveUpHandler handler = Integrations.giveUpHandler(vertx, options.giveUp());
    if (handler == null) {
      LOG.error("Supervised deployment {} of {}: nothing on this node provides giveUp {}; "
        + "stopping it", deploymentId, verticleName, options.giveUp().name().toLowerCase(java.util.Locale.ROOT));
      stop(failure, vertx, started);
      return;
    }
    GiveUpHandler.GaveUp gaveUp = new GiveUpHandler.GaveUp(deploymentId, verticleName,
      childOptions().setInstances(instances), options, cause);
    Future<String> moved;
    try {
      moved = handler.moveAway(gaveUp);
    } catch (RuntimeException e) {
      moved = Future.failedFuture(e);
    }
    moved.onComplete(ar -> from.home().runOnContext(v -> {
      if (ar.succeeded()) {
        LOG.warn("Supervised deployment {} of {} handed to node {}", deploymentId, verticleName, ar.result());
        handedOffTo = ar.result();
        stop(new SupervisorHandedOffException(verticleName, ar.result(), cause), vertx, started);
      } else {
        LOG.error("Supervised deployment {} of {} could not be handed off ({}); stopping it", deploymentId,
          verticleName, ar.cause().getMessage());
        stop(failure, vertx, started);
      }
    }));
  }

  /** Marks every slot failed and undeploys the deployment (or fails its first start). */
  private void stop(RuntimeException failure, Vertx vertx, boolean started) {
    for (Slot slot : slots) {
      slot.home().runOnContext(v -> slot.markFailed(failure));
    }
    if (started) {
      vertx.undeploy(deploymentId);
    }
  }
}
