package dev.vertxdomains.supervisor;

import io.vertx.core.VertxException;

/** A supervised deployment exceeded its restart intensity and its give-up action ran. */
public final class SupervisorGaveUpException extends VertxException {

  SupervisorGaveUpException(String deploymentId, String verticle, int maxRestarts, long periodMs, Throwable last) {
    super("supervised deployment " + deploymentId + " of " + verticle + " gave up: more than " + maxRestarts
      + " crashes within " + periodMs + " ms; last: " + last, last, true);
  }
}
