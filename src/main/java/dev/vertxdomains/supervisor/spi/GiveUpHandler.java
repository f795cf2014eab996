package dev.vertxdomains.supervisor.spi;

import dev.vertxdomains.supervisor.GiveUpAction;
import dev.vertxdomains.supervisor.SupervisorOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;

/**
 * A give-up action that a layer above the supervisor provides, registered per Vert.x instance with
 * {@link dev.vertxdomains.supervisor.spi.Integrations#onGiveUp}: it moves a deployment that exceeded its restart intensity somewhere else. The
 * supervisor's own actions are {@link GiveUpAction#STOP} and {@link GiveUpAction#EXIT}; a layer above provides
 * {@link GiveUpAction#HANDOFF}. For vertx-domains' own integrations.
 */
@FunctionalInterface
public interface GiveUpHandler {

  /**
   * A supervised deployment that gave up.
   *
   * @param deploymentId its id on this node
   * @param verticle     the verticle's name, as deployed
   * @param options      its deployment options, with the instance count it was made with
   * @param supervisor   its supervisor options
   * @param cause        the last crash
   */
  record GaveUp(String deploymentId, String verticle, DeploymentOptions options, SupervisorOptions supervisor,
                Throwable cause) {
  }

  /**
   * Moves the deployment away. The supervisor then stops it here, reporting where it went; if the move fails, it
   * stops it as {@link GiveUpAction#STOP} does, with the failure logged.
   *
   * @param deployment what gave up
   * @return where it runs now (a node's id)
   */
  Future<String> moveAway(GaveUp deployment);
}
