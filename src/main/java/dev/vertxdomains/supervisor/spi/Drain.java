package dev.vertxdomains.supervisor.spi;

import io.vertx.core.Future;


/**
 * A request to a drain participant (see {@link Generation#onDrain} and {@link SlotScope#onClose}): stop taking new work,
 * finish what is in flight.
 *
 * @param deadline    epoch milliseconds by which the work is ended whatever remains (the kill timer)
 * @param undeploying {@code true} when the slot itself goes (undeploy, scale-down, shutdown), so its connections
 *                    are closed; {@code false} when one generation is replaced and the slot keeps serving
 * @param expired     completes at the deadline, just before the generation or slot is undeployed: what is still in
 *                    flight should be answered then (HTTP 503, a failure reply), since undeploying cuts it
 */
public record Drain(long deadline, boolean undeploying, Future<Void> expired) {

  /** Milliseconds left until the deadline, never negative. */
  public long remainingMillis() {
    return Math.max(0, deadline - System.currentTimeMillis());
  }
}
