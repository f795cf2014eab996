package dev.vertxdomains.management;

import dev.vertxdomains.launcher.BadVerticles;
import dev.vertxdomains.supervisor.Supervisor;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusRequestHandler;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor's meters, scraped from a real management endpoint of a Vert.x with Micrometer metrics. */
class SupervisorMetricsTest {

  private static final String HELLO = "dev.vertxdomains.examples.HelloServer";
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(5)).build();

  private Vertx vertx;
  private int management;

  @BeforeEach
  void start() throws Exception {
    String registryName = "test-" + System.nanoTime();
    vertx = Vertx.builder().with(new io.vertx.core.VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
      .setEnabled(true).setRegistryName(registryName)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)))).build();
    PrometheusMeterRegistry registry = (PrometheusMeterRegistry) BackendRegistries.getNow(registryName);
    SupervisorMetrics.bind(vertx, registry);
    management = ManagementServer.start(vertx, "127.0.0.1", 0, "local", null, null,
      PrometheusRequestHandler.create(registry)).await(30, TimeUnit.SECONDS).actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private String scrape() throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management
      + "/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return response.body();
  }

  /** The value of the first sample line starting with {@code prefix}, or -1. */
  private static double value(String metrics, String prefix) {
    Matcher m = Pattern.compile("^" + Pattern.quote(prefix) + "[^ ]* ([0-9.Ee+-]+)$", Pattern.MULTILINE)
      .matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  private String awaitMetrics(Predicate<String> match, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String last = "";
    while (System.nanoTime() < deadline) {
      last = scrape();
      if (match.test(last)) {
        return last;
      }
      // polling the scrape endpoint, bounded: what a Prometheus server does
      Thread.sleep(50);
    }
    throw new AssertionError(what + " never showed within 30 s:\n" + last);
  }

  @Test
  @DisplayName("workers by state, recycles, recycle and drain timers, give-ups; Vert.x's own metrics beside them")
  void meters() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    JsonObject config = new JsonObject().put("http.port", port).put("http.host", "127.0.0.1")
      .put("supervisor", new JsonObject().put("killTimeoutMs", 2000).put("drainIdleMs", 100));
    Supervisor.deploy(vertx, HELLO, new DeploymentOptions().setConfig(config)).await(30, TimeUnit.SECONDS);
    String before = awaitMetrics(m -> value(m, "vertx_domains_workers{state=\"running\"}") == 1.0, "one running worker");
    assertEquals(0.0, value(before, "vertx_domains_workers{state=\"draining\"}"), before);

    HttpResponse<String> error = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/error"))
      .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(500, error.statusCode());
    String after = awaitMetrics(m -> value(m, "vertx_domains_recycles_total{verticle=\"" + HELLO + "\"}") == 1.0
      && value(m, "vertx_domains_recycle_seconds_count{verticle=\"" + HELLO + "\"}") == 1.0
      && value(m, "vertx_domains_drain_seconds_count{verticle=\"" + HELLO + "\"}") == 1.0, "one recycle, drained");
    assertTrue(value(after, "vertx_domains_recycle_seconds_sum{verticle=\"" + HELLO + "\"}") > 0, after);
    assertEquals(1.0, value(after, "vertx_domains_request_errors_total{policy=\"recycle\",verticle=\"" + HELLO
      + "\"}"), after);
    assertTrue(after.contains("vertx_http_server_requests_total"), "Vert.x's own HTTP metrics:\n" + after);

    Supervisor.deploy(vertx, BadVerticles.CrashesAfterStart.class.getName(), new DeploymentOptions().setConfig(new JsonObject()
      .put("supervisor", new JsonObject().put("maxRestarts", 0)))).await(30, TimeUnit.SECONDS);
    awaitMetrics(m -> value(m, "vertx_domains_give_ups_total{verticle=\"" + BadVerticles.CrashesAfterStart.class.getName()
      + "\"}") == 1.0, "one give-up");
  }
}
