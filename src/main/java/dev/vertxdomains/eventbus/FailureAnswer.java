package dev.vertxdomains.eventbus;

import io.vertx.core.eventbus.Message;

/**
 * A consumer's handler that answers its failed messages its own way (a service call answers with the exception type
 * its proxy expects) instead of {@link EventBusDomains}' {@code RECIPIENT_FAILURE} 500. Never with the error's text.
 */
interface FailureAnswer {

  /** Answers {@code message}, whose handling failed. */
  void fail(Message<?> message);
}
