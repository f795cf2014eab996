package dev.vertxdomains.supervisor;

import dev.vertxdomains.supervisor.spi.SlotScope;
import dev.vertxdomains.supervisor.spi.Generation;
import dev.vertxdomains.supervisor.spi.Drain;
import dev.vertxdomains.domain.Domain;
import dev.vertxdomains.domain.DomainError;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A generation as the slot runs it ({@link Generation} is what integrations see): it starts the verticle on a context
 * of its own, drains it, stops it, and carries what is reported for it.
 */
final class SlotGeneration implements Generation {

  private final Slot slot;
  private final int generation;
  private final List<Function<Drain, Future<?>>> participants = new ArrayList<>();
  /** What is reported for this generation: the slot's transitions write it, then its retirement. */
  private volatile WorkerState state = WorkerState.STARTING;
  /** Replaced: it takes no new work, and its state is its retirement's. */
  private volatile boolean retired;
  private volatile long startedAt;
  private Context context;
  private Deployable verticle;
  private Future<Void> started;
  private volatile Future<Void> drained;
  private Future<Void> stopped;
  private Promise<Void> expiry;
  private Promise<Void> drainDone;
  private boolean expireRequested;

  SlotGeneration(Slot slot, int generation) {
    this.slot = slot;
    this.generation = generation;
  }

  @Override
  public Context context() {
    return context;
  }

  @Override
  public SlotScope slot() {
    return slot;
  }

  @Override
  public boolean isDraining() {
    return drained != null;
  }

  @Override
  public ErrorPolicy errorPolicy() {
    return slot.group.options.errorPolicy();
  }

  @Override
  public SupervisorOptions options() {
    return slot.group.options;
  }

  @Override
  public SlotGeneration onDrain(Function<Drain, Future<?>> participant) {
    participants.add(participant);
    return this;
  }

  @Override
  public void requestFailed(String request) {
    Vertx vertx = context == null ? null : context.owner();
    if (vertx != null) {
      Supervisor.publish(vertx, info().toJson().put("type", "request-error")
        .put("policy", errorPolicy().name().toLowerCase(java.util.Locale.ROOT)).put("request", request));
    }
  }

  @Override
  public String workerId() {
    return slot.id();
  }

  @Override
  public int generation() {
    return generation;
  }

  @Override
  public WorkerInfo info() {
    return info(state);
  }

  /** A snapshot of this generation as reported in {@code shown}. */
  WorkerInfo info(WorkerState shown) {
    long up = startedAt != 0 && (shown == WorkerState.RUNNING || shown == WorkerState.DRAINING
      || shown == WorkerState.STUCK || shown == WorkerState.PAUSED) ? System.currentTimeMillis() - startedAt : 0;
    return new WorkerInfo(slot.group.deploymentId(), slot.group.verticleName, slot.id(), generation,
      slot.group.nodeId(), shown, slot.restarts(), up, slot.lastError);
  }

  @Override
  public String toString() {
    return workerId() + "#" + generation;
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Used by the slot, on the slot's context unless said otherwise.

  WorkerState state() {
    return state;
  }

  void state(WorkerState state) {
    if (state == WorkerState.RUNNING && this.state != WorkerState.STUCK && this.state != WorkerState.PAUSED) {
      startedAt = System.currentTimeMillis();
    }
    this.state = state;
  }

  long uptimeMillis() {
    return startedAt == 0 ? 0 : System.currentTimeMillis() - startedAt;
  }

  boolean retired() {
    return retired;
  }

  /** Replaced by the slot: from now on it takes no new work and is reported draining, then stopped. */
  void retire() {
    retired = true;
    state = WorkerState.DRAINING;
  }

  /** Called on the generation's context when its top-level domain receives an error. */
  void slotError(DomainError error) {
    slot.onError(this, error);
  }

  /**
   * Starts the generation: a new context on the slot's event loop, the supervisor as the listener of its top-level
   * domain, then the verticle's own start on that context. A failed start closes what it created.
   */
  Future<Void> start(Context slotContext, Deployable verticle) {
    this.verticle = verticle;
    Context on = SupervisorInternals.generationContext(slotContext);
    context = on;
    on.put(CONTEXT_KEY, this);
    Domain.topLevel(on).errorHandler(this::slotError);
    Promise<Void> started = Promise.promise();
    this.started = started.future();
    long bound = options().startTimeoutMs();
    if (bound > 0) {
      long timer = slotContext.owner().setTimer(bound, id -> {
        if (started.tryFail(new StartTimeoutException(workerId(), generation, bound))) {
          SupervisorInternals.closeGeneration(slotContext, on);
        }
      });
      started.future().onComplete(ar -> slotContext.owner().cancelTimer(timer));
    }
    // At once when the slot's thread is the generation's (an event-loop verticle): the replacement is serving before
    // the slot reads its next request, so nothing waits in the hand-off queue.
    SupervisorInternals.emit(on, null, v -> {
      Future<?> future;
      try {
        future = verticle.deploy(on);
      } catch (Throwable t) {
        future = Future.failedFuture(t);
      }
      future.onComplete(ar -> {
        if (started.future().isComplete()) {
          return; // timed out: already failed, and closed
        }
        if (ar.succeeded()) {
          started.tryComplete();
        } else {
          SupervisorInternals.closeGeneration(slotContext, on).onComplete(closed -> started.tryFail(ar.cause()));
        }
      });
    });
    return started.future();
  }

  /**
   * Drains the generation (bounded by the request's deadline), runs the verticle's stop on its context, then closes
   * everything it created. Safe to call more than once: the first call wins.
   */
  synchronized Future<Void> stop(Context slotContext, Drain request) {
    if (stopped != null) {
      return stopped;
    }
    Context on = context;
    if (on == null) {
      stopped = Future.succeededFuture();
      return stopped;
    }
    // A generation still starting is stopped once its start is over; one whose start failed is closed already.
    stopped = started.transform(start -> start.failed() ? Future.succeededFuture() : drain(request).transform(ignored -> {
      Promise<Void> done = Promise.promise();
      on.runOnContext(v -> {
        Future<?> future;
        try {
          future = verticle.undeploy(on);
        } catch (Throwable t) {
          future = Future.failedFuture(t);
        }
        future.onComplete(ar -> SupervisorInternals.closeGeneration(slotContext, on)
          .onComplete(closed -> done.handle(ar.succeeded() ? closed : Future.failedFuture(ar.cause()))));
      });
      return done.future();
    }));
    return stopped;
  }

  /** Whether {@link #expire} was called. */
  synchronized boolean expiring() {
    return expireRequested;
  }

  /**
   * Ends this generation's drain now, as if its kill timer had fired: what it still has in flight is answered 503.
   */
  synchronized void expire() {
    expireRequested = true;
    Promise<Void> pending = expiry;
    Promise<Void> done = drainDone;
    Context on = context;
    if (pending != null && on != null) {
      on.runOnContext(v -> {
        pending.tryComplete();
        done.tryComplete();
      });
    }
  }

  /**
   * Runs the drain participants once, on the generation's context; the future completes when all are done or at the
   * deadline, whichever comes first (the deadline first completes {@link Drain#expired()}).
   */
  synchronized Future<Void> drain(Drain request) {
    if (drained != null) {
      return drained;
    }
    Promise<Void> done = Promise.promise();
    drained = done.future();
    Context on = context;
    if (on == null || participants.isEmpty()) {
      done.complete();
      return drained;
    }
    Vertx vertx = on.owner();
    Promise<Void> expiry = Promise.promise();
    this.expiry = expiry;
    this.drainDone = done;
    Drain drain = new Drain(request.deadline(), request.undeploying(), expiry.future());
    long remaining = expireRequested ? 1 : Math.max(1, request.remainingMillis());
    long deadlineTimer = vertx.setTimer(remaining, id -> on.runOnContext(v -> {
      expiry.tryComplete();
      done.tryComplete();
    }));
    on.runOnContext(v -> {
      runAll(drain, participants).onComplete(ar -> {
        vertx.cancelTimer(deadlineTimer);
        done.tryComplete();
      });
    });
    return drained;
  }

  /** Calls every participant with {@code drain}; one that throws counts as failed. Completes when all are done. */
  static Future<?> runAll(Drain drain, List<Function<Drain, Future<?>>> participants) {
    List<Future<?>> futures = new ArrayList<>(participants.size());
    for (Function<Drain, Future<?>> participant : participants) {
      try {
        futures.add(participant.apply(drain));
      } catch (Throwable t) {
        futures.add(Future.failedFuture(t));
      }
    }
    return Future.join(futures);
  }
}
