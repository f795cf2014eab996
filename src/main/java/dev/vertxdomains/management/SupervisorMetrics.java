package dev.vertxdomains.management;

import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.WorkerState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The supervisor's metrics in a Micrometer registry (with Vert.x's own, when the registry is Vert.x's:
 * {@code io.vertx:vertx-micrometer-metrics}). Derived from what the supervisor publishes: {@link Supervisor#workers}
 * and the events at {@value Supervisor#EVENTS_ADDRESS} of this Vert.x instance.
 * <table>
 *   <caption>Meters (Prometheus names)</caption>
 *   <tr><th>meter</th><th>type</th><th>tags</th><th>what</th></tr>
 *   <tr><td>{@code vertx_domains_workers}</td><td>gauge</td><td>state</td><td>workers in each state</td></tr>
 *   <tr><td>{@code vertx_domains_recycles_total}</td><td>counter</td><td>verticle</td><td>instances replaced after an
 *       error (request errors and crashes: a {@code draining} event)</td></tr>
 *   <tr><td>{@code vertx_domains_backoffs_total}</td><td>counter</td><td>verticle</td><td>restarts delayed after a
 *       crash (a {@code backing-off} event; the first crash of a series restarts at once and has none)</td></tr>
 *   <tr><td>{@code vertx_domains_give_ups_total}</td><td>counter</td><td>verticle</td><td>supervised deployments
 *       that gave up (an {@code undeployed} event with {@code gaveUp})</td></tr>
 *   <tr><td>{@code vertx_domains_recycle_seconds}</td><td>timer</td><td>verticle</td><td>from the error (the old
 *       generation starts draining) to the slot's next generation running</td></tr>
 *   <tr><td>{@code vertx_domains_drain_seconds}</td><td>timer</td><td>verticle</td><td>from draining to stopped, per
 *       retired generation</td></tr>
 * </table>
 */
public final class SupervisorMetrics {

  private final MeterRegistry registry;
  private final Runnable stop;
  /** slot → when its last recycle began (ns). */
  private final Map<String, Long> recycling = new ConcurrentHashMap<>();
  /** slot#generation → when it began draining (ns). */
  private final Map<String, Long> draining = new ConcurrentHashMap<>();

  private SupervisorMetrics(Vertx vertx, MeterRegistry registry) {
    this.registry = registry;
    for (WorkerState state : WorkerState.values()) {
      String label = label(state);
      Gauge.builder("vertx.domains.workers", () -> Supervisor.workers(vertx).stream()
          .filter(w -> label.equals(w.toJson().getString("state"))).count())
        .description("Supervised workers in each state").tag("state", label).register(registry);
    }
    // Called directly on the slots' threads: no event-loop wake-up per event (the maps are concurrent).
    stop = Supervisor.listen(vertx, this::onEvent);
  }

  /**
   * Registers the supervisor's meters for a Vert.x instance; call it before its supervised deployments start.
   *
   * @param vertx    the instance whose supervisors are measured
   * @param registry where the meters go
   * @return the binding ({@link #close()} stops it)
   */
  public static SupervisorMetrics bind(Vertx vertx, MeterRegistry registry) {
    return new SupervisorMetrics(vertx, registry);
  }

  /** Stops listening for supervisor events (the meters stay registered). */
  public void close() {
    stop.run();
  }

  private static String label(WorkerState state) {
    return state.label();
  }

  private void onEvent(JsonObject event) {
    long now = System.nanoTime();
    String verticle = String.valueOf(event.getValue("verticle"));
    if ("undeployed".equals(event.getString("type"))) {
      if (Boolean.TRUE.equals(event.getBoolean("gaveUp"))) {
        counter("vertx.domains.give.ups", "Supervised deployments that gave up", verticle).increment();
        if (event.getString("handedOffTo") != null) {
          counter("vertx.domains.handoffs", "Supervised deployments handed to another node", verticle).increment();
        }
      }
      return;
    }
    if ("request-error".equals(event.getString("type"))) {
      Counter.builder("vertx.domains.request.errors").description("Requests and messages answered after an error")
        .tag("verticle", verticle).tag("policy", String.valueOf(event.getValue("policy"))).register(registry)
        .increment();
      return;
    }
    String slot = String.valueOf(event.getValue("worker"));
    String generation = slot + "#" + event.getValue("generation");
    switch (String.valueOf(event.getValue("state"))) {
      case "draining" -> {
        counter("vertx.domains.recycles", "Instances replaced after an error", verticle).increment();
        recycling.put(slot, now);
        draining.put(generation, now);
      }
      case "backing-off" -> counter("vertx.domains.backoffs", "Restarts delayed after a crash", verticle)
        .increment();
      case "running" -> {
        Long since = recycling.remove(slot);
        if (since != null) {
          Timer.builder("vertx.domains.recycle").description("From an error to the replacement running")
            .tag("verticle", verticle).register(registry).record(Duration.ofNanos(now - since));
        }
      }
      case "stopped", "failed" -> {
        Long since = draining.remove(generation);
        if (since != null) {
          Timer.builder("vertx.domains.drain").description("From draining to stopped, per retired instance")
            .tag("verticle", verticle).register(registry).record(Duration.ofNanos(now - since));
        }
        if ("failed".equals(event.getValue("state"))) {
          recycling.remove(slot);
        }
      }
      default -> {
        // starting, and states added later: nothing to count
      }
    }
  }

  private Counter counter(String name, String description, String verticle) {
    return Counter.builder(name).description(description).tag("verticle", verticle).register(registry);
  }
}
