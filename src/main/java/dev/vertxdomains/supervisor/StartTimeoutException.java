package dev.vertxdomains.supervisor;

/**
 * A generation's {@code start()} did not complete within {@link SupervisorOptions#startTimeoutMs()}: it counts as a
 * failed start (a crash), and what the generation had created is closed.
 */
public final class StartTimeoutException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  StartTimeoutException(String worker, int generation, long timeoutMs) {
    super("worker " + worker + " generation " + generation + ": start() did not complete within " + timeoutMs
      + " ms (supervisor.startTimeoutMs)");
  }
}
