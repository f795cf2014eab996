package dev.vertxdomains.supervisor;

import ch.qos.logback.classic.Level;
import dev.vertxdomains.eventbus.EventBusDomains;
import dev.vertxdomains.testing.LogCapture;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A failure of the application's own {@code stop()} is never silent: at a recycle and at undeploy. */
@ExtendWith(VertxExtension.class)
class StopFailureTest {

  /** An event-bus service at {@code test.stop-fails} whose {@code stop()} fails; {@code fault} recycles it. */
  public static class FailingStop extends VerticleBase {

    @Override
    public Future<?> start() {
      return EventBusDomains.<String>consumer(vertx, "test.stop-fails", message -> {
        if ("fault".equals(message.body())) {
          throw new IllegalStateException("fault on purpose");
        }
        message.reply("ok");
      }).completion();
    }

    @Override
    public Future<?> stop() {
      return Future.failedFuture(new IllegalStateException("stop failed on purpose"));
    }
  }

  private static List<String> stopFailures(LogCapture log) {
    return log.atLeast(Level.WARN).stream().filter(line -> line.contains("stop() failed")).toList();
  }

  @Test
  void aFailingStopAtARecycleIsOneWarnWithItsCause(Vertx vertx) throws Exception {
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    try (LogCapture log = LogCapture.of(Slot.class)) {
      Supervisor.deploy(vertx, FailingStop.class, new DeploymentOptions()).await(20, TimeUnit.SECONDS);
      assertThrows(Exception.class, () -> vertx.eventBus().request("test.stop-fails", "fault",
        new DeliveryOptions().setSendTimeout(5_000)).await(10, TimeUnit.SECONDS));
      SupervisorEvents.awaitEvent(events, event -> event.getInteger("generation") == 1
        && "stopped".equals(event.getString("state")));
      List<String> failures = stopFailures(log);
      assertEquals(1, failures.size(), log.atLeast(Level.WARN).toString());
      assertTrue(failures.get(0).contains("generation 1") && failures.get(0).contains("stop failed on purpose"),
        failures.get(0));
      assertEquals("ok", vertx.eventBus().request("test.stop-fails", "hello").await(10, TimeUnit.SECONDS).body());
    }
  }

  @Test
  void aFailingStopFailsTheUndeployWithAWarn(Vertx vertx) throws Exception {
    try (LogCapture log = LogCapture.of(Slot.class)) {
      String id = Supervisor.deploy(vertx, FailingStop.class, new DeploymentOptions()).await(20, TimeUnit.SECONDS);
      Exception failure = assertThrows(Exception.class, () -> vertx.undeploy(id).await(20, TimeUnit.SECONDS));
      assertTrue(String.valueOf(failure.getMessage()).contains("stop failed on purpose"), String.valueOf(failure));
      List<String> failures = stopFailures(log);
      assertEquals(1, failures.size(), log.atLeast(Level.WARN).toString());
      assertTrue(failures.get(0).contains("stop failed on purpose"), failures.get(0));
      assertTrue(Supervisor.workers(vertx).stream().noneMatch(w -> w.state() == WorkerState.RUNNING),
        "nothing runs after the undeploy: " + Supervisor.workers(vertx));
    }
  }
}
