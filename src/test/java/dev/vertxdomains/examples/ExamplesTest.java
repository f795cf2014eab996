package dev.vertxdomains.examples;

import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.SupervisorEvents;
import dev.vertxdomains.testing.JarProcess;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The seed's servers, run supervised and driven over real HTTP. */
@ExtendWith(VertxExtension.class)
class ExamplesTest {

  record Reply(int status, String body, MultiMap headers) {
  }

  private Vertx vertx;
  private HttpClient client;
  private int port;
  private List<JsonObject> events;

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    this.vertx = vertx;
    // A connection per request, so that each lands on an instance still listening (keep-alive draining is
    // covered by the supervisor tests).
    this.client = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setKeepAlive(false));
    port = JarProcess.freePort();
    events = SupervisorEvents.listen(vertx);
  }

  private void deploy(Class<?> verticle, int instances) throws Exception {
    Supervisor.deploy(vertx, verticle.getName(), new DeploymentOptions().setInstances(instances)
      .setConfig(new JsonObject().put("http.port", port).put("http.host", "127.0.0.1"))).await(30, TimeUnit.SECONDS);
  }

  private Future<Reply> send(String uri, String... headers) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
      .setURI(uri);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      options.addHeader(headers[i], headers[i + 1]);
    }
    // Sent from a Vert.x context: Vert.x 5.0.10's client, called from a non-Vert.x thread, now and then leaves a
    // request unsent on a fresh connection (about 1 in 700 here; none in 3,000 from a context).
    Promise<Reply> reply = Promise.promise();
    vertx.runOnContext(v -> client.request(options).compose(req -> req.send())
      .compose(resp -> resp.body().map(body -> new Reply(resp.statusCode(), body.toString(), resp.headers())))
      .onComplete(reply));
    return reply.future();
  }

  private Reply get(String uri, String... headers) throws Exception {
    return send(uri, headers).await(20, TimeUnit.SECONDS);
  }

  private void awaitEvent(Predicate<JsonObject> match) throws Exception {
    SupervisorEvents.awaitEvent(events, match);
  }

  private static Predicate<JsonObject> stopped(int generation) {
    return e -> e.getInteger("generation", 0) == generation && "stopped".equals(e.getString("state"));
  }

  private static Predicate<JsonObject> running(int generation) {
    return e -> e.getInteger("generation", 0) == generation && "running".equals(e.getString("state"));
  }

  @Test
  @DisplayName("HelloServer: /, /error, /crash, /slow; a crash recycles while a slow request completes")
  void helloServer() throws Exception {
    deploy(HelloServer.class, 1);
    assertEquals("ok", get("/").body());
    Future<Reply> slow = send("/slow?ms=400");
    Reply crash = get("/crash");
    assertEquals(500, crash.status());
    assertFalse(crash.body().contains("IllegalStateException") || crash.body().contains("failed"), crash.body());
    awaitEvent(running(2));
    assertEquals(200, slow.await(10, TimeUnit.SECONDS).status(), "the in-flight request completes");
    assertEquals(500, get("/error").status());
    assertEquals(200, get("/slow?ms=20").status());
    assertEquals(404, get("/nope").status());
  }

  @Test
  @DisplayName("WebServer: errors follow Accept, carry the request id, leak nothing; /crashy; recycle")
  void webServer() throws Exception {
    deploy(WebServer.class, 1);
    assertEquals("ok", get("/").body());

    Reply json = get("/crash", "Accept", "application/json", "X-Request-Id", "req-42");
    assertEquals(500, json.status());
    assertTrue(json.headers().get("Content-Type").startsWith("application/json"), json.headers().toString());
    JsonObject body = new JsonObject(json.body());
    assertEquals(500, body.getInteger("status"));
    assertEquals("req-42", body.getString("requestId"));
    assertEquals("req-42", json.headers().get("X-Request-Id"));
    assertFalse(json.body().contains("failed") || json.body().contains("Exception"), json.body());
    awaitEvent(stopped(1)); // each fault recycles; the next request goes to the replacement

    Reply html = get("/error", "Accept", "text/html,application/xhtml+xml;q=0.9");
    assertEquals(500, html.status());
    assertTrue(html.headers().get("Content-Type").startsWith("text/html"));
    assertTrue(html.body().contains("500 Internal Server Error"), html.body());
    assertFalse(html.body().contains("timer failed"), html.body());
    awaitEvent(stopped(2));

    Reply text = get("/crashy", "Accept", "*/*", "X-Request-Id", "<script>");
    assertEquals(500, text.status());
    assertTrue(text.headers().get("Content-Type").startsWith("text/plain"));
    String generated = text.headers().get("X-Request-Id");
    assertTrue(generated != null && generated.matches("[0-9a-f]{16}"), "an unsafe id is replaced: " + generated);
    assertTrue(text.body().contains("request id: " + generated), text.body());
    assertFalse(text.body().contains("oops"), text.body());

    awaitEvent(stopped(3));
    assertTrue(events.stream().anyMatch(e -> e.getInteger("generation", 0) == 3
      && String.valueOf(e.getString("lastError")).contains("oops")), "the /crashy error recycled its instance");
    assertEquals(200, get("/slow?ms=20").status());
    assertEquals(404, get("/nope").status());
  }

  @Test
  @DisplayName("ProofOfWorkServer: work on the shared pool; a request's callback bug fails it alone; a pool bug recycles")
  void proofOfWorkServer() throws Exception {
    deploy(ProofOfWorkServer.class, 1);
    Reply work = get("/work?difficulty=2");
    assertEquals(200, work.status());
    assertTrue(work.body().matches("nonce=\\d+ hash=00[0-9a-f]{62}\\n"), work.body());

    Future<Reply> other = send("/work?difficulty=3");
    assertEquals(500, get("/work?difficulty=1&fail=callback").status());
    assertEquals(200, other.await(20, TimeUnit.SECONDS).status(), "only the failing request fails");
    awaitEvent(stopped(1));

    assertEquals(503, get("/work?fail=pool").status());
    awaitEvent(stopped(2));
    assertTrue(events.stream().anyMatch(e -> e.getInteger("generation", 0) == 2
      && String.valueOf(e.getString("lastError")).contains("the work pool exploded")), events.toString());
    assertEquals(200, get("/work?difficulty=1").status(), "the replacement has a fresh pool");

    Reply bad = get("/work?difficulty=99");
    assertEquals(400, bad.status());
    assertTrue(bad.body().startsWith("difficulty:"), bad.body());
  }
}
