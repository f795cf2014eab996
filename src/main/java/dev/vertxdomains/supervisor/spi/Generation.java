package dev.vertxdomains.supervisor.spi;

import dev.vertxdomains.supervisor.ErrorPolicy;
import dev.vertxdomains.supervisor.SupervisorOptions;
import dev.vertxdomains.supervisor.WorkerInfo;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.function.Function;

/**
 * One generation of a supervised verticle instance, as integrations see it: its context (pinned to its slot's event
 * loop), its slot, and whether it is draining. A slot runs one generation at a time; when one is replaced it finishes
 * its work in flight while the next one serves, then it is undeployed: its own {@code stop}, then everything its code
 * created (timers, clients, servers, consumers) is closed. {@link #current()} returns {@code null} outside a
 * supervised instance, so integrations work the same, minus the hand-off, without a supervisor.
 */
public interface Generation {

  /** The context key under which a generation's context holds it. */
  String CONTEXT_KEY = "dev.vertxdomains.supervisor.Generation";

  /**
   * The generation the current code runs in.
   *
   * @return the generation, or {@code null} outside a supervised verticle instance
   */
  static Generation current() {
    Context context = Vertx.currentContext();
    return context == null ? null : context.get(CONTEXT_KEY);
  }

  /**
   * The context of this generation (a root context): every request or message dispatched to it runs on a duplicate
   * of it, on the slot's event loop (or, for worker and virtual-thread verticles, on their own thread).
   *
   * @return the context
   */
  Context context();

  /**
   * The slot this generation belongs to: what outlives generations (listeners, consumers) lives there.
   *
   * @return the slot's scope
   */
  SlotScope slot();

  /**
   * Whether this generation is draining: it takes no new work and finishes what it has.
   *
   * @return {@code true} once draining began
   */
  boolean isDraining();

  /**
   * The error policy configured for this instance's request and message domains.
   *
   * @return the policy
   */
  ErrorPolicy errorPolicy();

  /**
   * The options of the supervised deployment.
   *
   * @return the options
   */
  SupervisorOptions options();

  /**
   * Registers a drain participant: when this generation drains, it is called on the generation's context and its
   * future completes once its in-flight work is done. At the kill deadline {@link Drain#expired()} completes and the
   * generation is undeployed whatever remains. Call from the generation's context, typically in {@code start()}.
   *
   * @param participant called once with the drain request
   * @return this generation
   */
  Generation onDrain(Function<Drain, Future<?>> participant);

  /**
   * Records that a request or message handled by this generation failed and was answered: an event of type
   * {@code request-error} with the {@code policy} that then applies and {@code request}, a short description
   * (an HTTP method and path, an event-bus address). The HTTP and event-bus integrations call it; metrics count it.
   *
   * @param request what failed, for example {@code GET /orders}
   */
  void requestFailed(String request);

  /**
   * The id of the worker (the slot) this generation runs in, {@code <deployment>/<slot>}: every generation of the
   * slot has it, as {@link WorkerInfo#worker()}.
   *
   * @return the worker's id
   */
  String workerId();

  /**
   * Which generation of its slot this is, from 1.
   *
   * @return the generation
   */
  int generation();

  /**
   * A snapshot of this generation.
   *
   * @return the snapshot
   */
  WorkerInfo info();
}
