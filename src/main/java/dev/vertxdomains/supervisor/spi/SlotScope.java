package dev.vertxdomains.supervisor.spi;

import dev.vertxdomains.supervisor.SupervisorOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;

import java.util.function.Function;

/**
 * What outlives the generations of one supervised worker slot: its event-loop context, a keyed place for resources
 * that stay while generations come and go (an HTTP listener, an event-bus consumer), and the hand-off of new work to
 * the generation currently serving.
 * <p>
 * This is how the HTTP and event-bus integrations recycle an instance without touching a connection or a
 * subscription: the slot owns the listener or consumer, and each request or message is dispatched to the current
 * generation on a duplicate of that generation's context. While no generation is ready (the first start, a crash
 * backoff), new work is held up to {@link dev.vertxdomains.supervisor.SupervisorOptions#holdTimeoutMs()}, then rejected.
 * <p>
 * {@link #current()} returns {@code null} outside a supervised instance.
 */
public interface SlotScope {

  /**
   * The scope of the supervised slot the current code runs in.
   *
   * @return the scope, or {@code null} outside a supervised verticle instance
   */
  static SlotScope current() {
    Generation generation = Generation.current();
    return generation == null ? null : generation.slot();
  }

  /**
   * The slot's context: an event-loop context on the slot's own event loop, where every generation of the slot runs
   * too (worker and virtual-thread verticles hop from it to their own thread). Resources that outlive generations
   * are created and listen here.
   *
   * @return the slot's context
   */
  Context context();

  /**
   * The slot's id, {@code <deployment>/<slot>}.
   *
   * @return the id
   */
  String id();

  /**
   * The resource kept under {@code key} for the whole life of the slot, made by {@code factory} on first use.
   *
   * @param key     what identifies the resource (equals/hashCode), for example a listen address and its options
   * @param factory makes the resource; called on the calling thread until it returns one (a factory that returns
   *                {@code null} stores nothing, which makes this a lookup)
   * @param <T>     the resource's type
   * @return the resource, or {@code null} if the factory returned {@code null}
   */
  <T> T resource(Object key, Function<SlotScope, T> factory);

  /**
   * Registers a participant in the slot's own graceful end (undeploy, scale-down, shutdown): it is called on the
   * slot's context while the current generation still serves, and the generations are undeployed once every
   * participant's future has completed, or at the kill deadline.
   *
   * @param participant called once with the drain request ({@link Drain#undeploying()} is {@code true})
   * @return this scope
   */
  SlotScope onClose(Function<Drain, Future<?>> participant);

  /**
   * Registers a listener of the slot having to stop taking new work: its event loop is blocked beyond
   * {@link dev.vertxdomains.supervisor.SupervisorOptions#stuckTimeoutMs()}, or its deployment's intake was paused ({@link dev.vertxdomains.supervisor.Supervisor#pauseIntake},
   * by another layer). Called with {@code true} on a thread that is not the
   * slot's (its loop may be blocked),
   * and with {@code false} on the slot's context once it may take work again. A listener stops and resumes taking new
   * work without the slot's loop (an HTTP listener leaves and rejoins its port's balancer, a consumer its address).
   *
   * @param listener the listener
   * @return this scope
   */
  SlotScope onStuck(Handler<Boolean> listener);

  /**
   * For a stand-in slot, the scope of the stuck slot it takes new work for. When a slot's event loop is blocked beyond
   * {@link dev.vertxdomains.supervisor.SupervisorOptions#stuckTimeoutMs()}, the supervisor starts a stand-in slot of the same deployment on a free
   * event loop; it serves until the stuck slot's loop runs again, then drains and goes. Resources that join the
   * stuck slot's (a shared port) must not wait for anything that runs on the blocked loop.
   *
   * @return the stuck slot's scope, or {@code null} for a slot that stands in for none
   */
  SlotScope standsInFor();

  /**
   * The generation that takes new work now.
   *
   * @return the serving generation, or {@code null} while none is ready
   */
  Generation serving();

  /**
   * Hands one piece of new work to the serving generation: {@code task} runs on a new duplicate of that generation's
   * context, at once when called on the slot's thread and the generation is an event-loop one. While no generation
   * is ready the work is held, in order, and handed over as soon as one is; after
   * {@link dev.vertxdomains.supervisor.SupervisorOptions#holdTimeoutMs()}, or when the slot goes, {@code rejected} runs instead, on the slot's
   * context, with the number of seconds after which a retry may succeed.
   *
   * @param task     the work, given the generation it runs in
   * @param rejected called instead of {@code task} when no generation took the work in time
   */
  void dispatch(Handler<Generation> task, Handler<Long> rejected);
}
