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
    dev.vertxdomains.supervisor.spi.Generation generation = dev.vertxdomains.supervisor.spi.Generation.current();
    return generation != null ? generation.errorPolicy() : RECYCLE;
  }

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
