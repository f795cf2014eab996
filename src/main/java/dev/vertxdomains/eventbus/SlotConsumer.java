package dev.vertxdomains.eventbus;

import dev.vertxdomains.supervisor.spi.GenerationHandlers;
import dev.vertxdomains.supervisor.spi.SlotScope;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;


/**
 * The event-bus consumer of one supervised worker slot for one address: registered once, on the slot's context, for
 * the whole life of the slot, it hands every message to the generation serving at that moment. A recycle therefore
 * neither unregisters nor registers anything: a clustered event bus sees no subscription change, and there is no
 * window without a consumer. While the slot's event loop is stuck the consumer leaves the address, and joins it again
 * once the loop runs. When the slot itself goes, the consumer unregisters and the messages Vert.x had queued
 * for it are handed to the address's other consumers ({@link ConsumerDrain}).
 */
final class SlotConsumer<T> {

  /** What identifies a slot's consumer. */
  record Key(String address, boolean local) {
  }

  private final SlotScope scope;
  private final Vertx vertx;
  private final String address;
  private final boolean local;
  private final GenerationHandlers<GenerationConsumer<T>> generations;
  private final Future<Void> registered;
  /** The registration now taking messages, {@code null} while the slot's loop is stuck. */
  private ConsumerDrain current;
  /** Whether the slot is going (no more registrations). */
  private boolean closed;

  SlotConsumer(SlotScope scope, Vertx vertx, String address, boolean local) {
    this.scope = scope;
    this.vertx = vertx;
    this.address = address;
    this.local = local;
    this.generations = new GenerationHandlers<>(scope);
    Promise<Void> done = Promise.promise();
    registered = done.future();
    scope.context().runOnContext(v -> {
      register().onComplete(done);
      scope.onClose(request -> {
        synchronized (this) {
          closed = true;
        }
        return leave();
      });
      // A blocked loop would sit on every message the address gives it: leave the address until it runs again
      // (messages it had queued are handed to the other consumers once it does).
      scope.onStuck(this::stuck);
    });
  }

  private Future<Void> register() {
    MessageConsumer<T> consumer = local ? vertx.eventBus().localConsumer(address) : vertx.eventBus().consumer(address);
    ConsumerDrain drain = new ConsumerDrain(vertx, consumer);
    consumer.handler(this::dispatch);
    synchronized (this) {
      current = drain;
    }
    return consumer.completion();
  }

  private Future<?> leave() {
    ConsumerDrain drain;
    synchronized (this) {
      drain = current;
      current = null;
    }
    return drain == null ? Future.succeededFuture() : drain.drain();
  }

  private void stuck(boolean stuck) {
    if (stuck) {
      leave();
      return;
    }
    synchronized (this) {
      if (closed || current != null) {
        return;
      }
    }
    register();
  }

  String address() {
    return address;
  }

  Future<Void> registered() {
    return registered;
  }

  void register(GenerationConsumer<T> generation) {
    generations.register(generation.worker(), generation);
  }

  void unregister(GenerationConsumer<T> generation) {
    generations.unregister(generation.worker(), generation);
  }

  private void dispatch(Message<T> message) {
    generations.dispatch(generation -> generation.handle(message), retryAfter -> unavailable(message));
  }

  private static void unavailable(Message<?> message) {
    if (message.replyAddress() != null) {
      message.fail(EventBusDomains.UNAVAILABLE_CODE, EventBusDomains.UNAVAILABLE_MESSAGE);
    }
  }
}
