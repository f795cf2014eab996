package dev.vertxdomains.eventbus;

import dev.vertxdomains.domain.Domain;
import dev.vertxdomains.supervisor.spi.Drain;
import dev.vertxdomains.supervisor.spi.Generation;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.streams.ReadStream;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The {@link MessageConsumer} a supervised generation gets from {@link EventBusDomains}: its handler, registered with
 * the slot's consumer for the address ({@link SlotConsumer}). Unregistering it only stops this generation taking
 * messages. Flow control ({@code pause}, {@code fetch}) is not supported across generations: the slot's consumer
 * delivers as messages come.
 */
final class GenerationConsumer<T> implements MessageConsumer<T> {

  private final Generation worker;
  private final SlotConsumer<T> slot;
  private final Set<TrackedMessage<?>> answering = ConcurrentHashMap.newKeySet();
  private volatile Handler<Message<T>> handler;
  private volatile boolean registered = true;
  private volatile Promise<Void> idle;

  GenerationConsumer(Generation worker, SlotConsumer<T> slot, Handler<Message<T>> handler) {
    this.worker = worker;
    this.slot = slot;
    this.handler = handler;
    worker.onDrain(this::drain);
    slot.register(this);
  }

  Generation worker() {
    return worker;
  }

  /** A message, on a duplicate of this generation's context. */
  void handle(Message<T> message) {
    // Fire-and-forget messages are not waited for by a drain: their work is bounded by the kill timer.
    boolean answerable = message.replyAddress() != null;
    TrackedMessage<T> tracked = new TrackedMessage<>(message, answerable ? this::answered : null);
    if (answerable) {
      answering.add(tracked);
    }
    EventBusDomains.handle(tracked, handler);
  }

  private void answered(TrackedMessage<?> message) {
    answering.remove(message);
    Promise<Void> waiting = idle;
    if (waiting != null && answering.isEmpty()) {
      waiting.tryComplete();
    }
  }

  /** The generation's drain: wait for the messages it must answer; at the deadline fail them 503. */
  private Future<?> drain(Drain drain) {
    Promise<Void> waiting = Promise.promise();
    idle = waiting;
    if (answering.isEmpty()) {
      waiting.tryComplete();
    }
    if (drain.expired() != null) {
      drain.expired().onComplete(v -> {
        for (TrackedMessage<?> message : answering) {
          if (message.claim()) {
            message.message().fail(EventBusDomains.UNAVAILABLE_CODE, EventBusDomains.UNAVAILABLE_MESSAGE);
          }
        }
        waiting.tryComplete();
      });
    }
    return waiting.future().onComplete(v -> slot.unregister(this));
  }

  @Override
  public MessageConsumer<T> exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public MessageConsumer<T> handler(Handler<Message<T>> handler) {
    this.handler = handler;
    return this;
  }

  /**
   * Vert.x 5.2's {@code MessageConsumer.processor}, declared without {@code @Override} so that the same class serves
   * 5.0 and 5.1, which lack it: each message runs {@code processor} in the message's domain, and a future it returns
   * that fails is an error of that message (answered {@value EventBusDomains#FAILURE_CODE}, then the error policy).
   *
   * @param processor the message processor; {@code null} unregisters, as in Vert.x
   * @return this consumer
   */
  public MessageConsumer<T> processor(Function<Message<T>, Future<?>> processor) {
    if (processor == null) {
      unregister();
      return this;
    }
    return handler(message -> {
      Domain domain = Domain.active();
      Future<?> result = processor.apply(message);
      if (result != null && domain != null) {
        result.onFailure(domain::report);
      }
    });
  }

  @Override
  public MessageConsumer<T> pause() {
    return this;
  }

  @Override
  public MessageConsumer<T> resume() {
    return this;
  }

  @Override
  public MessageConsumer<T> fetch(long amount) {
    return this;
  }

  @Override
  public MessageConsumer<T> endHandler(Handler<Void> endHandler) {
    return this;
  }

  @Override
  public ReadStream<T> bodyStream() {
    throw new UnsupportedOperationException("bodyStream() of a supervised consumer: use handler()");
  }

  @Override
  public boolean isRegistered() {
    return registered && slot.registered().succeeded();
  }

  @Override
  public String address() {
    return slot.address();
  }

  @Override
  public Future<Void> completion() {
    return slot.registered();
  }

  @Override
  public Future<Void> unregister() {
    registered = false;
    slot.unregister(this);
    return Future.succeededFuture();
  }
}
