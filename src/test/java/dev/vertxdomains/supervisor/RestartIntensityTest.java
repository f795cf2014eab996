package dev.vertxdomains.supervisor;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.vertxdomains.supervisor.SupervisorEvents.awaitEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Crash loops: backoff between failed starts, restart intensity, and the give-up actions. */
@ExtendWith(VertxExtension.class)
class RestartIntensityTest {

  static final JsonObject LOOP = new JsonObject()
    .put("maxRestarts", 4).put("restartPeriodMs", 60_000)
    .put("backoffMinMs", 20).put("backoffMaxMs", 80).put("backoffJitter", 0.2);

  @Test
  @DisplayName("a start() that always fails: backoff delays grow within bounds, then the deployment fails (give-up stop)")
  void crashLoopInStart(Vertx vertx) throws Exception {
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    Throwable failure = Supervisor.deploy(vertx, CrashingVerticles.FailingStart.class.getName(),
        new DeploymentOptions().setConfig(new JsonObject().put(SupervisorOptions.CONFIG_KEY, LOOP)))
      .map(id -> (Throwable) null).otherwise(err -> err).await(20, TimeUnit.SECONDS);

    SupervisorGaveUpException gaveUp = assertInstanceOf(SupervisorGaveUpException.class, failure);
    assertTrue(gaveUp.getMessage().contains("start failed on purpose"), gaveUp.getMessage());
    List<Long> delays = new ArrayList<>();
    for (JsonObject event : events) {
      if (event.containsKey("backoffMillis")) {
        delays.add(event.getLong("backoffMillis"));
      }
    }
    // 4 restarts allowed: 4 backoffs (nominal 20, 40, 80, 80 ms, +-20 %, never above the max), the 5th crash gives up.
    assertEquals(4, delays.size(), "backoffs: " + delays);
    assertTrue(delays.get(0) >= 16 && delays.get(0) <= 24, "first delay " + delays);
    assertTrue(delays.get(1) > delays.get(0) && delays.get(2) > delays.get(1), "delays grow: " + delays);
    assertTrue(delays.stream().allMatch(d -> d <= 80), "delays stay under backoffMaxMs: " + delays);
    awaitEvent(events, e -> "failed".equals(e.getString("state")));
  }

  @Test
  @DisplayName("retryFirstStart false: a deployment that never ran fails at its first failed start, without backoff")
  void firstStartFailsAtOnce(Vertx vertx) throws Exception {
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    Throwable failure = Supervisor.deploy(vertx, CrashingVerticles.FailingStart.class.getName(),
        new DeploymentOptions().setInstances(2).setConfig(new JsonObject().put(SupervisorOptions.CONFIG_KEY,
          LOOP.copy().put("retryFirstStart", false))))
      .map(id -> (Throwable) null).otherwise(err -> err).await(20, TimeUnit.SECONDS);
    assertTrue(failure != null && failure.getMessage().contains("start failed on purpose"), String.valueOf(failure));
    assertTrue(events.stream().noneMatch(e -> e.containsKey("backoffMillis")), "no backoff: " + events);
  }

  @Test
  @DisplayName("zero instances is refused with a message naming the option")
  void zeroInstances(Vertx vertx) throws Exception {
    Throwable failure = Supervisor.deploy(vertx, CrashingVerticles.FailingStart.class.getName(),
        new DeploymentOptions().setInstances(0))
      .map(id -> (Throwable) null).otherwise(err -> err).await(20, TimeUnit.SECONDS);
    assertTrue(failure != null && failure.getMessage().startsWith("options.instances: must be at least 1"),
      String.valueOf(failure));
  }

  @Test
  @DisplayName("an instance that keeps crashing after start exhausts the intensity; give-up stop undeploys the deployment")
  void crashLoopAfterStartStops(Vertx vertx) throws Exception {
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    String id = Supervisor.deploy(vertx, CrashingVerticles.CrashAfterStart.class.getName(),
        new DeploymentOptions().setConfig(new JsonObject().put(SupervisorOptions.CONFIG_KEY,
          LOOP.copy().put("maxRestarts", 2))))
      .await(20, TimeUnit.SECONDS);
    awaitEvent(events, e -> "failed".equals(e.getString("state")));
    awaitEvent(events, e -> "undeployed".equals(e.getString("type")) && id.equals(e.getString("deployment"))
      && e.getBoolean("gaveUp"));
    List<WorkerInfo> left = Supervisor.workers(vertx).stream().filter(w -> w.deploymentId().equals(id)).toList();
    assertEquals(1, left.size(), "the failed worker stays visible: " + left);
    assertEquals(WorkerState.FAILED, left.get(0).state());
    assertTrue(left.get(0).lastError().contains("gave up"), left.get(0).lastError());
  }

  @Test
  @DisplayName("give-up exit: the process drains and exits with the configured code and one clear line")
  void giveUpExitsTheProcess() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
      GiveUpExitMain.class.getName()).redirectErrorStream(true);
    Process process = builder.start();
    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!exited) {
      process.destroyForcibly();
    }
    assertTrue(exited, "the process exits by itself");
    assertEquals(71, process.exitValue(), output);
    assertTrue(output.contains("gave up"), output);
  }

}
