package dev.vertxdomains.supervisor;

import io.vertx.core.Future;

/**
 * A cluster-wide record of which node runs each HA deployment (by its {@link SupervisorOptions#haId()}), so that a
 * deployment never runs twice: not after a failover, and not when a node cut off from the cluster comes back and Vert.x
 * HA redeploys what it had (eclipse-vertx/vert.x#5235). The cluster layer installs one with
 * {@link Supervisor#useClaims}; without one, nothing is checked.
 */
public interface DeploymentClaims {

  /**
   * Claims the deployment for this node: succeeds if nobody holds it, if this node does, or if its holder has left
   * the cluster; fails, naming the holder, if another live node holds it.
   *
   * @param haId     the deployment's identity
   * @param verticle the verticle, for messages
   * @return completes when claimed
   */
  Future<Void> claim(String haId, String verticle);

  /**
   * Gives the deployment up, if this node holds it (an undeploy that is not a failover).
   *
   * @param haId the deployment's identity
   * @return completes when released
   */
  Future<Void> release(String haId);

}
