package dev.vertxdomains.supervisor.spi;

import io.vertx.core.Handler;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The handlers each generation of a slot registered with one listener the slot owns (an HTTP server, an event-bus
 * consumer), and the one way to hand that listener's new work to the serving generation's handlers. For
 * vertx-domains' own integrations (HTTP, vertx-web, the event bus), not for applications.
 *
 * @param <H> what a generation registers (its handlers for the listener)
 */
public final class GenerationHandlers<H> {

  private final SlotScope scope;
  private final Map<Generation, H> handlers = new ConcurrentHashMap<>();

  /**
   * The handlers of the listener kept by {@code scope}'s slot.
   *
   * @param scope the slot's scope
   */
  public GenerationHandlers(SlotScope scope) {
    this.scope = Objects.requireNonNull(scope, "scope");
  }

  /**
   * Registers {@code generation}'s handlers; generations that are over (one whose start failed or timed out never
   * unregisters) leave no entry behind.
   *
   * @param generation the generation
   * @param handler    its handlers
   */
  public void register(Generation generation, H handler) {
    handlers.keySet().removeIf(worker -> worker.info().state().isOver());
    handlers.put(generation, handler);
  }

  /**
   * Takes {@code generation}'s handlers out, if they are still the registered ones.
   *
   * @param generation the generation
   * @param handler    its handlers
   */
  public void unregister(Generation generation, H handler) {
    handlers.remove(generation, handler);
  }

  /**
   * The handlers of the generation the current context belongs to, when that generation is the one serving: work
   * created on that context (a request on a connection, a message) goes straight to them.
   *
   * @return the handlers, or {@code null} when the work must be handed over ({@link #dispatch})
   */
  public H current() {
    Generation worker = Generation.current();
    return worker == null || worker != scope.serving() ? null : handlers.get(worker);
  }

  /**
   * The handlers of the serving generation.
   *
   * @return the handlers, or {@code null} while no generation serves or it registered none
   */
  public H serving() {
    Generation serving = scope.serving();
    return serving == null ? null : handlers.get(serving);
  }

  /**
   * Hands one piece of work to the serving generation's handlers ({@link SlotScope#dispatch}): {@code task} runs on
   * a new duplicate of that generation's context; while no generation is ready the work is held. When no generation
   * with handlers takes it in time, {@code unavailable} runs instead, with the seconds after which a retry may work.
   *
   * @param task        the work, given the handlers
   * @param unavailable called instead of {@code task}
   */
  public void dispatch(Handler<H> task, Handler<Long> unavailable) {
    scope.dispatch(worker -> {
      H handler = handlers.get(worker);
      if (handler == null) {
        unavailable.handle(1L);
      } else {
        task.handle(handler);
      }
    }, unavailable);
  }
}
