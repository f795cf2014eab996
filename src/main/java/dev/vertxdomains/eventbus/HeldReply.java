package dev.vertxdomains.eventbus;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;

/**
 * A service call's message whose answer, while the generated handler runs, is held: sent when the handler returns,
 * dropped when it throws (see {@link ServiceDomains}). After that, answers go straight through.
 */
final class HeldReply<T> extends ForwardingMessage<T> {

  private boolean holding = true;
  private Object reply;
  private DeliveryOptions options;

  HeldReply(Message<T> message) {
    super(message);
  }

  /** Ends the hold: the held answer goes out if the handler returned, and is dropped if it threw. */
  void release(boolean returned) {
    holding = false;
    Object held = reply;
    reply = null;
    if (returned && held != null) {
      message.reply(held, options);
    }
  }

  @Override
  public void reply(Object answer, DeliveryOptions deliveryOptions) {
    if (holding) {
      if (reply == null) {
        reply = answer;
        options = deliveryOptions;
      }
      return;
    }
    message.reply(answer, deliveryOptions);
  }

  @Override
  public <R> Future<Message<R>> replyAndRequest(Object answer, DeliveryOptions deliveryOptions) {
    return message.replyAndRequest(answer, deliveryOptions);
  }
}
