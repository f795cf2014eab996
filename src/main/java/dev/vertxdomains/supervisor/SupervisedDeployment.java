package dev.vertxdomains.supervisor;

import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One supervised deployment: the verticle, its options, its slots (one per instance) and the restart intensity they
 * share. Slots run on different event loops, so the shared bookkeeping here is synchronized; it only changes on
 * crashes, never on the request path.
 */
final class SupervisedDeployment {

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
  private volatile io.vertx.core.Future<Void> claimed;

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
      DeploymentClaims claims = Supervisor.claims(context.owner());
      claimed = options.haId() == null || claims == null
        ? io.vertx.core.Future.succeededFuture() : claims.claim(options.haId(), verticleName);
    }
    slots.add(slot);
    return ++nextSlot;
  }

  synchronized void leave(Slot slot, Vertx vertx) {
    slots.remove(slot);
    if (slots.isEmpty()) {
      Supervisor.unregister(vertx, this);
      DeploymentClaims claims = Supervisor.claims(vertx);
      if (claims != null && options.haId() != null && claimed.succeeded()) {
        claims.release(options.haId());
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

  /** Completes when this node may run the deployment (see {@link DeploymentClaims}). */
  io.vertx.core.Future<Void> claimed() {
    return claimed;
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
}
