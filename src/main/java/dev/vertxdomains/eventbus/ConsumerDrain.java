package dev.vertxdomains.eventbus;

import dev.vertxdomains.domain.InternalReach;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.eventbus.impl.MessageConsumerImpl;
import io.vertx.core.eventbus.impl.MessageImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The graceful end of a supervised slot's consumer: it leaves its address, and the messages it had queued but not
 * yet handled are handed to the address's other consumers (the other slots, other nodes) instead of being failed.
 * (The messages already handed to a generation are waited for by that generation's own drain.)
 * <p>
 * Vert.x answers messages queued in a consumer that unregisters with a {@code TIMEOUT} failure ("Discarded the
 * request"): a failure for a request nothing was wrong with. The only hook is the consumer implementation's discard
 * handler and the message's reply address; this class is the one place in the package that uses them
 * ({@link #HAND_OVER}, checked before a supervised consumer registers).
 */
final class ConsumerDrain {

  private static final Logger LOG = LoggerFactory.getLogger(ConsumerDrain.class);

  /**
   * The discard hook and reply address this needs, the same on every Vert.x line; checked by {@link EventBusDomains}.
   * Not final so that a test can point it at a class without them.
   */
  static volatile InternalReach HAND_OVER = InternalReach.fields(
    "supervised event-bus consumers (messages queued for a leaving slot)", InternalReach.Need.BEHAVIOUR,
    "messages queued for a leaving slot would fail with TIMEOUT \"Discarded the request\" instead of going to the "
      + "address's other consumers",
    "io.vertx.core.eventbus.impl.MessageConsumerImpl#discardHandler(Handler)",
    "io.vertx.core.eventbus.impl.MessageImpl#setReplyAddress(String)");

  private final Vertx vertx;
  private final MessageConsumer<?> consumer;
  private final List<Held> discarded = new ArrayList<>();
  private boolean left;

  ConsumerDrain(Vertx vertx, MessageConsumer<?> consumer) {
    this.vertx = vertx;
    this.consumer = consumer;
    if (consumer instanceof MessageConsumerImpl<?> impl) {
      impl.discardHandler(this::discarded);
    }
  }

  /** Leaves the address; what was queued for this consumer goes to the address's other consumers. */
  Future<?> drain() {
    return consumer.unregister().onComplete(ar -> {
      List<Held> queued;
      synchronized (this) {
        left = true;
        queued = new ArrayList<>(discarded);
        discarded.clear();
      }
      queued.forEach(this::forward);
    });
  }

  /** Vert.x is discarding a message queued for this consumer: take it over before Vert.x fails it. */
  private void discarded(Message<?> message) {
    if (!(message instanceof MessageImpl<?, ?> impl) || message.replyAddress() == null && !message.isSend()) {
      return; // a published copy: every other consumer had its own
    }
    String replyAddress = message.replyAddress();
    impl.setReplyAddress(null); // so Vert.x does not answer it with a TIMEOUT failure
    Held held = new Held(impl, replyAddress);
    boolean now;
    synchronized (this) {
      now = left;
      if (!now) {
        discarded.add(held);
      }
    }
    if (now) {
      forward(held);
    }
  }

  /** Sends a queued message again to its address, now served by the other consumers, and relays the answer. */
  private void forward(Held held) {
    DeliveryOptions options = new DeliveryOptions().setHeaders(held.message.headers());
    if (held.replyAddress == null) {
      vertx.eventBus().send(held.message.address(), held.message.body(), options);
      return;
    }
    vertx.eventBus().request(held.message.address(), held.message.body(), options).onComplete(ar -> {
      held.message.setReplyAddress(held.replyAddress);
      if (ar.succeeded()) {
        held.message.reply(ar.result().body(), new DeliveryOptions().setHeaders(ar.result().headers()));
      } else if (ar.cause() instanceof ReplyException failure) {
        held.message.reply(failure);
      } else {
        LOG.warn("Could not hand a queued message for {} to another consumer", held.message.address(), ar.cause());
        held.message.reply(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 503, "Service unavailable"));
      }
    });
  }

  /** A queued message taken over from Vert.x, with the reply address it had. */
  private record Held(MessageImpl<?, ?> message, String replyAddress) {
  }
}
