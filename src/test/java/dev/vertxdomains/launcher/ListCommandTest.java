package dev.vertxdomains.launcher;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code list}'s table: what reaches the operator's terminal. */
class ListCommandTest {

  @Test
  @DisplayName("control characters from an exception message (ESC, BEL, CR, C1, bidi overrides) never reach the terminal")
  void stripsControlCharacters() {
    JsonObject worker = new JsonObject().put("deployment", "1").put("verticle", "com.acme.\u001b]0;owned\u0007App")
      .put("worker", "1/1").put("generation", 2).put("node", "local\u009b31m").put("state", "running")
      .put("restarts", 1).put("uptimeMillis", 2300)
      .put("lastError", "java.lang.IllegalStateException: \u001b[2J\u001b[31mred\u0007\rover\u202Eevil\u0000");
    String table = ListCommand.table(new JsonArray().add(worker));
    table.lines().forEach(line -> line.chars().forEach(c -> assertFalse(Character.isISOControl(c)
      || Character.getType(c) == Character.FORMAT, () -> "character " + c + " in: " + line)));
    assertTrue(table.contains("java.lang.IllegalStateException: [2J[31mred overevil"), table);
    assertTrue(table.contains("App"), table);
    assertEquals(2, table.lines().count(), table);
  }

  @Test
  @DisplayName("list -cluster: a node's address (host, management port, pid) when known, else its short id")
  void nodeAddresses() {
    String id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    JsonObject worker = new JsonObject().put("deployment", "1").put("verticle", "A").put("worker", "1/1")
      .put("generation", 1).put("node", id).put("state", "running");
    String known = ListCommand.table(new JsonArray().add(worker), new JsonObject().put(id, new JsonObject()
      .put("host", "10.0.0.5").put("managementPort", 9191).put("pid", 4242)));
    assertTrue(known.contains(" 10.0.0.5:9191 pid 4242 "), known);
    String unknown = ListCommand.table(new JsonArray().add(worker), new JsonObject());
    assertTrue(unknown.contains(" 0f8fad5b "), unknown);
  }

  @Test
  @DisplayName("list -cluster says whether a node may be stopped")
  void safety() {
    assertTrue(ListCommand.safety(true).startsWith("safe: yes"));
    assertTrue(ListCommand.safety(false).startsWith("safe: NO"));
    assertTrue(ListCommand.safety(null).startsWith("safe: unknown"));
  }

  @Test
  @DisplayName("fields of an unexpected type are shown, not fatal")
  void unexpectedTypes() {
    JsonObject worker = new JsonObject().put("deployment", 7).put("verticle", "A").put("worker", "7/1")
      .put("generation", "x").put("state", "running").put("lastError", new JsonObject().put("a", 1));
    String table = ListCommand.table(new JsonArray().add(worker));
    assertTrue(table.lines().skip(1).findFirst().orElseThrow().startsWith("7 A "), table);
  }
}
