package dev.vertxdomains.examples;

import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.SupervisorOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/**
 * The node that runs the services in {@code docker-compose.yml}: {@link HelloServer} and {@link WorkService}, each
 * supervised with {@code instances} workers, deployed as one HA unit so that both fail over together.
 * Run it unsupervised itself ({@code java:} prefix) with {@code -ha}:
 * {@code java -jar vertx-domains.jar run java:dev.vertxdomains.examples.ClusterDemo -ha -conf conf/cluster-demo.json}.
 * <p>
 * Config: {@code http.port}, {@code address} (passed to the services), {@code instances} (default 2) and the
 * {@code supervisor} section; the {@code haId} the launcher gives this HA deployment is passed on to both services
 * (suffixed), so that after a partition heals each runs once in the cluster.
 */
public class ClusterDemo extends VerticleBase {

  @Override
  public Future<?> start() {
    JsonObject config = config();
    int instances = config.getInteger("instances", 2);
    if (instances < 1) {
      return Future.failedFuture(new IllegalArgumentException("instances: must be at least 1, got " + instances));
    }
    return Future.all(
      Supervisor.deploy(vertx, HelloServer.class.getName(), options(config, instances, "hello")),
      Supervisor.deploy(vertx, WorkService.class.getName(), options(config, instances, "work")));
  }

  private static DeploymentOptions options(JsonObject config, int instances, String suffix) {
    JsonObject child = config.copy();
    child.remove("instances");
    JsonObject supervisor = child.getJsonObject(SupervisorOptions.CONFIG_KEY, new JsonObject()).copy();
    String haId = supervisor.getString("haId");
    if (haId != null) {
      supervisor.put("haId", haId + "/" + suffix);
    }
    child.put(SupervisorOptions.CONFIG_KEY, supervisor);
    return new DeploymentOptions().setInstances(instances).setConfig(child);
  }
}
