package dev.vertxdomains.supervisor;

/**
 * What a supervisor does when a deployment exceeds its restart intensity.
 */
public enum GiveUpAction {
  /** Undeploy the supervised deployment and report it failed (its deploy future fails if it never started). */
  STOP,
  /** Drain every supervised worker of this Vert.x instance, close Vert.x and exit the JVM with a non-zero code. */
  EXIT,
  /**
   * Hand the deployment to another node of the HA group that has not failed it yet; when every eligible node has
   * failed it, {@link #STOP}. Provided by a layer above the supervisor ({@link dev.vertxdomains.supervisor.spi.Integrations#onGiveUp}), on a clustered node; on a node without it, the
   * deployment stops, with an ERROR line saying so.
   */
  HANDOFF;

  static GiveUpAction parse(String key, String value) {
    for (GiveUpAction action : values()) {
      if (action.name().equalsIgnoreCase(value)) {
        return action;
      }
    }
    throw new IllegalArgumentException(key + ": unknown give-up action '" + value + "', allowed: stop, exit, handoff");
  }
}
