package dev.vertxdomains.supervisor;

import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * How a supervisor treats its workers. Read from the deployment config under the key {@value #CONFIG_KEY};
 * every value has a default, and a bad one fails the deployment with a message naming the key and what is allowed.
 * <p>
 * The options are data: one table ({@link #KEYS}) holds each key's default, how its value is read and checked, and
 * what it means. Parsing, {@link #toJson()}, the error messages and the README's table
 * ({@code markdownTable()}, checked against the README by a test) all come from it; the typed accessors below read
 * the values it produced. The keys and their meaning are in the README, "Supervisor".
 */
public final class SupervisorOptions {

  /** The deployment-config key holding these options. */
  public static final String CONFIG_KEY = "supervisor";

  /** Reads and checks one value; {@code key} is the name to put in an error message. */
  @FunctionalInterface
  private interface Reader {
    Object read(String key, Object value);
  }

  /**
   * One option.
   *
   * @param name         the key
   * @param defaultValue the value when absent ({@code null}: none)
   * @param defaultText  the default as the README shows it
   * @param reader       reads and checks a value
   * @param meaning      what it does, for the README
   */
  private record Key(String name, Object defaultValue, String defaultText, Reader reader, String meaning) {
  }

  private static final List<Key> KEYS = List.of(
    whole("killTimeoutMs", 30_000, 1, "how long a draining instance may take before it is undeployed regardless"),
    whole("drainIdleMs", 1_000, 0, "while draining, a keep-alive connection idle this long is closed"),
    whole("maxRestarts", 5, 0, Integer.MAX_VALUE, "crashes allowed within `restartPeriodMs` (Erlang/OTP's intensity)"),
    whole("restartPeriodMs", 60_000, 1, "the intensity window"),
    whole("backoffMinMs", 100, 1, "first delay after a crash (Akka's BackoffSupervisor)"),
    whole("backoffMaxMs", 10_000, 1, "the delay doubles up to this"),
    new Key("backoffJitter", 0.2, "0.2", SupervisorOptions::fraction, "each delay randomised by up to ±20 %"),
    whole("backoffResetMs", 10_000, 1, "an instance up this long resets the backoff"),
    new Key("giveUp", GiveUpAction.STOP, "`stop`", (key, value) -> value instanceof GiveUpAction action ? action
      : GiveUpAction.parse(key, string(key, value)), "`stop`: undeploy and report the deployment failed; `exit`: "
      + "drain everything, close Vert.x, exit the JVM; `handoff` (clustered HA deployments): hand it to another node "
      + "of the HA group that has not failed it, `stop` when every one has (see Cluster)"),
    new Key("haId", null, "set for you", SupervisorOptions::identity,
      "the identity of an HA deployment across nodes; added by the launcher and `Supervisor.deploy`"),
    whole("exitCode", 70, 1, 255, "exit code for `giveUp: exit`"),
    new Key("errorPolicy", ErrorPolicy.RECYCLE, "`recycle`", (key, value) -> value instanceof ErrorPolicy policy
      ? policy : ErrorPolicy.parse(key, string(key, value)),
      "after a request error: `recycle` the instance, or `continue` (for side-effect-free handlers)"),
    whole("holdTimeoutMs", 5_000, 0, "while no generation of a slot is ready (first start, crash backoff), new "
      + "requests and messages wait this long, then get 503 with `Retry-After`"),
    whole("maxRetiring", 8, 1, Integer.MAX_VALUE, "at most this many replaced generations of a slot may still be "
      + "finishing their work; beyond it the oldest is ended at once (its open requests get 503), so a flood of "
      + "faults costs bounded memory"),
    new Key("requestTimeoutMs", 0L, "0 (off)", wholeReader(0, Long.MAX_VALUE), "an HTTP request not answered this "
      + "long after it arrived gets 503, and its domain receives a `RequestTimeoutException` that follows the error "
      + "policy (on in the examples' `conf/*.json`)"),
    whole("startTimeoutMs", 60_000, 0, "a generation whose `start()` has not completed by then failed to start (a "
      + "crash: backoff, restart intensity), and what it created is closed; 0 waits forever"),
    whole("stuckTimeoutMs", 5_000, 0, "a slot whose event loop has not run a heartbeat for this long is reported "
      + "`stuck` (0: no watch); see below"),
    new Key("retryFirstStart", true, "`true` (`false` in the launcher's `conf/supervisor.json`)",
      SupervisorOptions::flag, "whether a deployment none of whose instances has ever run retries a failed start "
      + "with backoff; `false` fails the deployment at once, with the start's error (a wrong class, a busy port: bad "
      + "input); `giveUp: handoff` always retries, then hands off"));

  private static final Map<String, Key> BY_NAME = KEYS.stream()
    .collect(Collectors.toMap(Key::name, key -> key, (a, b) -> a, LinkedHashMap::new));

  /** Each key's value; a key without a default and not set is absent. */
  private final Map<String, Object> values = new HashMap<>();

  /** Options with every default. */
  public SupervisorOptions() {
    for (Key key : KEYS) {
      if (key.defaultValue() != null) {
        values.put(key.name(), key.defaultValue());
      }
    }
  }

  /**
   * Reads options from a deployment config: the object under {@value #CONFIG_KEY}, or the defaults if absent.
   *
   * @param config a deployment config, or {@code null}
   * @return the options
   * @throws IllegalArgumentException naming the key and what is allowed, for an unknown key or a bad value
   */
  public static SupervisorOptions fromConfig(JsonObject config) {
    if (config == null || !config.containsKey(CONFIG_KEY)) {
      return new SupervisorOptions();
    }
    Object section = config.getValue(CONFIG_KEY);
    if (!(section instanceof JsonObject json)) {
      throw new IllegalArgumentException(CONFIG_KEY + ": must be a JSON object, got " + describe(section));
    }
    return fromJson(json);
  }

  /**
   * Reads options from their JSON form (the object under {@value #CONFIG_KEY}). Keys starting with {@code //} are
   * comments.
   *
   * @param json the options
   * @return the options
   * @throws IllegalArgumentException naming the key and what is allowed, for an unknown key or a bad value
   */
  public static SupervisorOptions fromJson(JsonObject json) {
    for (String name : json.fieldNames()) {
      if (!BY_NAME.containsKey(name) && !name.startsWith("//")) {
        throw new IllegalArgumentException(CONFIG_KEY + "." + name + ": unknown key, allowed: "
          + String.join(", ", new TreeSet<>(BY_NAME.keySet())));
      }
    }
    SupervisorOptions options = new SupervisorOptions();
    for (Key key : KEYS) {
      if (json.containsKey(key.name())) {
        options.values.put(key.name(), key.reader().read(CONFIG_KEY + "." + key.name(), json.getValue(key.name())));
      }
    }
    if (options.backoffMaxMs() < options.backoffMinMs()) {
      throw new IllegalArgumentException(CONFIG_KEY + ".backoffMaxMs: must be at least backoffMinMs ("
        + options.backoffMinMs() + "), got " + options.backoffMaxMs());
    }
    return options;
  }

  /** These options as JSON, with every key that has a value. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    for (Key key : KEYS) {
      Object value = values.get(key.name());
      if (value instanceof Enum<?> constant) {
        json.put(key.name(), constant.name().toLowerCase(Locale.ROOT));
      } else if (value != null) {
        json.put(key.name(), value);
      }
    }
    return json;
  }

  /** The README's table of keys, defaults and meanings, in Markdown. */
  static String markdownTable() {
    StringBuilder table = new StringBuilder("| key | default | meaning |\n|---|---|---|\n");
    for (Key key : KEYS) {
      table.append("| `").append(key.name()).append("` | ").append(key.defaultText()).append(" | ")
        .append(key.meaning()).append(" |\n");
    }
    return table.toString();
  }

  private SupervisorOptions set(String name, Object value) {
    values.put(name, BY_NAME.get(name).reader().read(name, value));
    return this;
  }

  private long whole(String name) {
    return (Long) values.get(name);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Readers: each names the key and what is allowed

  private static Key whole(String name, long defaultValue, long min, String meaning) {
    return whole(name, defaultValue, min, Long.MAX_VALUE, meaning);
  }

  /** A whole number from {@code min} to {@code max}: int keys pass their bound, so that nothing is truncated. */
  private static Key whole(String name, long defaultValue, long min, long max, String meaning) {
    return new Key(name, defaultValue, Long.toString(defaultValue), wholeReader(min, max), meaning);
  }

  private static Reader wholeReader(long min, long max) {
    return (key, value) -> {
      if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())) {
        throw new IllegalArgumentException(key + ": must be a whole number of at least " + min + ", got "
          + describe(value));
      }
      String allowed = max == Long.MAX_VALUE ? "at least " + min : "from " + min + " to " + max;
      // compared as a double first: a value beyond the range of long must not wrap into range
      if (number.doubleValue() > max || number.doubleValue() < min || number.longValue() < min
        || number.longValue() > max) {
        throw new IllegalArgumentException(key + ": must be " + allowed + ", got " + number);
      }
      return number.longValue();
    };
  }

  private static Object fraction(String key, Object value) {
    if (!(value instanceof Number number) || number.doubleValue() < 0 || number.doubleValue() > 1) {
      throw new IllegalArgumentException(key + ": must be a number from 0 to 1, got " + describe(value));
    }
    return number.doubleValue();
  }

  private static Object flag(String key, Object value) {
    if (!(value instanceof Boolean flag)) {
      throw new IllegalArgumentException(key + ": must be true or false, got " + describe(value));
    }
    return flag;
  }

  private static Object identity(String key, Object value) {
    String text = string(key, value);
    if (text.isBlank()) {
      throw new IllegalArgumentException(key + ": must not be blank");
    }
    return text;
  }

  private static String string(String key, Object value) {
    if (!(value instanceof String text)) {
      throw new IllegalArgumentException(key + ": must be a string, got " + describe(value));
    }
    return text;
  }

  private static String describe(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String) {
      return "the string \"" + value + "\"";
    }
    return value.getClass().getSimpleName().replace("JsonObject", "an object").replace("JsonArray", "an array")
      + " " + value;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Typed access

  /** @return the kill timeout in milliseconds */
  public long killTimeoutMs() {
    return whole("killTimeoutMs");
  }

  /** @param value the kill timeout in milliseconds, at least 1 @return these options */
  public SupervisorOptions killTimeoutMs(long value) {
    return set("killTimeoutMs", value);
  }

  /** @return how long an idle keep-alive connection of a draining instance stays open */
  public long drainIdleMs() {
    return whole("drainIdleMs");
  }

  /** @param value milliseconds, at least 0 @return these options */
  public SupervisorOptions drainIdleMs(long value) {
    return set("drainIdleMs", value);
  }

  /** @return the crashes allowed within {@link #restartPeriodMs()} */
  public int maxRestarts() {
    return (int) whole("maxRestarts");
  }

  /** @param value at least 0 @return these options */
  public SupervisorOptions maxRestarts(int value) {
    return set("maxRestarts", (long) value);
  }

  /** @return the restart-intensity window in milliseconds */
  public long restartPeriodMs() {
    return whole("restartPeriodMs");
  }

  /** @param value milliseconds, at least 1 @return these options */
  public SupervisorOptions restartPeriodMs(long value) {
    return set("restartPeriodMs", value);
  }

  /** @return the first backoff delay */
  public long backoffMinMs() {
    return whole("backoffMinMs");
  }

  /** @param value milliseconds, at least 1 @return these options */
  public SupervisorOptions backoffMinMs(long value) {
    return set("backoffMinMs", value);
  }

  /** @return the longest backoff delay */
  public long backoffMaxMs() {
    return whole("backoffMaxMs");
  }

  /** @param value milliseconds, at least 1 @return these options */
  public SupervisorOptions backoffMaxMs(long value) {
    return set("backoffMaxMs", value);
  }

  /** @return the jitter fraction */
  public double backoffJitter() {
    return (Double) values.get("backoffJitter");
  }

  /** @param value from 0 to 1 @return these options */
  public SupervisorOptions backoffJitter(double value) {
    return set("backoffJitter", value);
  }

  /** @return the uptime after which the backoff resets */
  public long backoffResetMs() {
    return whole("backoffResetMs");
  }

  /** @param value milliseconds, at least 1 @return these options */
  public SupervisorOptions backoffResetMs(long value) {
    return set("backoffResetMs", value);
  }

  /** @return the give-up action */
  public GiveUpAction giveUp() {
    return (GiveUpAction) values.get("giveUp");
  }

  /** @param value the give-up action @return these options */
  public SupervisorOptions giveUp(GiveUpAction value) {
    return set("giveUp", Objects.requireNonNull(value, "giveUp"));
  }

  /** @return the exit code for {@link GiveUpAction#EXIT} */
  public int exitCode() {
    return (int) whole("exitCode");
  }

  /** @param value 1 to 255 @return these options */
  public SupervisorOptions exitCode(int value) {
    return set("exitCode", (long) value);
  }

  /** @return how long new work waits for a generation of its slot to be ready before it is refused */
  public long holdTimeoutMs() {
    return whole("holdTimeoutMs");
  }

  /** @param value milliseconds, at least 0 (0: refuse at once) @return these options */
  public SupervisorOptions holdTimeoutMs(long value) {
    return set("holdTimeoutMs", value);
  }

  /** @return how many replaced generations of a slot may still be finishing their work */
  public int maxRetiring() {
    return (int) whole("maxRetiring");
  }

  /** @param value at least 1 @return these options */
  public SupervisorOptions maxRetiring(int value) {
    return set("maxRetiring", (long) value);
  }

  /** @return the per-request deadline of HTTP requests in milliseconds, 0 for none */
  public long requestTimeoutMs() {
    return whole("requestTimeoutMs");
  }

  /** @param value milliseconds, at least 0 (0: no deadline) @return these options */
  public SupervisorOptions requestTimeoutMs(long value) {
    return set("requestTimeoutMs", value);
  }

  /** @return how long a generation's start may take, 0 for no bound */
  public long startTimeoutMs() {
    return whole("startTimeoutMs");
  }

  /** @param value milliseconds, at least 0 (0: no bound) @return these options */
  public SupervisorOptions startTimeoutMs(long value) {
    return set("startTimeoutMs", value);
  }

  /** @return how long a slot's event loop may be blocked before the slot is reported stuck, 0 for never */
  public long stuckTimeoutMs() {
    return whole("stuckTimeoutMs");
  }

  /** @param value milliseconds, at least 0 (0: no watch) @return these options */
  public SupervisorOptions stuckTimeoutMs(long value) {
    return set("stuckTimeoutMs", value);
  }

  /** @return whether a deployment that has never run retries a failed start */
  public boolean retryFirstStart() {
    return (Boolean) values.get("retryFirstStart");
  }

  /** @param value {@code false} to fail a deployment at once when its first start fails @return these options */
  public SupervisorOptions retryFirstStart(boolean value) {
    return set("retryFirstStart", value);
  }

  /** @return the identity of this HA deployment across failovers, or {@code null} */
  public String haId() {
    return (String) values.get("haId");
  }

  /** @return the error policy for request and message domains */
  public ErrorPolicy errorPolicy() {
    return (ErrorPolicy) values.get("errorPolicy");
  }

  /** @param value the error policy @return these options */
  public SupervisorOptions errorPolicy(ErrorPolicy value) {
    return set("errorPolicy", Objects.requireNonNull(value, "errorPolicy"));
  }

}
