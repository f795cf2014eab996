package dev.vertxdomains.eventbus;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;

import java.util.concurrent.atomic.AtomicBoolean;

/** The message handed to user code: the same message, remembering whether it was answered, so that it is answered once. */
final class TrackedMessage<T> extends ForwardingMessage<T> {

  private final AtomicBoolean answered = new AtomicBoolean();
  private final java.util.function.Consumer<TrackedMessage<?>> onAnswer;

  /** {@code onAnswer}, if not {@code null}, is told when the single answer is claimed. */
  TrackedMessage(Message<T> message, java.util.function.Consumer<TrackedMessage<?>> onAnswer) {
    super(message);
    this.onAnswer = onAnswer;
  }

  /** Claims the single answer; {@code false} if it was already given. */
  boolean claim() {
    if (answered.compareAndSet(false, true)) {
      if (onAnswer != null) {
        onAnswer.accept(this);
      }
      return true;
    }
    return false;
  }

  boolean answered() {
    return answered.get();
  }

  Message<T> message() {
    return message;
  }

  @Override
  public void reply(Object reply, DeliveryOptions options) {
    if (claim()) {
      message.reply(reply, options);
    }
  }

  @Override
  public <R> Future<Message<R>> replyAndRequest(Object reply, DeliveryOptions options) {
    if (claim()) {
      return message.replyAndRequest(reply, options);
    }
    return Future.failedFuture(new IllegalStateException("The message to " + address() + " was already answered"));
  }
}
