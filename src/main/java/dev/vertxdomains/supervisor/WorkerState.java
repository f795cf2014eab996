package dev.vertxdomains.supervisor;

/** The life of one supervised verticle instance. */
public enum WorkerState {
  /** Being deployed; its {@code start} has not completed. */
  STARTING,
  /** Serving. */
  RUNNING,
  /** Taking no new work, finishing what it has; undeployed when done or when the kill timer fires. */
  DRAINING,
  /** Its event loop has been blocked beyond {@code stuckTimeoutMs}: it takes no new connections. */
  STUCK,
  /**
   * Serving, but another layer stopped its intake ({@link Supervisor#pauseIntake}; the cluster does so while this node
   * has no right to run the deployment): it takes no new work and finishes what it has.
   */
  PAUSED,
  /** Waiting out a backoff delay before the next start attempt. */
  BACKING_OFF,
  /** Undeployed. */
  STOPPED,
  /** Its deployment gave up after too many crashes. */
  FAILED;

  /**
   * Whether an instance in this state is gone for good (stopped or failed).
   *
   * @return {@code true} for {@link #STOPPED} and {@link #FAILED}
   */
  public boolean isOver() {
    return this == STOPPED || this == FAILED;
  }

  /** The lower-case name used in events, logs and tables. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
