package dev.vertxdomains.web;

import ch.qos.logback.classic.Level;
import dev.vertxdomains.domain.InternalReach;
import dev.vertxdomains.domain.VertxLine;
import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.testing.LogCapture;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The start-up checks of supervised HTTP's reaches into Vert.x internals, through real deployments. */
@ExtendWith(VertxExtension.class)
class HttpReachTest {

  /** A supervised HTTP server on 127.0.0.1 and an ephemeral port, the actual port in {@link #port}. */
  public static class Server extends VerticleBase {

    static volatile int port;
    private HttpServer server;

    @Override
    public Future<?> start() {
      server = HttpDomains.serve(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)),
        request -> request.response().end("ok"));
      return server.listen().onSuccess(listening -> port = listening.actualPort());
    }

    @Override
    public Future<?> stop() {
      return server.close();
    }
  }

  @Test
  void everyReachOfSupervisedHttpIsThereOnThisLine() {
    for (InternalReach reach : List.of(HttpInternals.REQUEST_CONTEXT, HttpInternals.CONNECTION_DRAIN,
      HttpInternals.SHARED_PORT)) {
      assertTrue(reach.present(), reach + " on Vert.x " + VertxLine.version());
    }
  }

  @Test
  void aMissingRequestContextFailsTheDeploymentAtOnce(Vertx vertx) {
    assertDeploymentFailsWithout(vertx, HttpInternals.REQUEST_CONTEXT, reach -> HttpInternals.REQUEST_CONTEXT = reach);
  }

  @Test
  void aMissingConnectionDrainFailsTheDeploymentAtOnce(Vertx vertx) {
    assertDeploymentFailsWithout(vertx, HttpInternals.CONNECTION_DRAIN,
      reach -> HttpInternals.CONNECTION_DRAIN = reach);
  }

  /** Points {@code real} (set with {@code swap}) at a class without the field, deploys, and puts it back. */
  private static void assertDeploymentFailsWithout(Vertx vertx, InternalReach real, Consumer<InternalReach> swap) {
    swap.accept(InternalReach.field(real.feature(), InternalReach.Need.BEHAVIOUR, "it would not work", Object.class,
      "missing"));
    try {
      assertDeploymentFails(vertx, real.feature());
    } finally {
      swap.accept(real);
    }
  }

  private static void assertDeploymentFails(Vertx vertx, String feature) {
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    Runnable stopListening = Supervisor.listen(vertx, events::add);
    try {
      Exception failure = assertThrows(Exception.class,
        () -> Supervisor.deploy(vertx, Server.class, new DeploymentOptions()).await(20, TimeUnit.SECONDS));
      String message = failure.getMessage();
      assertTrue(failure instanceof InternalReach.Missing, String.valueOf(failure));
      assertTrue(message.contains("Vert.x " + VertxLine.version()), message);
      assertTrue(message.contains(feature), message);
      assertTrue(message.contains("java.lang.Object#missing is not there"), message);
      // Not retried (the embedded default would retry a failed first start with backoff).
      assertTrue(events.stream().noneMatch(event -> "backing-off".equals(event.getString("state"))),
        events.toString());
    } finally {
      stopListening.run();
    }
  }

  @Test
  void aMissingSharedPortReachWarnsAndServes(Vertx vertx) throws Exception {
    InternalReach real = HttpInternals.SHARED_PORT;
    HttpInternals.SHARED_PORT = InternalReach.field("supervised HTTP (leaving a shared port)",
      InternalReach.Need.SPEED, "a slot leaving a shared port can drop a connection accepted at that instant",
      Object.class, "channelBalancer");
    try (LogCapture log = LogCapture.of(InternalReach.class)) {
      String id = Supervisor.deploy(vertx, Server.class, new DeploymentOptions()).await(20, TimeUnit.SECONDS);
      List<String> warnings = log.atLeast(Level.WARN);
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(warnings.get(0).contains("leaving a shared port) is slower"), warnings.get(0));
      // From a context, with body() asked for inside send(): a client used from a plain thread can miss a response
      // that ends before body() is called (the Vert.x client race in eclipse-vertx/vert.x#4705).
      io.vertx.core.Promise<io.vertx.core.buffer.Buffer> answer = io.vertx.core.Promise.promise();
      vertx.runOnContext(v -> vertx.createHttpClient().request(HttpMethod.GET, Server.port, "127.0.0.1", "/")
        .compose(request -> request.send().compose(response -> response.body())).onComplete(answer));
      String body = answer.future().await(20, TimeUnit.SECONDS).toString();
      assertEquals("ok", body);
      vertx.undeploy(id).await(20, TimeUnit.SECONDS);
    } finally {
      HttpInternals.SHARED_PORT = real;
    }
  }
}
