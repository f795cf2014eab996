package dev.vertxdomains.supervisor;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor's options as data: one table gives the parsing, the JSON, the errors and the README's table. */
class SupervisorOptionsTest {

  @Test
  void theReadmeTableIsTheOptionsTable() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    assertTrue(readme.contains(SupervisorOptions.markdownTable()),
      "README.md's supervisor table differs from SupervisorOptions' keys; it should read:\n"
        + SupervisorOptions.markdownTable());
  }

  @Test
  void jsonRoundTripsWithEveryKey() {
    SupervisorOptions options = new SupervisorOptions().killTimeoutMs(5).maxRestarts(2).backoffJitter(0.5)
      .giveUp(GiveUpAction.EXIT).errorPolicy(ErrorPolicy.CONTINUE).retryFirstStart(false).exitCode(3);
    JsonObject json = options.toJson();
    assertEquals(json, SupervisorOptions.fromJson(json).toJson());
    assertEquals("exit", json.getString("giveUp"));
    assertEquals(5L, json.getLong("killTimeoutMs"));
    assertEquals(17, json.size(), "every key with a value (haId has none by default): " + json);
    assertEquals(2, SupervisorOptions.fromJson(json).maxRestarts());
  }

  @Test
  void badValuesNameTheKeyAndWhatIsAllowed() {
    assertEquals("supervisor.killTimeoutMs: must be at least 1, got -7", message(new JsonObject()
      .put("killTimeoutMs", -7)));
    assertEquals("supervisor.exitCode: must be from 1 to 255, got 4294967366", message(new JsonObject()
      .put("exitCode", 4294967366L)));
    assertEquals("supervisor.drainIdleMs: must be a whole number of at least 0, got the string \"x\"",
      message(new JsonObject().put("drainIdleMs", "x")));
    assertEquals("supervisor.backoffJitter: must be a number from 0 to 1, got Double 1.5",
      message(new JsonObject().put("backoffJitter", 1.5)));
    assertEquals("supervisor.retryFirstStart: must be true or false, got the string \"yes\"",
      message(new JsonObject().put("retryFirstStart", "yes")));
    assertEquals("supervisor.haId: must not be blank", message(new JsonObject().put("haId", " ")));
    assertEquals("supervisor.backoffMaxMs: must be at least backoffMinMs (500), got 200",
      message(new JsonObject().put("backoffMinMs", 500).put("backoffMaxMs", 200)));
    assertTrue(message(new JsonObject().put("killTimeout", 1)).startsWith(
      "supervisor.killTimeout: unknown key, allowed: backoffJitter, backoffMaxMs,"));
    assertEquals("maxRestarts: must be from 0 to 2147483647, got -1",
      assertThrows(IllegalArgumentException.class, () -> new SupervisorOptions().maxRestarts(-1)).getMessage());
    SupervisorOptions.fromJson(new JsonObject().put("// comment", "keys starting with // are comments"));
  }

  private static String message(JsonObject json) {
    return assertThrows(IllegalArgumentException.class, () -> SupervisorOptions.fromJson(json)).getMessage();
  }
}
