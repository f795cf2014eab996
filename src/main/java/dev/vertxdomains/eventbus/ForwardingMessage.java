package dev.vertxdomains.eventbus;

import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.Message;

/** A message handed to user code in place of Vert.x's: everything but the answer is the original message's. */
abstract class ForwardingMessage<T> implements Message<T> {

  final Message<T> message;

  ForwardingMessage(Message<T> message) {
    this.message = message;
  }

  @Override
  public String address() {
    return message.address();
  }

  @Override
  public MultiMap headers() {
    return message.headers();
  }

  @Override
  public T body() {
    return message.body();
  }

  @Override
  public String replyAddress() {
    return message.replyAddress();
  }

  @Override
  public boolean isSend() {
    return message.isSend();
  }
}
