package dev.vertxdomains.launcher;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The layered supervisor settings: later layers win, and a bad value names the layer it came from. */
class SupervisorSettingsTest {

  @TempDir
  Path dir;

  private Properties defaults(String json) throws Exception {
    Path file = Files.writeString(dir.resolve("supervisor.json"), json);
    Properties properties = new Properties();
    properties.setProperty(SupervisorSettings.DEFAULTS_PROPERTY, file.toString());
    return properties;
  }

  private static String refused(JsonObject config, Map<String, String> env, Properties properties) {
    return assertThrows(IllegalArgumentException.class, () -> SupervisorSettings.apply(config, env, properties))
      .getMessage();
  }

  @Test
  @DisplayName("later layers win: defaults file < -conf < environment < -D")
  void layers() throws Exception {
    Properties properties = defaults("{\"supervisor\": {\"killTimeoutMs\": 1, \"drainIdleMs\": 1, "
      + "\"maxRestarts\": 1, \"backoffMinMs\": 1}}");
    properties.setProperty("vertx-domains.supervisor.backoffMinMs", "4");
    JsonObject config = new JsonObject().put("supervisor", new JsonObject().put("drainIdleMs", 2)
      .put("maxRestarts", 2).put("backoffMinMs", 2));
    JsonObject merged = SupervisorSettings.apply(config, Map.of("VERTX_DOMAINS_SUPERVISOR_MAX_RESTARTS", "3",
      "VERTX_DOMAINS_SUPERVISOR_BACKOFF_MIN_MS", "3"), properties).getJsonObject("supervisor");
    assertEquals(1L, merged.getLong("killTimeoutMs"));
    assertEquals(2L, merged.getLong("drainIdleMs"));
    assertEquals(3L, merged.getLong("maxRestarts"));
    assertEquals(4L, merged.getLong("backoffMinMs"));
  }

  @Test
  @DisplayName("a bad value's message names the layer that supplied it")
  void namesTheLayer() throws Exception {
    Properties properties = defaults("{\"supervisor\": {\"killTimeoutMs\": -7}}");
    String file = properties.getProperty(SupervisorSettings.DEFAULTS_PROPERTY);
    assertEquals("supervisor.killTimeoutMs from " + file + ": must be at least 1, got -7",
      refused(new JsonObject(), Map.of(), properties));
    assertEquals("supervisor.drainIdleMs from -conf: must be a whole number of at least 0, got the string \"x\"",
      refused(new JsonObject().put("supervisor", new JsonObject().put("drainIdleMs", "x")), Map.of(),
        new Properties()));
    assertEquals("supervisor.maxRestarts from environment VERTX_DOMAINS_SUPERVISOR_MAX_RESTARTS: must be from 0 to "
        + "2147483647, got 2147483648",
      refused(new JsonObject(), Map.of("VERTX_DOMAINS_SUPERVISOR_MAX_RESTARTS", "2147483648"), new Properties()));
    Properties d = new Properties();
    d.setProperty("vertx-domains.supervisor.exitCode", "0");
    assertEquals("supervisor.exitCode from -Dvertx-domains.supervisor.exitCode: must be from 1 to 255, got 0",
      refused(new JsonObject(), Map.of(), d));
  }

  @Test
  @DisplayName("a named defaults file must exist")
  void namedDefaultsMustExist() {
    Properties properties = new Properties();
    properties.setProperty(SupervisorSettings.DEFAULTS_PROPERTY, dir.resolve("absent.json").toString());
    assertEquals("-D" + SupervisorSettings.DEFAULTS_PROPERTY + ": no such file: " + dir.resolve("absent.json"),
      refused(new JsonObject(), Map.of(), properties));
  }
}
