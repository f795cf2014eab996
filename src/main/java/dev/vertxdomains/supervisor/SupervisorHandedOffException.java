package dev.vertxdomains.supervisor;

/**
 * A supervised deployment exceeded its restart intensity on this node and was handed to another node
 * ({@link GiveUpAction#HANDOFF}): it runs there now. A deployment that never started here fails with this.
 */
public final class SupervisorHandedOffException extends RuntimeException {

  private final String node;

  /**
   * Creates the exception.
   *
   * @param verticle the verticle
   * @param node     the node that runs it now
   * @param cause    the last error here, or {@code null}
   */
  public SupervisorHandedOffException(String verticle, String node, Throwable cause) {
    super(verticle + (cause != null ? " kept failing on this node and was" : " was") + " handed to node " + node,
      cause);
    this.node = node;
  }

  /** @return the node the deployment was handed to */
  public String node() {
    return node;
  }
}
