package dev.vertxdomains.cluster;

import dev.vertxdomains.examples.WorkService;
import dev.vertxdomains.supervisor.Supervisor;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/** Deploys two supervised HA WorkServices (at {@code spread.one} and {@code spread.two}), itself not HA. */
public class TwoServices extends VerticleBase {

  @Override
  public Future<?> start() {
    return Future.all(deploy("spread.one"), deploy("spread.two"));
  }

  private Future<String> deploy(String address) {
    return Supervisor.deploy(vertx, WorkService.class.getName(), new DeploymentOptions().setHa(true)
      .setConfig(new JsonObject().put("address", address)));
  }
}
