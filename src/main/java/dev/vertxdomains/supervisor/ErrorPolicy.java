package dev.vertxdomains.supervisor;

/**
 * What happens to a verticle instance after a request's or message's domain answered an error.
 */
public enum ErrorPolicy {
  /** Answer the failing request, then drain and replace the instance (the default: state may be corrupt). */
  RECYCLE,
  /** Answer the failing request and keep the instance: only for handlers declared free of side effects. */
  CONTINUE;

  /**
   * The policy of the supervised instance the current code runs in; {@link #RECYCLE} outside one.
   *
   * @return the policy
   */
  public static ErrorPolicy current() {
    Generation worker = Generation.current();
    return worker != null ? worker.errorPolicy() : RECYCLE;
  }

  /**
   * What every integration does once it has answered a failed request or message: records it on the generation
   * ({@link Generation#requestFailed}), then applies the policy of the instance the current code runs in:
   * {@link #RECYCLE} escalates the error (the supervisor replaces the instance and logs the one line for the fault,
   * naming {@code what}); {@link #CONTINUE} logs that line here and keeps the instance.
   *
   * @param domain the request's or message's domain
   * @param error  the error it received
   * @param what   what failed, for the log: {@code GET /orders}, {@code message to orders}
   */
  public static void afterAnswer(dev.vertxdomains.domain.Domain domain, dev.vertxdomains.domain.DomainError error,
                                 String what) {
    Generation worker = Generation.current();
    if (worker != null) {
      worker.requestFailed(what);
    }
    if (current() == RECYCLE) {
      try (org.slf4j.MDC.MDCCloseable ignored = org.slf4j.MDC.putCloseable(FaultLog.WHAT, what)) {
        domain.escalate(error);
      }
    } else {
      FaultLog.warn(LOG, error.cause(), "{} failed in {} (instance kept, policy continue): {}", what, domain.id(),
        FaultLog.describe(error.cause()));
    }
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ErrorPolicy.class);

  /** Parses a config value ({@code "recycle"} or {@code "continue"}, any case). */
  static ErrorPolicy parse(String key, String value) {
    for (ErrorPolicy policy : values()) {
      if (policy.name().equalsIgnoreCase(value)) {
        return policy;
      }
    }
    throw new IllegalArgumentException(key + ": unknown error policy '" + value + "', allowed: recycle, continue");
  }
}
