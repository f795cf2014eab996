package dev.vertxdomains.supervisor;

import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How a supervisor treats its workers. Read from the deployment config under the key {@value #CONFIG_KEY};
 * every value has a default, and a bad one fails the deployment with a message naming the key and what is allowed.
 *
 * <table>
 *   <caption>Keys, defaults and meaning</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>killTimeoutMs</td><td>30000</td><td>how long a draining instance may take before it is undeployed regardless</td></tr>
 *   <tr><td>drainIdleMs</td><td>1000</td><td>while draining, a keep-alive connection idle this long is closed</td></tr>
 *   <tr><td>maxRestarts</td><td>5</td><td>crashes (failed starts, errors outside any request domain) allowed ...</td></tr>
 *   <tr><td>restartPeriodMs</td><td>60000</td><td>... within this window before the give-up action runs</td></tr>
 *   <tr><td>backoffMinMs</td><td>100</td><td>the first delay before restarting after a crash</td></tr>
 *   <tr><td>backoffMaxMs</td><td>10000</td><td>the longest delay (it doubles from the minimum)</td></tr>
 *   <tr><td>backoffJitter</td><td>0.2</td><td>each delay is randomised by up to this fraction, either way</td></tr>
 *   <tr><td>backoffResetMs</td><td>10000</td><td>an instance up this long resets the backoff</td></tr>
 *   <tr><td>giveUp</td><td>stop</td><td>{@code stop} the deployment, or drain everything and {@code exit} the JVM</td></tr>
 *   <tr><td>exitCode</td><td>70</td><td>the exit code for {@code giveUp: exit} (1 to 255)</td></tr>
 *   <tr><td>errorPolicy</td><td>recycle</td><td>after a request error: {@code recycle} the instance, or {@code continue}</td></tr>
 *   <tr><td>holdTimeoutMs</td><td>5000</td><td>while no generation of a slot is ready (first start, crash backoff),
 *       new requests and messages wait this long for one, then are refused (HTTP 503 with {@code Retry-After}, an
 *       event-bus failure 503)</td></tr>
 *   <tr><td>maxRetiring</td><td>8</td><td>at most this many replaced generations of a slot may still be finishing
 *       their work; beyond it the oldest is ended at once, its unfinished requests answered 503 (a flood of faults
 *       costs bounded memory)</td></tr>
 *   <tr><td>requestTimeoutMs</td><td>0 (off)</td><td>an HTTP request not answered this long after it arrived is answered
 *       503, and its domain receives a {@code RequestTimeoutException} that follows the error policy</td></tr>
 *   <tr><td>startTimeoutMs</td><td>60000</td><td>a generation whose {@code start()} has not completed by then has
 *       failed to start (a crash: backoff, restart intensity); 0 waits forever</td></tr>
 *   <tr><td>stuckTimeoutMs</td><td>5000</td><td>a slot whose event loop has not run a heartbeat for this long is
 *       reported {@code stuck}: it takes no new connections or messages until its loop answers again, and a stand-in
 *       slot on a free event loop takes them meanwhile; with {@code giveUp: exit} the process exits instead, so that
 *       the orchestrator or the cluster takes over; 0 disables the watch</td></tr>
 *   <tr><td>retryFirstStart</td><td>true</td><td>whether a deployment none of whose instances has ever run retries a
 *       failed start with backoff; {@code false} (the launcher's default) fails the deployment at once, since a
 *       deployment that cannot start the first time is most likely misconfigured ({@code giveUp: handoff} always
 *       retries, then hands off)</td></tr>
 *   <tr><td>haId</td><td>none</td><td>the identity of an HA deployment across failovers, set by
 *       {@link Supervisor#deploy(io.vertx.core.Vertx, String, io.vertx.core.DeploymentOptions)} and the launcher;
 *       with {@link DeploymentClaims} installed, only one node runs it</td></tr>
 * </table>
 */
public final class SupervisorOptions {

  /** The deployment-config key holding these options. */
  public static final String CONFIG_KEY = "supervisor";

  private static final Set<String> KEYS = Set.of("killTimeoutMs", "drainIdleMs", "maxRestarts", "restartPeriodMs",
    "backoffMinMs", "backoffMaxMs", "backoffJitter", "backoffResetMs", "giveUp", "exitCode", "errorPolicy",
    "haId", "holdTimeoutMs", "maxRetiring", "requestTimeoutMs", "startTimeoutMs", "stuckTimeoutMs", "retryFirstStart");

  private long killTimeoutMs = 30_000;
  private long drainIdleMs = 1_000;
  private int maxRestarts = 5;
  private long restartPeriodMs = 60_000;
  private long backoffMinMs = 100;
  private long backoffMaxMs = 10_000;
  private double backoffJitter = 0.2;
  private long backoffResetMs = 10_000;
  private GiveUpAction giveUp = GiveUpAction.STOP;
  private int exitCode = 70;
  private ErrorPolicy errorPolicy = ErrorPolicy.RECYCLE;
  private String haId;
  private long holdTimeoutMs = 5_000;
  private int maxRetiring = 8;
  private long requestTimeoutMs;
  private long startTimeoutMs = 60_000;
  private long stuckTimeoutMs = 5_000;
  private boolean retryFirstStart = true;

  /** Options with every default. */
  public SupervisorOptions() {
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
   * Reads options from their JSON form (the object under {@value #CONFIG_KEY}).
   *
   * @param json the options
   * @return the options
   * @throws IllegalArgumentException naming the key and what is allowed, for an unknown key or a bad value
   */
  public static SupervisorOptions fromJson(JsonObject json) {
    SupervisorOptions options = new SupervisorOptions();
    for (String key : json.fieldNames()) {
      if (!KEYS.contains(key) && !key.startsWith("//")) {
        throw new IllegalArgumentException(CONFIG_KEY + "." + key + ": unknown key, allowed: "
          + String.join(", ", new java.util.TreeSet<>(KEYS)));
      }
    }
    options.killTimeoutMs = positiveLong(json, "killTimeoutMs", options.killTimeoutMs, 1);
    options.drainIdleMs = positiveLong(json, "drainIdleMs", options.drainIdleMs, 0);
    options.maxRestarts = (int) positiveLong(json, "maxRestarts", options.maxRestarts, 0, Integer.MAX_VALUE);
    options.restartPeriodMs = positiveLong(json, "restartPeriodMs", options.restartPeriodMs, 1);
    options.backoffMinMs = positiveLong(json, "backoffMinMs", options.backoffMinMs, 1);
    options.backoffMaxMs = positiveLong(json, "backoffMaxMs", options.backoffMaxMs, 1);
    options.backoffResetMs = positiveLong(json, "backoffResetMs", options.backoffResetMs, 1);
    options.holdTimeoutMs = positiveLong(json, "holdTimeoutMs", options.holdTimeoutMs, 0);
    options.maxRetiring = (int) positiveLong(json, "maxRetiring", options.maxRetiring, 1, Integer.MAX_VALUE);
    options.requestTimeoutMs = positiveLong(json, "requestTimeoutMs", options.requestTimeoutMs, 0);
    options.startTimeoutMs = positiveLong(json, "startTimeoutMs", options.startTimeoutMs, 0);
    options.stuckTimeoutMs = positiveLong(json, "stuckTimeoutMs", options.stuckTimeoutMs, 0);
    if (json.containsKey("retryFirstStart")) {
      Object value = json.getValue("retryFirstStart");
      if (!(value instanceof Boolean flag)) {
        throw new IllegalArgumentException(CONFIG_KEY + ".retryFirstStart: must be true or false, got "
          + describe(value));
      }
      options.retryFirstStart = flag;
    }
    options.exitCode = (int) positiveLong(json, "exitCode", options.exitCode, 1, 255);
    if (options.backoffMaxMs < options.backoffMinMs) {
      throw new IllegalArgumentException(CONFIG_KEY + ".backoffMaxMs: must be at least backoffMinMs ("
        + options.backoffMinMs + "), got " + options.backoffMaxMs);
    }
    if (json.containsKey("backoffJitter")) {
      Object value = json.getValue("backoffJitter");
      if (!(value instanceof Number number) || number.doubleValue() < 0 || number.doubleValue() > 1) {
        throw new IllegalArgumentException(CONFIG_KEY + ".backoffJitter: must be a number from 0 to 1, got "
          + describe(value));
      }
      options.backoffJitter = number.doubleValue();
    }
    if (json.containsKey("giveUp")) {
      options.giveUp = GiveUpAction.parse(CONFIG_KEY + ".giveUp", string(json, "giveUp"));
    }
    if (json.containsKey("errorPolicy")) {
      options.errorPolicy = ErrorPolicy.parse(CONFIG_KEY + ".errorPolicy", string(json, "errorPolicy"));
    }
    if (json.containsKey("haId")) {
      options.haId = string(json, "haId");
      if (options.haId.isBlank()) {
        throw new IllegalArgumentException(CONFIG_KEY + ".haId: must not be blank");
      }
    }
    return options;
  }

  /** These options as JSON, with every key. */
  public JsonObject toJson() {
    Map<String, Object> map = new LinkedHashMap<>();
    map.put("killTimeoutMs", killTimeoutMs);
    map.put("drainIdleMs", drainIdleMs);
    map.put("maxRestarts", maxRestarts);
    map.put("restartPeriodMs", restartPeriodMs);
    map.put("backoffMinMs", backoffMinMs);
    map.put("backoffMaxMs", backoffMaxMs);
    map.put("backoffJitter", backoffJitter);
    map.put("backoffResetMs", backoffResetMs);
    map.put("giveUp", giveUp.name().toLowerCase(java.util.Locale.ROOT));
    map.put("exitCode", exitCode);
    map.put("errorPolicy", errorPolicy.name().toLowerCase(java.util.Locale.ROOT));
    map.put("holdTimeoutMs", holdTimeoutMs);
    map.put("maxRetiring", maxRetiring);
    map.put("requestTimeoutMs", requestTimeoutMs);
    map.put("startTimeoutMs", startTimeoutMs);
    map.put("stuckTimeoutMs", stuckTimeoutMs);
    map.put("retryFirstStart", retryFirstStart);
    if (haId != null) {
      map.put("haId", haId);
    }
    return new JsonObject(map);
  }

  private static long positiveLong(JsonObject json, String key, long fallback, long min) {
    return positiveLong(json, key, fallback, min, Long.MAX_VALUE);
  }

  /** A whole number from {@code min} to {@code max}: int keys pass their bound, so that nothing is truncated. */
  private static long positiveLong(JsonObject json, String key, long fallback, long min, long max) {
    if (!json.containsKey(key)) {
      return fallback;
    }
    Object value = json.getValue(key);
    if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())) {
      throw new IllegalArgumentException(CONFIG_KEY + "." + key + ": must be a whole number"
        + (min > 0 ? " of at least " + min : " of at least 0") + ", got " + describe(value));
    }
    if (number.doubleValue() > max || number.doubleValue() < min) {
      // compared as a double first: a value beyond the range of long must not wrap into range
      throw new IllegalArgumentException(CONFIG_KEY + "." + key + ": must be " + (max == Long.MAX_VALUE
        ? "at least " + min : "from " + min + " to " + max) + ", got " + number);
    }
    long result = number.longValue();
    if (result < min || result > max) {
      throw new IllegalArgumentException(CONFIG_KEY + "." + key + ": must be " + (max == Long.MAX_VALUE
        ? "at least " + min : "from " + min + " to " + max) + ", got " + number);
    }
    return result;
  }

  private static String string(JsonObject json, String key) {
    Object value = json.getValue(key);
    if (!(value instanceof String text)) {
      throw new IllegalArgumentException(CONFIG_KEY + "." + key + ": must be a string, got " + describe(value));
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

  /** @return the kill timeout in milliseconds */
  public long killTimeoutMs() {
    return killTimeoutMs;
  }

  /** @param value the kill timeout in milliseconds, at least 1 @return these options */
  public SupervisorOptions killTimeoutMs(long value) {
    killTimeoutMs = requireAtLeast("killTimeoutMs", value, 1);
    return this;
  }

  /** @return how long an idle keep-alive connection of a draining instance stays open */
  public long drainIdleMs() {
    return drainIdleMs;
  }

  /** @param value milliseconds, at least 0 @return these options */
  public SupervisorOptions drainIdleMs(long value) {
    drainIdleMs = requireAtLeast("drainIdleMs", value, 0);
    return this;
  }

  /** @return the crashes allowed within {@link #restartPeriodMs()} */
  public int maxRestarts() {
    return maxRestarts;
  }

  /** @param value at least 0 @return these options */
  public SupervisorOptions maxRestarts(int value) {
    maxRestarts = (int) requireAtLeast("maxRestarts", value, 0);
    return this;
  }

  /** @return the restart-intensity window in milliseconds */
  public long restartPeriodMs() {
    return restartPeriodMs;
  }

  /** @param value milliseconds, at least 1 @return these options */
  public SupervisorOptions restartPeriodMs(long value) {
    restartPeriodMs = requireAtLeast("restartPeriodMs", value, 1);
    return this;
  }

  /** @return the first backoff delay */
  public long backoffMinMs() {
    return backoffMinMs;
  }

  /** @param value milliseconds, at least 1 @return these options */
  public SupervisorOptions backoffMinMs(long value) {
    backoffMinMs = requireAtLeast("backoffMinMs", value, 1);
    return this;
  }

  /** @return the longest backoff delay */
  public long backoffMaxMs() {
    return backoffMaxMs;
  }

  /** @param value milliseconds, at least 1 @return these options */
  public SupervisorOptions backoffMaxMs(long value) {
    backoffMaxMs = requireAtLeast("backoffMaxMs", value, 1);
    return this;
  }

  /** @return the jitter fraction */
  public double backoffJitter() {
    return backoffJitter;
  }

  /** @param value from 0 to 1 @return these options */
  public SupervisorOptions backoffJitter(double value) {
    if (value < 0 || value > 1) {
      throw new IllegalArgumentException("backoffJitter: must be from 0 to 1, got " + value);
    }
    backoffJitter = value;
    return this;
  }

  /** @return the uptime after which the backoff resets */
  public long backoffResetMs() {
    return backoffResetMs;
  }

  /** @param value milliseconds, at least 1 @return these options */
  public SupervisorOptions backoffResetMs(long value) {
    backoffResetMs = requireAtLeast("backoffResetMs", value, 1);
    return this;
  }

  /** @return the give-up action */
  public GiveUpAction giveUp() {
    return giveUp;
  }

  /** @param value the give-up action @return these options */
  public SupervisorOptions giveUp(GiveUpAction value) {
    giveUp = Objects.requireNonNull(value, "giveUp");
    return this;
  }

  /** @return the exit code for {@link GiveUpAction#EXIT} */
  public int exitCode() {
    return exitCode;
  }

  /** @param value 1 to 255 @return these options */
  public SupervisorOptions exitCode(int value) {
    if (value < 1 || value > 255) {
      throw new IllegalArgumentException("exitCode: must be from 1 to 255, got " + value);
    }
    exitCode = value;
    return this;
  }

  /** @return how long new work waits for a generation of its slot to be ready before it is refused */
  public long holdTimeoutMs() {
    return holdTimeoutMs;
  }

  /** @param value milliseconds, at least 0 (0: refuse at once) @return these options */
  public SupervisorOptions holdTimeoutMs(long value) {
    holdTimeoutMs = requireAtLeast("holdTimeoutMs", value, 0);
    return this;
  }

  /** @return how many replaced generations of a slot may still be finishing their work */
  public int maxRetiring() {
    return maxRetiring;
  }

  /** @param value at least 1 @return these options */
  public SupervisorOptions maxRetiring(int value) {
    maxRetiring = (int) requireAtLeast("maxRetiring", value, 1);
    return this;
  }

  /** @return the per-request deadline of HTTP requests in milliseconds, 0 for none */
  public long requestTimeoutMs() {
    return requestTimeoutMs;
  }

  /** @param value milliseconds, at least 0 (0: no deadline) @return these options */
  public SupervisorOptions requestTimeoutMs(long value) {
    requestTimeoutMs = requireAtLeast("requestTimeoutMs", value, 0);
    return this;
  }

  /** @return how long a generation's start may take, 0 for no bound */
  public long startTimeoutMs() {
    return startTimeoutMs;
  }

  /** @param value milliseconds, at least 0 (0: no bound) @return these options */
  public SupervisorOptions startTimeoutMs(long value) {
    startTimeoutMs = requireAtLeast("startTimeoutMs", value, 0);
    return this;
  }

  /** @return how long a slot's event loop may be blocked before the slot is reported stuck, 0 for never */
  public long stuckTimeoutMs() {
    return stuckTimeoutMs;
  }

  /** @param value milliseconds, at least 0 (0: no watch) @return these options */
  public SupervisorOptions stuckTimeoutMs(long value) {
    stuckTimeoutMs = requireAtLeast("stuckTimeoutMs", value, 0);
    return this;
  }

  /** @return whether a deployment that has never run retries a failed start */
  public boolean retryFirstStart() {
    return retryFirstStart;
  }

  /** @param value {@code false} to fail a deployment at once when its first start fails @return these options */
  public SupervisorOptions retryFirstStart(boolean value) {
    retryFirstStart = value;
    return this;
  }

  /** @return the identity of this HA deployment across failovers, or {@code null} */
  public String haId() {
    return haId;
  }

  /** @return the error policy for request and message domains */
  public ErrorPolicy errorPolicy() {
    return errorPolicy;
  }

  /** @param value the error policy @return these options */
  public SupervisorOptions errorPolicy(ErrorPolicy value) {
    errorPolicy = Objects.requireNonNull(value, "errorPolicy");
    return this;
  }

  private static long requireAtLeast(String key, long value, long min) {
    if (value < min) {
      throw new IllegalArgumentException(key + ": must be at least " + min + ", got " + value);
    }
    return value;
  }
}
