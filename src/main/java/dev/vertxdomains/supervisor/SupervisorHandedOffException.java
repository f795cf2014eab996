package dev.vertxdomains.supervisor;

/**
 * A supervised deployment exceeded its restart intensity on this node and was handed to another node
 * ({@link GiveUpAction#HANDOFF}): it runs there now. A deployment that never started here fails with this.
 */
public final class SupervisorHandedOffException extends RuntimeException {

  private final String node;

  SupervisorHandedOffException(String verticle, String node, Throwable cause) {
    super(verticle + " kept failing on this node and was handed to node " + node, cause);
    this.node = node;
  }

  /** @return the node the deployment was handed to */
  public String node() {
    return node;
  }
}
