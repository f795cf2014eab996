package dev.vertxdomains.eventbus;

import dev.vertxdomains.supervisor.spi.Integrations;
import dev.vertxdomains.domain.Domain;
import dev.vertxdomains.domain.DomainError;
import dev.vertxdomains.supervisor.ErrorPolicy;
import dev.vertxdomains.supervisor.spi.Generation;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyFailure;

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
 * In a supervised instance the consumer belongs to the instance's slot: it is registered once for the life of the
 * slot, and each message goes to the instance serving when it arrives. A recycle changes no registration (a
 * clustered event bus sees nothing); the replaced instance answers the messages it has, and at the kill timer
 * fails what remains with {@value #UNAVAILABLE_CODE}. While no instance is ready (first start, crash backoff),
 * messages wait up to the supervisor's {@code holdTimeoutMs}, then fail with {@value #UNAVAILABLE_CODE}. When the
 * slot itself goes, the consumer unregisters and the messages Vert.x had queued for it are handed to the address's
 * other consumers instead of being failed.
 */
public final class EventBusDomains {

  /** The failure code of the answer to a message whose handling failed. */
  public static final int FAILURE_CODE = 500;
  /** The failure message of the answer to a message whose handling failed. */
  public static final String FAILURE_MESSAGE = "Internal Server Error";
  /** The failure code of the answer to a message no instance could take in time (none ready, or the kill timer). */
  public static final int UNAVAILABLE_CODE = 503;
  /** The failure message that goes with {@link #UNAVAILABLE_CODE}. */
  public static final String UNAVAILABLE_MESSAGE = "Service Unavailable";


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
    return register(vertx, address, false, handler);
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
    return register(vertx, address, true, handler);
  }

  static <T> MessageConsumer<T> register(Vertx vertx, String address, boolean local, Handler<Message<T>> handler) {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(handler, "handler");
    Generation worker = Generation.current();
    if (worker == null) {
      MessageConsumer<T> consumer = local ? vertx.eventBus().localConsumer(address) : vertx.eventBus().consumer(address);
      return consumer.handler(message -> handle(new TrackedMessage<>(message, null), handler));
    }
    ConsumerDrain.HAND_OVER.require();
    SlotConsumer<T> slot = worker.slot().resource(new SlotConsumer.Key(address, local),
      scope -> new SlotConsumer<>(scope, vertx, address, local));
    return new GenerationConsumer<>(worker, slot, handler);
  }

  /** Runs {@code handler} for one message in a new domain on the current (per-message) context. */
  static <T> void handle(TrackedMessage<T> tracked, Handler<Message<T>> handler) {
    Domain domain = Domain.create().attach(Vertx.currentContext());
    FailureAnswer answer = handler instanceof FailureAnswer own ? own : null;
    domain.errorHandler(error -> onError(domain, tracked, error, answer));
    // run: a throw reaches the domain on every line (5.2's consumers swallow what their handler throws).
    domain.run(() -> handler.handle(tracked));
  }

  private static void onError(Domain domain, TrackedMessage<?> message, DomainError error, FailureAnswer answer) {
    if (message.replyAddress() != null && message.claim()) {
      if (answer != null) {
        answer.fail(message.message());
      } else {
        message.message().fail(FAILURE_CODE, FAILURE_MESSAGE);
      }
    }
    Integrations.afterAnswer(domain, error, "message to " + message.address());
  }
}
