package dev.vertxdomains.supervisor;

/**
 * A request to a drain participant (see {@link Worker#onDrain}): stop taking new work, finish what is in flight.
 *
 * @param deadline   epoch milliseconds by which the worker is undeployed whatever remains (the kill timer)
 * @param undeploying {@code true} when the worker is being undeployed for good, so idle keep-alive connections
 *                   may be closed at once; {@code false} on a recycle, where a replacement already serves
 */
public record Drain(long deadline, boolean undeploying) {

  /** Milliseconds left until the deadline, never negative. */
  public long remainingMillis() {
    return Math.max(0, deadline - System.currentTimeMillis());
  }
}
