package dev.vertxdomains.supervisor;

import dev.vertxdomains.domain.DomainError;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The supervised verticle instance the current code runs in, as seen by integrations: whether it is draining,
 * and the participants that drain it. {@link #current()} returns {@code null} outside a supervised instance, so
 * integrations work the same, minus the draining, without a supervisor.
 */
public final class Worker {

  static final String CONTEXT_KEY = "dev.vertxdomains.supervisor.Worker";

  private final WorkerSlot slot;
  private final int generation;
  private final List<Function<Drain, Future<?>>> participants = new ArrayList<>();
  private volatile WorkerState state = WorkerState.STARTING;
  private volatile boolean draining;
  private volatile String lastError;
  private volatile long startedAt;
  private Context context;
  private String deploymentId;
  private Future<Void> drained;
  private boolean undeployRequested;

  Worker(WorkerSlot slot, int generation) {
    this.slot = slot;
    this.generation = generation;
  }

  /**
   * The supervised instance of the current context.
   *
   * @return the worker, or {@code null} outside a supervised verticle instance
   */
  public static Worker current() {
    Context context = Vertx.currentContext();
    return context == null ? null : context.get(CONTEXT_KEY);
  }

  /**
   * Whether the instance is draining: integrations stop taking new work and ask clients to go elsewhere
   * (for HTTP, {@code Connection: close} on every response).
   *
   * @return {@code true} once draining began
   */
  public boolean isDraining() {
    return draining;
  }

  /**
   * The error policy configured for this instance's request and message domains.
   *
   * @return the policy
   */
  public ErrorPolicy errorPolicy() {
    return slot.group.options.errorPolicy();
  }

  /**
   * The options of the supervised deployment.
   *
   * @return the options
   */
  public SupervisorOptions options() {
    return slot.group.options;
  }

  /**
   * Registers a drain participant (an HTTP server, an event-bus consumer): when the instance drains, it is called on
   * the instance's context and its future completes once it has finished its in-flight work. Call from the
   * instance's context, typically in {@code start()}.
   *
   * @param participant called once with the drain request
   * @return this worker
   */
  public Worker onDrain(Function<Drain, Future<?>> participant) {
    participants.add(participant);
    return this;
  }

  /**
   * The worker's id, {@code <deployment>/<slot>}: it stays the same when the instance is replaced.
   *
   * @return the id
   */
  public String id() {
    return slot.id();
  }

  /**
   * Which instance of its slot this is, from 1.
   *
   * @return the generation
   */
  public int generation() {
    return generation;
  }

  /**
   * A snapshot of this worker.
   *
   * @return the snapshot
   */
  public WorkerInfo info() {
    long up = state == WorkerState.RUNNING || state == WorkerState.DRAINING
      ? System.currentTimeMillis() - startedAt : 0;
    return new WorkerInfo(slot.group.deploymentId(), slot.group.verticleName, slot.id(), generation,
      slot.group.nodeId(), state, slot.restarts(), up, lastError != null ? lastError : slot.lastError);
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Used by the slot, on the slot's context unless said otherwise.

  WorkerState state() {
    return state;
  }

  void state(WorkerState state) {
    this.state = state;
    if (state == WorkerState.RUNNING) {
      startedAt = System.currentTimeMillis();
    }
  }

  long uptimeMillis() {
    return startedAt == 0 ? 0 : System.currentTimeMillis() - startedAt;
  }

  void lastError(Throwable error) {
    lastError = error.getClass().getName() + (error.getMessage() != null ? ": " + error.getMessage() : "");
    slot.lastError = lastError;
  }

  void lastError(DomainError error) {
    lastError(error.cause());
  }

  /** Called on the instance's context when its top-level domain receives an error. */
  void slotError(DomainError error) {
    slot.onError(this, error);
  }

  /** Called by the shell on the instance's context, before the user's start. */
  void attach(Context context) {
    this.context = context;
    context.put(CONTEXT_KEY, this);
  }

  Context context() {
    return context;
  }

  String deploymentId() {
    return deploymentId;
  }

  void deploymentId(String id) {
    deploymentId = id;
  }

  boolean undeployRequested() {
    return undeployRequested;
  }

  void undeployRequested(boolean value) {
    undeployRequested = value;
  }

  /**
   * Runs the drain participants once, on the instance's context; the future completes when all are done or at the
   * deadline, whichever comes first. Safe to call from any thread, any number of times.
   */
  synchronized Future<Void> drain(Drain request) {
    if (drained != null) {
      return drained;
    }
    draining = true;
    Promise<Void> done = Promise.promise();
    drained = done.future();
    Context on = context;
    if (on == null) {
      done.complete();
      return drained;
    }
    Vertx vertx = on.owner();
    long deadlineTimer = vertx.setTimer(Math.max(1, request.remainingMillis()), id -> done.tryComplete());
    on.runOnContext(v -> {
      List<Future<?>> futures = new ArrayList<>(participants.size());
      for (Function<Drain, Future<?>> participant : participants) {
        try {
          futures.add(participant.apply(request));
        } catch (Throwable t) {
          futures.add(Future.failedFuture(t));
        }
      }
      Future.join(futures).onComplete(ar -> {
        vertx.cancelTimer(deadlineTimer);
        done.tryComplete();
      });
    });
    return drained;
  }
}
