package dev.vertxdomains.launcher;

import dev.vertxdomains.supervisor.SupervisorOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The supervisor settings of a launched process, in layers, later ones winning (the order vertx-config uses):
 * <ol>
 *   <li>the defaults file, {@value #DEFAULTS_FILE} (another path with {@code -D}{@value #DEFAULTS_PROPERTY}; ignored
 *       when absent);</li>
 *   <li>the {@code "supervisor"} object of the {@code -conf} JSON;</li>
 *   <li>environment variables {@code VERTX_DOMAINS_SUPERVISOR_<KEY>}, the key in upper snake case
 *       ({@code killTimeoutMs} → {@code VERTX_DOMAINS_SUPERVISOR_KILL_TIMEOUT_MS});</li>
 *   <li>system properties {@code -Dvertx-domains.supervisor.<key>=value}.</li>
 * </ol>
 * Keys starting with {@code //} are comments. A bad value's message names the key and the layer it came from
 * ({@code supervisor.killTimeoutMs from conf/supervisor.json: must be at least 1, got -7}).
 * <p>
 * The defaults file is {@value #DEFAULTS_FILE} resolved against the working directory, and is skipped when absent
 * there (the built-in defaults apply: they are the file's values); {@code -D}{@value #DEFAULTS_PROPERTY}{@code =path}
 * names another one, which must exist.
 * <p>
 * Why not vertx-config's {@code ConfigRetriever} (file, json, env and sys stores): it needs a running Vert.x
 * instance and answers asynchronously, while these settings are validated before Vert.x starts (bad input must fail
 * in one line, before anything listens); and its merged result no longer says which store a value came from, which
 * every message here names.
 */
final class SupervisorSettings {

  static final String DEFAULTS_FILE = "conf/supervisor.json";
  static final String DEFAULTS_PROPERTY = "vertx-domains.defaults";
  static final String PROPERTY_PREFIX = "vertx-domains.supervisor.";
  static final String ENV_PREFIX = "VERTX_DOMAINS_SUPERVISOR_";

  private SupervisorSettings() {
  }

  /**
   * Merges the layers into {@code config}'s {@code "supervisor"} object and validates the result.
   *
   * @throws IllegalArgumentException naming the source, the key and what is allowed
   */
  static JsonObject apply(JsonObject config, Map<String, String> env, Properties properties) {
    JsonObject merged = readDefaults(properties);
    // Where each key's winning value came from, for the messages.
    Map<String, String> source = new java.util.HashMap<>();
    String defaults = properties.getProperty(DEFAULTS_PROPERTY, DEFAULTS_FILE);
    merged.fieldNames().forEach(key -> source.put(key, defaults));
    Object fromConf = config.getValue(SupervisorOptions.CONFIG_KEY);
    if (fromConf != null && !(fromConf instanceof JsonObject)) {
      throw new IllegalArgumentException("-conf: \"" + SupervisorOptions.CONFIG_KEY + "\" must be a JSON object");
    }
    if (fromConf != null) {
      merged.mergeIn((JsonObject) fromConf);
      ((JsonObject) fromConf).fieldNames().forEach(key -> source.put(key, "-conf"));
    }
    env.forEach((name, value) -> {
      if (name.startsWith(ENV_PREFIX)) {
        String key = camel(name.substring(ENV_PREFIX.length()));
        merged.put(key, typed(value));
        source.put(key, "environment " + name);
      }
    });
    for (String name : properties.stringPropertyNames()) {
      if (name.startsWith(PROPERTY_PREFIX)) {
        String key = name.substring(PROPERTY_PREFIX.length());
        merged.put(key, typed(properties.getProperty(name)));
        source.put(key, "-D" + name);
      }
    }
    merged.fieldNames().removeIf(key -> key.startsWith("//"));
    try {
      SupervisorOptions.fromJson(merged); // validates: names the key and what is allowed
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(withSource(e.getMessage(), source));
    }
    return config.put(SupervisorOptions.CONFIG_KEY, merged);
  }

  /** {@code supervisor.key: ...} → {@code supervisor.key from <layer>: ...}. */
  static String withSource(String message, Map<String, String> source) {
    String prefix = SupervisorOptions.CONFIG_KEY + ".";
    if (message == null || !message.startsWith(prefix)) {
      return message;
    }
    int colon = message.indexOf(':');
    if (colon < 0) {
      return message;
    }
    String key = message.substring(prefix.length(), colon);
    String layer = source.get(key);
    return layer == null ? message : message.substring(0, colon) + " from " + layer + message.substring(colon);
  }

  private static JsonObject readDefaults(Properties properties) {
    String explicit = properties.getProperty(DEFAULTS_PROPERTY);
    Path path = Path.of(explicit != null ? explicit : DEFAULTS_FILE);
    if (!Files.exists(path)) {
      if (explicit != null) {
        throw new IllegalArgumentException("-D" + DEFAULTS_PROPERTY + ": no such file: " + path);
      }
      return new JsonObject();
    }
    try {
      JsonObject file = new JsonObject(Files.readString(path, StandardCharsets.UTF_8));
      Object section = file.getValue(SupervisorOptions.CONFIG_KEY, file);
      if (!(section instanceof JsonObject object)) {
        throw new IllegalArgumentException(path + ": \"" + SupervisorOptions.CONFIG_KEY + "\" must be a JSON object");
      }
      return object.copy();
    } catch (IOException e) {
      throw new IllegalArgumentException(path + ": cannot read: " + e.getMessage());
    } catch (DecodeException e) {
      throw new IllegalArgumentException(path + ": not a JSON object: " + e.getMessage());
    }
  }

  /** {@code KILL_TIMEOUT_MS} → {@code killTimeoutMs}. */
  static String camel(String snake) {
    StringBuilder out = new StringBuilder();
    boolean upper = false;
    for (char c : snake.toLowerCase(Locale.ROOT).toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return out.toString();
  }

  /** A value from a string: an integer, a decimal, a boolean, else the string. */
  static Object typed(String value) {
    String v = value.trim();
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException ignored) {
      // not an integer
    }
    return v.matches("-?\\d+\\.\\d+") ? (Object) Double.parseDouble(v) : v;
  }
}
