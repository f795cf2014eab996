package dev.vertxdomains.supervisor;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** A process whose supervised deployment crash-loops with give-up {@code exit} (code 71): run by RestartIntensityTest. */
public final class GiveUpExitMain {

  private GiveUpExitMain() {
  }

  public static void main(String[] args) {
    Vertx vertx = Vertx.vertx();
    JsonObject supervisor = RestartIntensityTest.LOOP.copy().put("maxRestarts", 2).put("giveUp", "exit")
      .put("exitCode", 71);
    Supervisor.deploy(vertx, CrashingVerticles.FailingStart.class.getName(),
      new DeploymentOptions().setConfig(new JsonObject().put(SupervisorOptions.CONFIG_KEY, supervisor)));
  }
}
