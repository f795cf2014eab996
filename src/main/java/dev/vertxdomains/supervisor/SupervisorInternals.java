package dev.vertxdomains.supervisor;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.ThreadingModel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.internal.CloseFuture;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The one place where the supervisor touches Vert.x internals. Vert.x 5.0 has no public API to make a context on a
 * given event loop, to give a context close hooks of its own, or to run a handler on a context now when already on
 * its thread; a generation of a slot needs all three, and a stand-in for a stuck slot needs a loop of its own.
 */
final class SupervisorInternals {

  private SupervisorInternals() {
  }

  /** {@code context} itself if it runs on its event loop, else a new event-loop context on the same loop. */
  static Context eventLoopContext(Context context) {
    ContextInternal internal = (ContextInternal) context;
    if (internal.isEventLoopContext()) {
      return internal;
    }
    return internal.toBuilder().withThreadingModel(ThreadingModel.EVENT_LOOP).build();
  }

  /**
   * A new context for one generation of a slot: same event loop, threading model, worker pool, deployment and class
   * loader as {@code slot}, with close hooks of its own (timers, servers, clients and consumers its code creates).
   * It is closed with the slot if nothing closed it before.
   */
  static Context generationContext(Context slot) {
    ContextInternal base = (ContextInternal) slot;
    CloseFuture hooks = new CloseFuture();
    ContextInternal generation = base.toBuilder().withCloseFuture(hooks).build();
    base.addCloseHook(hooks);
    return generation;
  }

  /**
   * A new context like {@code slot} (deployment, threading model, worker pool, class loader) on the event loop that
   * runs the fewest of {@code placed} and none of {@code blocked}, with close hooks of its own, closed with
   * {@code slot}'s if nothing closed it before; {@code null} when every loop is blocked.
   */
  static Context onFreeLoop(Context slot, Collection<Context> placed, Collection<Context> blocked) {
    ContextInternal base = (ContextInternal) slot;
    Map<EventLoop, Integer> load = new HashMap<>();
    for (Context context : placed) {
      load.merge(((ContextInternal) context).nettyEventLoop(), 1, Integer::sum);
    }
    for (Context context : blocked) {
      load.put(((ContextInternal) context).nettyEventLoop(), Integer.MAX_VALUE);
    }
    EventLoop best = null;
    int least = Integer.MAX_VALUE;
    for (EventExecutor executor : ((VertxInternal) base.owner()).nettyEventLoopGroup()) {
      EventLoop loop = (EventLoop) executor;
      int count = load.getOrDefault(loop, 0);
      if (count < least) {
        best = loop;
        least = count;
      }
    }
    if (best == null) {
      return null;
    }
    CloseFuture hooks = new CloseFuture();
    ContextInternal context = base.toBuilder().withEventLoop(best).withCloseFuture(hooks).build();
    base.addCloseHook(hooks);
    return context;
  }

  /** Closes what a generation's code created (its close hooks) and its task queues. */
  static Future<Void> closeGeneration(Context slot, Context generation) {
    ContextInternal internal = (ContextInternal) generation;
    ((ContextInternal) slot).removeCloseHook(internal.closeFuture());
    return internal.close();
  }

  /** How many instances the deployment of {@code context} was made with (1 when it cannot be told). */
  static int instances(Context context) {
    ContextInternal internal = (ContextInternal) context;
    if (internal.deployment() == null || internal.deployment().deployment() == null) {
      return 1;
    }
    return internal.deployment().deployment().options().getInstances();
  }

  /** A new duplicate of {@code context} (empty context-local data). */
  static Context duplicate(Context context) {
    return ((ContextInternal) context).duplicate();
  }

  /** Runs {@code handler} on {@code context}: now if the calling thread is the context's, else on its thread. */
  static <T> void emit(Context context, T argument, Handler<T> handler) {
    ((ContextInternal) context).emit(argument, handler);
  }

  /** Whether the calling thread runs {@code context}'s tasks. */
  static boolean inThread(Context context) {
    return ((ContextInternal) context).inThread();
  }
}
