package dev.vertxdomains.launcher;

import dev.vertxdomains.supervisor.Supervisor;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An HA node's failover warm-up: on by default, switched off by its setting, and invisible to the node's Vert.x. */
class FailoverWarmUpTest {

  private static Properties properties(String value) {
    Properties properties = new Properties();
    if (value != null) {
      properties.setProperty(FailoverWarmUp.PROPERTY, value);
    }
    return properties;
  }

  @Test
  @DisplayName("the setting: on by default, false switches it off, the variable counts, anything else is refused")
  void setting() {
    assertTrue(ProcessServices.warmUpFailover(Map.of(), properties(null)));
    assertFalse(ProcessServices.warmUpFailover(Map.of(), properties(" FALSE")));
    assertTrue(ProcessServices.warmUpFailover(Map.of(), properties("true")));
    assertFalse(ProcessServices.warmUpFailover(Map.of("VERTX_DOMAINS_HA_WARM_UP", "false"), properties(null)));
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
      () -> ProcessServices.warmUpFailover(Map.of(), properties("off")));
    assertEquals("vertx-domains.ha.warm-up: must be true or false, got 'off'", bad.getMessage());
  }

  @Test
  @DisplayName("the warm-up runs its supervised service on a private instance: the node's own sees no worker, no "
    + "event and no consumer of it")
  void privateToItsOwnInstance() throws Exception {
    Vertx node = Vertx.vertx();
    try {
      List<JsonObject> events = new CopyOnWriteArrayList<>();
      Runnable stopListening = Supervisor.listen(node, events::add);
      node.eventBus().<JsonObject>consumer(Supervisor.EVENTS_ADDRESS, message -> events.add(message.body()))
        .completion().await(10, TimeUnit.SECONDS);

      long millis = FailoverWarmUp.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);

      assertTrue(millis >= 0, "took " + millis + " ms");
      assertEquals(List.of(), Supervisor.workers(node));
      ExecutionException none = assertThrows(ExecutionException.class, () -> node.eventBus()
        .request(FailoverWarmUp.ADDRESS, "ok").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
      assertTrue(none.getCause() instanceof ReplyException reply && reply.failureType() == ReplyFailure.NO_HANDLERS,
        none.getCause().toString());
      stopListening.run();
      assertEquals(List.of(), events);
    } finally {
      node.close().await(30, TimeUnit.SECONDS);
    }
  }
}
