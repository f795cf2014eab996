package dev.vertxdomains.supervisor.spi;

import dev.vertxdomains.supervisor.SupervisorOptions;
import io.vertx.core.Future;

/**
 * Decides whether a supervised deployment may start on this node, for another layer to provide with
 * {@link Integrations#gateStarts}: before a deployment's first generation starts, the gate admits it or refuses it (the
 * deployment then fails with the gate's reason), and it hears when an admitted deployment gives up and when it ends.
 * Without a gate every deployment starts. The supervisor attaches no meaning to the decision.
 */
public interface StartGate {

  /**
   * Admits a deployment, once, as its first slot deploys.
   *
   * @param deployment the deployment
   * @return completes when the deployment may start here; fails, with the reason, when it may not
   */
  Future<Void> admit(Deployment deployment);

  /**
   * An admitted deployment gave up (its give-up action runs next); it is still deployed until it ends.
   *
   * @param deployment the deployment
   */
  default void gaveUp(Deployment deployment) {
  }

  /**
   * An admitted deployment ended on this node: its last slot was undeployed.
   *
   * @param deployment the deployment
   */
  void ended(Deployment deployment);

  /**
   * A supervised deployment, as a gate sees it.
   *
   * @param deploymentId its Vert.x deployment id
   * @param verticle     the supervised verticle's name
   * @param options      its supervisor options
   */
  record Deployment(String deploymentId, String verticle, SupervisorOptions options) {
  }
}
