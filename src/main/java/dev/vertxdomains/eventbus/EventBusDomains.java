package dev.vertxdomains.eventbus;

import dev.vertxdomains.domain.Domain;
import dev.vertxdomains.domain.DomainError;
import dev.vertxdomains.supervisor.ErrorPolicy;
import dev.vertxdomains.supervisor.Worker;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyFailure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * One line that gives every message of an event-bus consumer its own {@link Domain}:
 * <pre>{@code
 * EventBusDomains.consumer(vertx, "orders", msg -> ...);
 * }</pre>
 * An error anywhere in the message's work (a throw in the handler, in a timer or future callback it started, an
 * escalated domain) answers a sender that expects a reply at once with a failure of type
 * {@link ReplyFailure#RECIPIENT_FAILURE}, code {@value #FAILURE_CODE} and the message {@value #FAILURE_MESSAGE} (never
 * the exception's text), exactly once; a reply the handler sends after that is dropped. The error then follows the
 * instance's error policy: {@link ErrorPolicy#RECYCLE} hands it to the supervisor, {@link ErrorPolicy#CONTINUE} logs
 * it. Errors while handling a published message (nobody to answer) are reported the same way.
 * <p>
 * In a supervised instance the consumer also drains with it: it unregisters, the messages Vert.x had queued for it
 * are handed to the address's other consumers instead of being failed, and the instance waits for the messages in
 * hand to be answered. Works the same on a clustered event bus.
 */
public final class EventBusDomains {

  /** The failure code of the answer to a message whose handling failed. */
  public static final int FAILURE_CODE = 500;
  /** The failure message of the answer to a message whose handling failed. */
  public static final String FAILURE_MESSAGE = "Internal Server Error";

  private static final Logger LOG = LoggerFactory.getLogger(EventBusDomains.class);

  private EventBusDomains() {
  }

  /**
   * Registers {@code handler} at {@code address}, every message in its own domain; drains with its supervised
   * instance. Call it where the consumer is created (in {@code start()}).
   *
   * @param vertx   the Vert.x instance
   * @param address the address
   * @param handler the message handler
   * @param <T>     the body type
   * @return the consumer
   */
  public static <T> MessageConsumer<T> consumer(Vertx vertx, String address, Handler<Message<T>> handler) {
    return register(vertx, vertx.eventBus().consumer(address), handler);
  }

  /**
   * As {@link #consumer}, for a consumer that only receives messages sent from this Vert.x instance.
   *
   * @param vertx   the Vert.x instance
   * @param address the address
   * @param handler the message handler
   * @param <T>     the body type
   * @return the consumer
   */
  public static <T> MessageConsumer<T> localConsumer(Vertx vertx, String address, Handler<Message<T>> handler) {
    return register(vertx, vertx.eventBus().localConsumer(address), handler);
  }

  private static <T> MessageConsumer<T> register(Vertx vertx, MessageConsumer<T> consumer, Handler<Message<T>> handler) {
    Objects.requireNonNull(handler, "handler");
    Worker worker = Worker.current();
    ConsumerDrain drain = null;
    if (worker != null) {
      drain = new ConsumerDrain(vertx, consumer);
      worker.onDrain(drain::drain);
    }
    ConsumerDrain tracked = drain;
    return consumer.handler(message -> handle(message, handler, tracked));
  }

  private static <T> void handle(Message<T> message, Handler<Message<T>> handler, ConsumerDrain drain) {
    Context context = Vertx.currentContext();
    Domain domain = Domain.create().attach(context);
    TrackedMessage<T> tracked;
    if (drain != null && message.replyAddress() != null) {
      drain.begin();
      tracked = new TrackedMessage<>(message, drain::end);
    } else {
      tracked = new TrackedMessage<>(message, () -> { });
    }
    // Fire-and-forget messages are not waited for by a drain: their work is bounded by the kill timer.
    domain.errorHandler(error -> onError(domain, tracked, error));
    handler.handle(tracked);
  }

  private static void onError(Domain domain, TrackedMessage<?> message, DomainError error) {
    if (message.replyAddress() != null && message.claim()) {
      message.message().fail(FAILURE_CODE, FAILURE_MESSAGE);
    }
    if (ErrorPolicy.current() == ErrorPolicy.RECYCLE) {
      domain.escalate(error);
    } else {
      LOG.warn("Message to {} failed in {} (instance kept, policy continue)", message.address(), domain.id(),
        error.cause());
    }
  }
}
