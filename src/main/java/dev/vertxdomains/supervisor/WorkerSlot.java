package dev.vertxdomains.supervisor;

import dev.vertxdomains.domain.DomainError;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.List;

/**
 * The supervisor of one verticle instance, deployed as one instance of the supervised deployment. It deploys the
 * user's verticle as a child deployment with one instance, recycles it when its top-level domain receives an
 * error (the replacement is deployed at once, the old instance drains), and restarts it with backoff when it
 * crashes or fails to start. All its state is confined to its own context.
 */
final class WorkerSlot implements Deployable {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerSlot.class);
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  final SupervisedGroup group;
  private final Promise<Void> firstStart = Promise.promise();
  private final List<Worker> retiring = new ArrayList<>();
  private Context context;
  private Vertx vertx;
  private int index;
  private Worker current;
  /** The newest instance, kept to report the slot as failed once the supervisor gave up. */
  private Worker latest;
  private int generation;
  private int backoffAttempt;
  private volatile long restarts;
  private long backoffTimer = -1;
  private boolean stopping;

  WorkerSlot(SupervisedGroup group) {
    this.group = group;
  }

  String id() {
    return group.deploymentId() + "/" + index;
  }

  long restarts() {
    return restarts;
  }

  /** Snapshots of the current instance and of those still draining. */
  List<WorkerInfo> infos() {
    List<WorkerInfo> infos = new ArrayList<>(2);
    Worker now = current;
    if (now != null) {
      infos.add(now.info());
    } else if (latest != null && latest.state() == WorkerState.FAILED) {
      infos.add(latest.info());
    }
    synchronized (retiring) {
      for (Worker worker : retiring) {
        infos.add(worker.info());
      }
    }
    return infos;
  }

  @Override
  public Future<?> deploy(Context context) {
    this.context = context;
    this.vertx = context.owner();
    this.index = group.join(this, context);
    group.claimed().onComplete(ar -> context.runOnContext(v -> {
      if (ar.succeeded()) {
        startInstance(null);
      } else {
        stopping = true;
        group.leave(this, vertx);
        firstStart.tryFail(ar.cause());
      }
    }));
    return firstStart.future();
  }

  @Override
  public Future<?> undeploy(Context context) {
    // Vert.x has already undeployed the workers (child deployments), each drained by its shell.
    stopping = true;
    if (backoffTimer >= 0) {
      vertx.cancelTimer(backoffTimer);
    }
    Worker now = current;
    if (now != null && now.state() != WorkerState.FAILED) {
      now.state(WorkerState.STOPPED);
      publish(now, null);
    }
    group.leave(this, vertx);
    return Future.succeededFuture();
  }

  // ----------------------------------------------------------------------------------------------------------------

  /**
   * Deploys a new instance; {@code replacing}, if any, is drained once the new instance has started (or failed to),
   * so that it leaves the shared port only when its replacement listens.
   */
  private void startInstance(Worker replacing) {
    if (stopping || group.gaveUp()) {
      if (replacing != null) {
        drainAndUndeploy(replacing);
      }
      return;
    }
    Worker worker = new Worker(this, ++generation);
    current = worker;
    latest = worker;
    publish(worker, null);
    vertx.deployVerticle(() -> new WorkerShell(worker, instantiate()), group.childOptions()).onComplete(ar -> {
      if (replacing != null) {
        drainAndUndeploy(replacing);
      }
      if (ar.failed()) {
        onFailedStart(worker, ar.cause());
        return;
      }
      worker.deploymentId(ar.result());
      if (worker.undeployRequested()) {
        undeployRetired(worker);
        return;
      }
      if (worker.state() == WorkerState.STARTING) {
        worker.state(WorkerState.RUNNING);
        publish(worker, null);
        firstStart.tryComplete();
      }
    });
  }

  private Deployable instantiate() {
    try {
      return group.factory.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("could not create " + group.verticleName + ": " + e, e);
    }
  }

  /** The last error of any instance of this slot, shown for its replacement too. */
  volatile String lastError;

  private void onFailedStart(Worker worker, Throwable cause) {
    worker.lastError(cause);
    worker.state(WorkerState.STOPPED);
    log(worker, null, () -> LOG.warn("Worker {} of {} failed to start: {}", id(), group.verticleName, cause.toString()));
    publish(worker, cause);
    if (stopping) {
      return;
    }
    if (group.recordCrash()) {
      giveUp(cause);
      return;
    }
    scheduleStart(worker, group.options.backoffDelay(backoffAttempt++));
  }

  /** Called on the instance's context when its top-level domain receives an error. */
  void onError(Worker worker, DomainError error) {
    context.runOnContext(v -> handleError(worker, error));
  }

  private void handleError(Worker worker, DomainError error) {
    WorkerState state = worker.state();
    worker.lastError(error);
    if (state != WorkerState.RUNNING && state != WorkerState.STARTING) {
      log(worker, error, () -> LOG.debug("Worker {} is already {}; error ignored: {}", id(), state.label(),
        error.cause().toString()));
      return;
    }
    boolean requestError = !error.domain().isTopLevel();
    restarts++;
    log(worker, error, () -> LOG.warn("Recycling worker {} (generation {}) of {} after {} error: {}", id(),
      worker.generation(), group.verticleName, requestError ? "a request" : "an instance", error.cause().toString()));
    boolean stable = state == WorkerState.RUNNING && worker.uptimeMillis() >= group.options.backoffResetMs();
    retire(worker);
    if (requestError) {
      // The failure was confined to one request, already answered: replace at once, without backoff.
      startInstance(worker);
      return;
    }
    if (group.recordCrash()) {
      drainAndUndeploy(worker);
      giveUp(error.cause());
      return;
    }
    if (stable) {
      backoffAttempt = 0;
    }
    long delay = backoffAttempt == 0 ? 0 : group.options.backoffDelay(backoffAttempt - 1);
    backoffAttempt++;
    if (delay <= 0) {
      startInstance(worker);
    } else {
      drainAndUndeploy(worker);
      scheduleStart(worker, delay);
    }
  }

  private void scheduleStart(Worker failed, long delay) {
    if (delay <= 0) {
      startInstance(null);
      return;
    }
    if (current == failed) {
      failed.state(WorkerState.BACKING_OFF);
    }
    publish(failed, null, new JsonObject().put("backoffMillis", delay));
    backoffTimer = vertx.setTimer(delay, id -> {
      backoffTimer = -1;
      startInstance(null);
    });
  }

  /**
   * Marks {@code worker} as retiring: it keeps serving, and its place on the shared port, until
   * {@link #drainAndUndeploy} runs once its replacement listens.
   */
  private void retire(Worker worker) {
    worker.state(WorkerState.DRAINING);
    if (current == worker) {
      current = null;
    }
    synchronized (retiring) {
      retiring.add(worker);
    }
    publish(worker, null);
  }

  /** Drains {@code worker} (no new work, in-flight work finishes, bounded by the kill timer), then undeploys it. */
  private void drainAndUndeploy(Worker worker) {
    Drain drain = new Drain(System.currentTimeMillis() + group.options.killTimeoutMs(), false);
    worker.drain(drain).onComplete(ar -> context.runOnContext(v -> undeployRetired(worker)));
  }

  private void undeployRetired(Worker worker) {
    String deploymentId = worker.deploymentId();
    if (deploymentId == null) {
      // Still starting: undeploy as soon as its deployment completes.
      worker.undeployRequested(true);
      return;
    }
    vertx.undeploy(deploymentId).onComplete(ar -> {
      synchronized (retiring) {
        retiring.remove(worker);
      }
      if (worker.state() == WorkerState.FAILED) {
        return; // the supervisor gave up: the slot stays reported as failed
      }
      worker.state(WorkerState.STOPPED);
      if (ar.failed()) {
        log(worker, null, () -> LOG.debug("Undeploying worker {} generation {}: {}", id(), worker.generation(),
          ar.cause().toString()));
      }
      publish(worker, null);
    });
  }

  private void giveUp(Throwable cause) {
    if (!group.giveUp()) {
      return;
    }
    SupervisorOptions options = group.options;
    LOG.error("Supervised deployment {} of {} gave up: more than {} crashes within {} ms (last: {}); action: {}",
      group.deploymentId(), group.verticleName, options.maxRestarts(), options.restartPeriodMs(), cause.toString(),
      options.giveUp().name().toLowerCase(java.util.Locale.ROOT));
    SupervisorGaveUpException failure = new SupervisorGaveUpException(group.deploymentId(), group.verticleName,
      options.maxRestarts(), options.restartPeriodMs(), cause);
    DeploymentClaims claims = Supervisor.claims(vertx);
    if (options.giveUp() == GiveUpAction.HANDOFF && claims != null && options.haId() != null) {
      DeploymentOptions moved = group.childOptions().setInstances(group.slots.size()).setHa(true);
      claims.handOff(options.haId(), group.verticleName, moved).onComplete(ar -> context.runOnContext(v -> {
        if (ar.succeeded()) {
          LOG.warn("Supervised deployment {} of {} handed to node {}", group.deploymentId(), group.verticleName,
            ar.result());
          stop(new SupervisorHandedOffException(group.verticleName, ar.result(), cause));
        } else {
          LOG.error("Supervised deployment {} of {} could not be handed off ({}); stopping it",
            group.deploymentId(), group.verticleName, ar.cause().getMessage());
          stop(failure);
        }
      }));
      return;
    }
    if (options.giveUp() == GiveUpAction.EXIT) {
      Supervisor.exit(vertx, options.exitCode(), failure.getMessage());
      return;
    }
    stop(failure);
  }

  /** Marks every slot failed and undeploys the deployment (or fails its first start). */
  private void stop(RuntimeException failure) {
    for (WorkerSlot slot : group.slots) {
      slot.context.runOnContext(v -> slot.markFailed(failure));
    }
    if (firstStart.future().isComplete()) {
      vertx.undeploy(group.deploymentId());
    }
  }

  private void markFailed(RuntimeException failure) {
    if (backoffTimer >= 0) {
      vertx.cancelTimer(backoffTimer);
      backoffTimer = -1;
    }
    Worker now = latest;
    if (now != null) {
      now.state(WorkerState.FAILED);
      publish(now, failure);
    }
    // A deployment that never fully started fails, so whoever deployed it hears why.
    firstStart.tryFail(failure);
  }

  private void publish(Worker worker, Throwable error) {
    publish(worker, error, null);
  }

  private void publish(Worker worker, Throwable error, JsonObject extra) {
    JsonObject event = worker.info().toJson().put("type", "state");
    if (error != null) {
      event.put("error", error.getClass().getName() + (error.getMessage() != null ? ": " + error.getMessage() : ""));
    }
    if (extra != null) {
      event.mergeIn(extra);
    }
    vertx.eventBus().publish(Supervisor.EVENTS_ADDRESS, event, LOCAL);
  }

  private void log(Worker worker, DomainError error, Runnable statement) {
    try (MDC.MDCCloseable d = MDC.putCloseable("deployment", group.deploymentId());
         MDC.MDCCloseable w = MDC.putCloseable("worker", id() + "#" + worker.generation());
         MDC.MDCCloseable m = MDC.putCloseable("domain", error != null ? error.domain().id() : null)) {
      statement.run();
    }
  }
}
