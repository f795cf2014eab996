package dev.vertxdomains.management;

import dev.vertxdomains.launcher.BadVerticles;
import dev.vertxdomains.supervisor.Supervisor;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Liveness and readiness on a real management endpoint, with real supervised deployments. */
class HealthTest {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(5)).build();

  private Vertx vertx;
  private Health health;
  private int port;
  /** The event loop the endpoint serves on: never the one a test blocks. */
  private io.netty.channel.EventLoop serverLoop;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    health = Health.create(vertx);
    io.vertx.core.internal.ContextInternal context = (io.vertx.core.internal.ContextInternal) vertx
      .getOrCreateContext();
    serverLoop = context.nettyEventLoop();
    Promise<Integer> listening = Promise.promise();
    context.runOnContext(v -> ManagementServer.start(vertx, "127.0.0.1", 0, "local", null, health)
      .map(io.vertx.core.http.HttpServer::actualPort).onComplete(listening));
    port = listening.future().await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
      .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("live: 200 UP while every event loop answers; 503 DOWN while one is blocked")
  void live() throws Exception {
    HttpResponse<String> up = get("/health/live");
    assertEquals(200, up.statusCode(), up.body());
    assertEquals("UP", new JsonObject(up.body()).getString("status"), up.body());

    // Block one event loop (not the one serving the endpoint, which runs on its own) past the check's timeout.
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch blocked = new CountDownLatch(1);
    io.vertx.core.internal.VertxInternal internal = (io.vertx.core.internal.VertxInternal) vertx;
    java.util.List<io.netty.util.concurrent.EventExecutor> loops = new java.util.ArrayList<>();
    internal.nettyEventLoopGroup().forEach(loops::add);
    io.netty.util.concurrent.EventExecutor victim = loops.stream().filter(loop -> loop != serverLoop).findFirst()
      .orElseThrow();
    victim.execute(() -> {
      blocked.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertTrue(blocked.await(10, TimeUnit.SECONDS));
    try {
      HttpResponse<String> down = get("/health/live");
      // 503 with the count when the check's timer is on a free loop; 500 (the check's timeout) when it is not.
      assertTrue(down.statusCode() == 503 || down.statusCode() == 500, down.statusCode() + " " + down.body());
      assertEquals("DOWN", new JsonObject(down.body()).getString("status"), down.body());
    } finally {
      release.countDown();
    }
  }

  private JsonObject awaitReady(int status, Predicate<JsonObject> match) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    HttpResponse<String> last = null;
    while (System.nanoTime() < deadline) {
      last = get("/health/ready");
      if (last.statusCode() == status && match.test(new JsonObject(last.body()))) {
        return new JsonObject(last.body());
      }
      // polling the endpoint, bounded: there is no event to wait on from outside
      Thread.sleep(50);
    }
    throw new AssertionError("/health/ready never answered " + status + " as expected; last: "
      + (last == null ? null : last.statusCode() + " " + last.body()));
  }

  @Test
  @DisplayName("ready: DOWN until the pending start is done, UP with every worker running, DOWN once a supervised "
    + "deployment gave up")
  void ready() throws Exception {
    Promise<Void> main = Promise.promise();
    health.pending(main.future());
    JsonObject starting = awaitReady(503, json -> true);
    assertEquals("DOWN", starting.getString("status"), starting.encode());

    Supervisor.deploy(vertx, BadVerticles.Idle.class.getName(), new DeploymentOptions().setInstances(2))
      .await(30, TimeUnit.SECONDS);
    main.complete();
    JsonObject up = awaitReady(200, json -> true);
    assertEquals("UP", up.getString("status"), up.encode());
    assertEquals(2, up.getJsonArray("checks").getJsonObject(0).getJsonObject("data").getInteger("workers"),
      up.encode());

    Supervisor.deploy(vertx, BadVerticles.CrashesAfterStart.class.getName(), new DeploymentOptions().setConfig(new JsonObject()
      .put("supervisor", new JsonObject().put("maxRestarts", 0).put("backoffMinMs", 10)))).await(30, TimeUnit.SECONDS);
    JsonObject down = awaitReady(503, json -> json.encode().contains("gave up"));
    assertTrue(down.encode().contains(BadVerticles.CrashesAfterStart.class.getName()), down.encode());
  }
}
