package dev.vertxdomains.launcher;

import dev.vertxdomains.management.SupervisorMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusRequestHandler;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;

/**
 * The launchers' metrics switch ({@value ProcessServices#METRICS_PROPERTY}): Vert.x's Micrometer metrics with a
 * Prometheus registry, the supervisor's meters in it, and the scrape handler for the management endpoint. Only loaded
 * when the switch is on (its classes come from optional dependencies).
 */
final class MetricsSupport {

  private MetricsSupport() {
  }

  /** Turns Vert.x's metrics on, into a Prometheus registry (JVM metrics too). */
  static void enable(VertxOptions options) {
    options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
  }

  /** Adds the supervisor's meters to the instance's registry; returns the handler for {@code GET /metrics}. */
  static Handler<HttpServerRequest> bind(Vertx vertx) {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (!(registry instanceof PrometheusMeterRegistry prometheus)) {
      throw new IllegalStateException("Vert.x started without its Prometheus registry");
    }
    SupervisorMetrics.bind(vertx, prometheus);
    return PrometheusRequestHandler.create(prometheus);
  }
}
