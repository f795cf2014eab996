package dev.vertxdomains.launcher;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launchers' builder takes the metrics factory Vert.x's legacy launcher hands it only when metrics are on. */
class LauncherVertxBuilderTest {

  private static boolean metricsEnabled(VertxOptions options) throws Exception {
    // What the legacy launcher does with any VertxMetricsFactory on the class path:
    Vertx vertx = new LauncherVertxBuilder(Vertx.builder().with(options), options)
      .withMetrics(new MicrometerMetricsFactory()).build();
    try {
      return vertx.isMetricsEnabled();
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("metrics off (the default): no metrics, although a factory is on the class path")
  void off() throws Exception {
    assertFalse(metricsEnabled(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions())));
    assertFalse(metricsEnabled(new VertxOptions()));
  }

  @Test
  @DisplayName("metrics on: the factory is used")
  void on() throws Exception {
    assertTrue(metricsEnabled(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
      .setRegistryName("builder-test").setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)))));
  }
}
