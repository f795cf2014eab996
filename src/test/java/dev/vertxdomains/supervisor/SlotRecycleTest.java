package dev.vertxdomains.supervisor;

import dev.vertxdomains.testing.JarProcess;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.vertxdomains.supervisor.SupervisorEvents.awaitEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A recycle closes no connection: the slot owns the listener and each request goes to the generation serving when it
 * arrives. Real servers, real clients, loopback, bounded counts and times.
 */
@ExtendWith(VertxExtension.class)
class SlotRecycleTest {

  static Future<String> deploy(Vertx vertx, int port, int instances, JsonObject supervisor, ThreadingModel model) {
    JsonObject config = new JsonObject().put("http.port", port);
    if (supervisor != null) {
      config.put(SupervisorOptions.CONFIG_KEY, supervisor);
    }
    return Supervisor.deploy(vertx, RecycleServer.class.getName(),
      new DeploymentOptions().setInstances(instances).setThreadingModel(model).setConfig(config));
  }

  static Future<String> deploy(Vertx vertx, int port, int instances, JsonObject supervisor) {
    return deploy(vertx, port, instances, supervisor, ThreadingModel.EVENT_LOOP);
  }

  /** status + " " + body, or "error: ..." for a connection-level failure; always sent from a Vert.x context. */
  static Future<String> get(Vertx vertx, HttpClient client, int port, String uri) {
    return get(vertx.getOrCreateContext(), client, port, uri);
  }

  private static Predicate running(int generation) {
    return e -> e.getInteger("generation") == generation && "running".equals(e.getString("state"));
  }

  private interface Predicate extends java.util.function.Predicate<JsonObject> {
  }

  @Test
  @DisplayName("200+ recycles under keep-alive load: no new connection, every fault 500, every other request 200, no errors")
  void noConnectionChurn(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    deploy(vertx, port, 2, null).await(30, TimeUnit.SECONDS);
    int pool = 16;
    AtomicInteger opened = new AtomicInteger();
    HttpClient client = vertx.httpClientBuilder()
      .with(new HttpClientOptions().setKeepAlive(true))
      .with(new PoolOptions().setHttp1MaxSize(pool))
      .withConnectHandler(connection -> opened.incrementAndGet())
      .build();
    int total = 25_000;
    AtomicInteger next = new AtomicInteger();
    AtomicInteger faults = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    List<String> other = new CopyOnWriteArrayList<>();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < pool; lane++) {
      Promise<Void> done = Promise.promise();
      lanes.add(done.future());
      vertx.runOnContext(v -> lane(vertx, client, port, total, next, faults, ok, failed, other, done));
    }
    Future.all(lanes).await(120, TimeUnit.SECONDS);

    long restarts = Supervisor.workers(vertx).stream().mapToLong(WorkerInfo::restarts).sum();
    assertEquals(List.of(), other, "responses other than 200 and 500, and connection errors");
    assertEquals(faults.get(), failed.get(), "every fault answered 500");
    assertEquals(total - faults.get(), ok.get(), "every other request answered 200");
    assertTrue(restarts >= 200, "recycles: " + restarts);
    assertTrue(opened.get() <= pool, "connections opened across " + restarts + " recycles: " + opened.get()
      + " (the pool holds " + pool + ")");
    client.close().await();
  }

  private static void lane(Vertx vertx, HttpClient client, int port, int total, AtomicInteger next,
                           AtomicInteger faults, AtomicInteger ok, AtomicInteger failed, List<String> other,
                           Promise<Void> done) {
    int i = next.getAndIncrement();
    if (i >= total) {
      done.complete();
      return;
    }
    boolean fault = i % 50 == 25;
    String uri = fault ? (i % 100 == 25 ? "/crash" : "/error") : "/";
    if (fault) {
      faults.incrementAndGet();
    }
    client.request(HttpMethod.GET, port, "127.0.0.1", uri)
      .compose(HttpClientRequest::send)
      .compose(resp -> resp.body().map(body -> resp.statusCode()))
      .onComplete(ar -> {
        if (ar.succeeded() && ar.result() == 200) {
          ok.incrementAndGet();
        } else if (ar.succeeded() && ar.result() == 500) {
          failed.incrementAndGet();
        } else {
          other.add(uri + " -> " + (ar.succeeded() ? ar.result() : ar.cause()));
        }
        lane(vertx, client, port, total, next, faults, ok, failed, other, done);
      });
  }

  @Test
  @DisplayName("pipelined requests behind a faulting one are answered by the new generation, on the same connection")
  void pipelinedBehindAFault() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      int port = JarProcess.freePort();
      deploy(vertx, port, 1, null).await(30, TimeUnit.SECONDS);
      try (Socket socket = new Socket("127.0.0.1", port)) {
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        String request = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        out.write((request.formatted("/crash") + request.formatted("/") + request.formatted("/"))
          .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        Response first = Response.read(in);
        Response second = Response.read(in);
        Response third = Response.read(in);
        assertEquals(500, first.status);
        assertNull(first.headers.get("connection"), "a 500 after a fully read request keeps the connection");
        assertEquals("200 gen=2", second.status + " " + second.body);
        assertEquals("200 gen=2", third.status + " " + third.body);
        out.write(request.formatted("/").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        Response fourth = Response.read(in);
        assertEquals("200 gen=2", fourth.status + " " + fourth.body, "the connection still serves");
      }
    } finally {
      vertx.close().await();
    }
  }

  /** One HTTP/1.1 response with a Content-Length body, read off a raw socket. */
  record Response(int status, Map<String, String> headers, String body) {
    static Response read(BufferedReader in) throws IOException {
      String statusLine = in.readLine();
      if (statusLine == null) {
        throw new IOException("connection closed");
      }
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String line; (line = in.readLine()) != null && !line.isEmpty(); ) {
        int colon = line.indexOf(':');
        headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
      }
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      char[] body = new char[length];
      for (int read = 0; read < length; ) {
        int n = in.read(body, read, length - read);
        if (n < 0) {
          throw new IOException("connection closed in a body");
        }
        read += n;
      }
      return new Response(status, headers, new String(body));
    }
  }

  @Test
  @DisplayName("a request whose body is still streaming when its generation is replaced completes")
  void streamingBodyAcrossARecycle(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deploy(vertx, port, 1, null).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(4));
    Promise<String> answer = Promise.promise();
    Promise<HttpClientRequest> opened = Promise.promise();
    vertx.runOnContext(v -> client.request(HttpMethod.POST, port, "127.0.0.1", "/upload").onSuccess(request -> {
      request.setChunked(true);
      request.response().compose(resp -> resp.body().map(body -> resp.statusCode() + " " + body))
        .onComplete(answer);
      request.write(Buffer.buffer("x".repeat(1000))).onComplete(w -> opened.complete(request));
    }).onFailure(opened::fail));
    HttpClientRequest upload = opened.future().await(10, TimeUnit.SECONDS);

    assertEquals("500 Internal Server Error\n", get(vertx, client, port, "/crash").await(10, TimeUnit.SECONDS));
    awaitEvent(events, running(2));
    Promise<Void> sent = Promise.promise();
    vertx.runOnContext(v -> upload.end(Buffer.buffer("y".repeat(500))).onComplete(sent));
    sent.future().await(10, TimeUnit.SECONDS);
    assertEquals("200 gen=1 bytes=1500", answer.future().await(10, TimeUnit.SECONDS),
      "the upload finishes on the generation that took it");
    assertEquals("200 gen=2", get(vertx, client, port, "/").await(10, TimeUnit.SECONDS));
    client.close().await();
  }

  @Test
  @DisplayName("a timer of an old generation's request is cancelled when that generation is undeployed; the new one's fire")
  void oldGenerationTimersAreCancelled(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    List<String> fired = new CopyOnWriteArrayList<>();
    Promise<Void> newOneFired = Promise.promise();
    vertx.eventBus().<String>consumer(RecycleServer.TIMER_FIRED, msg -> {
      fired.add(msg.body());
      if (msg.body().equals("gen=2")) {
        newOneFired.tryComplete();
      }
    });
    deploy(vertx, port, 1, null).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient();
    assertEquals("200 armed gen=1", get(vertx, client, port, "/timer?ms=400").await(10, TimeUnit.SECONDS));
    assertEquals("500 Internal Server Error\n", get(vertx, client, port, "/crash").await(10, TimeUnit.SECONDS));
    awaitEvent(events, e -> e.getInteger("generation") == 1 && "stopped".equals(e.getString("state")));
    // Armed after generation 1 stopped, and set to fire after generation 1's timer would have.
    assertEquals("200 armed gen=2", get(vertx, client, port, "/timer?ms=800").await(10, TimeUnit.SECONDS));
    newOneFired.future().await(10, TimeUnit.SECONDS);
    assertEquals(List.of("gen=2"), fired);
    client.close().await();
  }

  @Test
  @DisplayName("a WebSocket opened under an old generation keeps working across a recycle, then gets 1001 at the kill timer")
  void webSocketAcrossARecycle(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deploy(vertx, port, 1, new JsonObject().put("killTimeoutMs", 1500)).await(30, TimeUnit.SECONDS);
    WebSocketClient sockets = vertx.createWebSocketClient();
    LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
    Promise<Short> closed = Promise.promise();
    WebSocket socket = sockets.connect(port, "127.0.0.1", "/ws").await(10, TimeUnit.SECONDS);
    socket.textMessageHandler(received::add);
    socket.closeHandler(v -> closed.tryComplete(socket.closeStatusCode()));
    socket.writeTextMessage("one").await(10, TimeUnit.SECONDS);
    assertEquals("gen=1:one", received.poll(10, TimeUnit.SECONDS));

    HttpClient client = vertx.createHttpClient();
    assertEquals("500 Internal Server Error\n", get(vertx, client, port, "/crash").await(10, TimeUnit.SECONDS));
    awaitEvent(events, running(2));
    socket.writeTextMessage("two").await(10, TimeUnit.SECONDS);
    assertEquals("gen=1:two", received.poll(10, TimeUnit.SECONDS), "the old generation keeps its WebSocket");
    assertEquals((short) 1001, closed.future().await(10, TimeUnit.SECONDS), "closed as going away at the kill timer");

    WebSocket fresh = sockets.connect(port, "127.0.0.1", "/ws").await(10, TimeUnit.SECONDS);
    fresh.textMessageHandler(received::add);
    fresh.writeTextMessage("three").await(10, TimeUnit.SECONDS);
    assertEquals("gen=2:three", received.poll(10, TimeUnit.SECONDS));
    client.close().await();
    sockets.close().await();
  }

  @Test
  @DisplayName("HTTP/2 prior knowledge: faults answered 500 per stream across recycles, one connection throughout")
  void http2AcrossRecycles(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deploy(vertx, port, 1, null).await(30, TimeUnit.SECONDS);
    recyclesOnOneConnection(vertx, events, port, 5, generation -> generation % 2 == 0 ? "/crash" : "/error",
      new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
  }

  /**
   * {@code rounds} times: a request answered by the current generation, then a fault (at {@code faultUri} of the
   * round) answered 500 and the next generation running; all on the one connection the client opened.
   */
  private static void recyclesOnOneConnection(Vertx vertx, List<JsonObject> events, int port, int rounds,
                                              java.util.function.IntFunction<String> faultUri,
                                              HttpClientOptions options) throws Exception {
    AtomicInteger opened = new AtomicInteger();
    HttpClient client = vertx.httpClientBuilder().with(options)
      .withConnectHandler(connection -> opened.incrementAndGet())
      .build();
    for (int generation = 1; generation <= rounds; generation++) {
      assertEquals("200 gen=" + generation, get(vertx, client, port, "/").await(10, TimeUnit.SECONDS));
      assertEquals("500 Internal Server Error\n", get(vertx, client, port, faultUri.apply(generation))
        .await(10, TimeUnit.SECONDS));
      awaitEvent(events, running(generation + 1));
    }
    assertEquals("200 gen=" + (rounds + 1), get(vertx, client, port, "/").await(10, TimeUnit.SECONDS));
    assertEquals(1, opened.get(), "connections opened");
    client.close().await();
  }

  @Test
  @DisplayName("HTTP/2 over TLS (ALPN): faults answered 500 per stream across recycles, one connection throughout")
  void http2TlsAcrossRecycles(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    Supervisor.deploy(vertx, RecycleServer.class.getName(), new DeploymentOptions()
      .setConfig(new JsonObject().put("http.port", port).put("tls", true))).await(30, TimeUnit.SECONDS);
    recyclesOnOneConnection(vertx, events, port, 3, generation -> "/crash", new HttpClientOptions()
      .setProtocolVersion(HttpVersion.HTTP_2).setSsl(true).setUseAlpn(true).setTrustAll(true).setVerifyHost(false));
  }

  @Test
  @DisplayName("a worker verticle: requests run on its worker threads, recycles keep the connection")
  void workerVerticle(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deploy(vertx, port, 1, null, ThreadingModel.WORKER).await(30, TimeUnit.SECONDS);
    AtomicInteger opened = new AtomicInteger();
    HttpClient client = vertx.httpClientBuilder().with(new HttpClientOptions().setKeepAlive(true))
      .with(new PoolOptions().setHttp1MaxSize(1)).withConnectHandler(connection -> opened.incrementAndGet()).build();
    String thread = get(vertx, client, port, "/thread").await(10, TimeUnit.SECONDS);
    assertTrue(thread.startsWith("200 vert.x-worker-thread"), thread);
    assertEquals("500 Internal Server Error\n", get(vertx, client, port, "/crash").await(10, TimeUnit.SECONDS));
    awaitEvent(events, running(2));
    assertEquals("200 gen=2", get(vertx, client, port, "/").await(10, TimeUnit.SECONDS));
    thread = get(vertx, client, port, "/thread").await(10, TimeUnit.SECONDS);
    assertTrue(thread.startsWith("200 vert.x-worker-thread"), thread);
    assertEquals(1, opened.get(), "connections opened");
    client.close().await();
  }

  @Test
  @DisplayName("a request arriving during a crash backoff is held, then served by the next generation")
  void heldDuringBackoffThenServed(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deploy(vertx, port, 1, new JsonObject().put("backoffMinMs", 300).put("backoffJitter", 0)
      .put("holdTimeoutMs", 10_000)).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient();
    crashTwice(vertx, client, port, events);
    assertEquals("200 gen=3", get(vertx, client, port, "/").await(10, TimeUnit.SECONDS),
      "held through the backoff, then served");
    client.close().await();
  }

  @Test
  @DisplayName("a request held longer than holdTimeoutMs during a crash backoff gets 503 with Retry-After")
  void heldDuringBackoffThenRefused(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deploy(vertx, port, 1, new JsonObject().put("backoffMinMs", 3000).put("backoffMaxMs", 3000)
      .put("backoffJitter", 0).put("holdTimeoutMs", 100)).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient();
    crashTwice(vertx, client, port, events);
    Promise<String> answer = Promise.promise();
    vertx.runOnContext(v -> client.request(HttpMethod.GET, port, "127.0.0.1", "/")
      .compose(HttpClientRequest::send)
      .map(resp -> resp.statusCode() + " retry-after=" + resp.getHeader("Retry-After"))
      .onComplete(answer));
    String refused = answer.future().await(10, TimeUnit.SECONDS);
    assertTrue(refused.startsWith("503 retry-after=") && Integer.parseInt(refused.substring(16)) >= 1, refused);
    client.close().await();
  }

  /** Two instance crashes in a row: the first restarts at once, the second backs off. */
  private static void crashTwice(Vertx vertx, HttpClient client, int port, List<JsonObject> events) throws Exception {
    assertEquals("200 crashing", get(vertx, client, port, "/instance-crash").await(10, TimeUnit.SECONDS));
    awaitEvent(events, running(2));
    assertEquals("200 crashing", get(vertx, client, port, "/instance-crash").await(10, TimeUnit.SECONDS));
    awaitEvent(events, e -> e.getInteger("generation") == 2 && e.containsKey("backoffMillis"));
  }

  @Test
  @DisplayName("maxRetiring: beyond it the oldest replaced generation is ended at once, its open request answered 503")
  void retiringGenerationsAreBounded(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deploy(vertx, port, 1, new JsonObject().put("maxRetiring", 2)).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(8));
    List<Future<String>> holds = new ArrayList<>();
    for (int generation = 1; generation <= 3; generation++) {
      Promise<Void> isHeld = Promise.promise();
      vertx.eventBus().<Integer>consumer(RecycleServer.HELD, msg -> isHeld.tryComplete());
      holds.add(get(vertx, client, port, "/hold"));
      isHeld.future().await(10, TimeUnit.SECONDS);
      assertEquals("500 Internal Server Error\n", get(vertx, client, port, "/crash").await(10, TimeUnit.SECONDS));
      awaitEvent(events, running(generation + 1));
    }
    // Generations 1, 2 and 3 are finishing their held requests: one more than allowed, so 1 was ended (kill timer 30 s).
    assertEquals("503 Service Unavailable\n", holds.get(0).await(10, TimeUnit.SECONDS));
    awaitEvent(events, e -> e.getInteger("generation") == 1 && "stopped".equals(e.getString("state")));
    assertTrue(!holds.get(1).isComplete() && !holds.get(2).isComplete(), "the others keep their requests");
    vertx.eventBus().publish(RecycleServer.RELEASE, "go");
    assertEquals("200 released gen=2", holds.get(1).await(10, TimeUnit.SECONDS));
    assertEquals("200 released gen=3", holds.get(2).await(10, TimeUnit.SECONDS));
    client.close().await();
  }

  @Test
  @DisplayName("requestTimeoutMs: a request never answered gets 503 and its domain a timeout error, which recycles")
  void requestDeadline(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deploy(vertx, port, 1, new JsonObject().put("requestTimeoutMs", 300)).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient();
    assertEquals("503 Service Unavailable\n", get(vertx, client, port, "/never").await(10, TimeUnit.SECONDS));
    awaitEvent(events, running(2));
    assertTrue(Supervisor.workers(vertx).get(0).lastError().contains("RequestTimeoutException"),
      Supervisor.workers(vertx).toString());
    // A failing periodic timer crashes the instance outside the request; the request is still answered in time.
    assertEquals("503 Service Unavailable\n", get(vertx, client, port, "/periodic-fail").await(10, TimeUnit.SECONDS));
    assertEquals("200 gen=", get(vertx, client, port, "/").await(10, TimeUnit.SECONDS).substring(0, 8));
    client.close().await();
  }

  @Test
  @DisplayName("startTimeoutMs: a start() that never completes is a failed start; the next generation serves")
  void startTimeout(Vertx vertx) throws Exception {
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    CrashingVerticles.HangingFirstStart.STARTS.set(0);
    Supervisor.deploy(vertx, CrashingVerticles.HangingFirstStart.class.getName(), new DeploymentOptions()
      .setConfig(new JsonObject().put(SupervisorOptions.CONFIG_KEY, new JsonObject().put("startTimeoutMs", 200)
        .put("backoffMinMs", 10)))).await(30, TimeUnit.SECONDS);
    awaitEvent(events, running(2));
    JsonObject failed = events.stream().filter(e -> e.getInteger("generation") == 1 && e.containsKey("error"))
      .findFirst().orElseThrow();
    assertTrue(failed.getString("error").contains("StartTimeoutException"), failed.encode());
  }

  @Test
  @DisplayName("undeploying one of two deployments sharing a port under keep-alive load loses no request")
  void leavingASharedPortLosesNothing(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    String leaving = deploy(vertx, port, 2, new JsonObject().put("drainIdleMs", 200)).await(30, TimeUnit.SECONDS);
    deploy(vertx, port, 2, null).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(16));
    int total = 20_000;
    AtomicInteger next = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    List<String> other = new CopyOnWriteArrayList<>();
    Promise<Void> halfway = Promise.promise();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < 16; lane++) {
      Promise<Void> done = Promise.promise();
      lanes.add(done.future());
      vertx.runOnContext(v -> plainLane(client, port, total, next, ok, other, halfway, done));
    }
    halfway.future().await(60, TimeUnit.SECONDS);
    vertx.undeploy(leaving).await(30, TimeUnit.SECONDS);
    Future.all(lanes).await(120, TimeUnit.SECONDS);
    assertEquals(List.of(), other, "requests lost or failed while a deployment left the port");
    assertEquals(total, ok.get());
    client.close().await();
  }

  @Test
  @DisplayName("a client that connected before its server left the port and sends its request after is answered")
  void connectedBeforeTheLeaveIsAnswered(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    String id = deploy(vertx, port, 1, new JsonObject().put("drainIdleMs", 10_000)).await(30, TimeUnit.SECONDS);
    try (Socket early = new Socket("127.0.0.1", port)) {
      early.setSoTimeout(10_000);
      // An HTTP/2 connection made after it: once it is answered, the server has the early connection too (one
      // listener, one event loop, connections taken in order), which has sent nothing yet.
      HttpClient h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false));
      Promise<Void> goAway = Promise.promise();
      String answer = h2.request(HttpMethod.GET, port, "127.0.0.1", "/")
        .compose(req -> {
          req.connection().goAwayHandler(v -> goAway.tryComplete());
          return req.send();
        })
        .compose(resp -> resp.body().map(body -> resp.statusCode() + " " + body))
        .await(10, TimeUnit.SECONDS);
      assertEquals("200 gen=1", answer);
      Future<Void> undeployed = vertx.undeploy(id);
      // Vert.x's shutdown has reached the server's connections: the HTTP/2 one got GOAWAY.
      goAway.future().await(10, TimeUnit.SECONDS);
      OutputStream out = early.getOutputStream();
      out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(early.getInputStream(), StandardCharsets.ISO_8859_1));
      assertEquals("HTTP/1.1 200 OK", in.readLine(), "the early connection's request is answered");
      early.close();
      h2.close().await(10, TimeUnit.SECONDS);
      undeployed.await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("with drainIdleMs 0, a connection busy when its server left and idle just after is closed at once")
  void idleAfterTheLeaveClosesAtOnce(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    String id = deploy(vertx, port, 1, new JsonObject().put("drainIdleMs", 0).put("killTimeoutMs", 30_000))
      .await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(1));
    Promise<Void> held = Promise.promise();
    vertx.eventBus().consumer(RecycleServer.HELD, m -> held.tryComplete());
    Future<String> answer = get(vertx, client, port, "/hold");
    held.future().await(10, TimeUnit.SECONDS);
    Future<Void> undeployed = vertx.undeploy(id);
    // The listener has left once the port refuses connections (the only server on it).
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try (Socket probe = new Socket("127.0.0.1", port)) {
        assertTrue(System.nanoTime() < until, "the port still takes connections 10 s after the undeploy began");
        Thread.yield();
      } catch (IOException refused) {
        break;
      }
    }
    vertx.eventBus().publish(RecycleServer.RELEASE, "go");
    assertEquals("200 released gen=1", answer.await(10, TimeUnit.SECONDS));
    // The connection is idle now: it is closed, and the undeploy ends, well before the 30 s kill timer.
    undeployed.await(10, TimeUnit.SECONDS);
    client.close().await(10, TimeUnit.SECONDS);
  }

  private static void plainLane(HttpClient client, int port, int total, AtomicInteger next, AtomicInteger ok,
                                List<String> other, Promise<Void> halfway, Promise<Void> done) {
    int i = next.getAndIncrement();
    if (i >= total) {
      done.complete();
      return;
    }
    if (i == total / 4) {
      halfway.tryComplete();
    }
    client.request(HttpMethod.GET, port, "127.0.0.1", "/")
      .compose(HttpClientRequest::send)
      .compose(resp -> resp.body().map(body -> resp.statusCode()))
      .onComplete(ar -> {
        if (ar.succeeded() && ar.result() == 200) {
          ok.incrementAndGet();
        } else {
          other.add(ar.succeeded() ? "status " + ar.result() : ar.cause().toString());
        }
        plainLane(client, port, total, next, ok, other, halfway, done);
      });
  }

  @Test
  @DisplayName("a slot whose event loop is blocked is reported stuck and takes no new connections; it runs again after")
  void stuckLoop(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deploy(vertx, port, 2, new JsonObject().put("stuckTimeoutMs", 300)).await(30, TimeUnit.SECONDS);
    HttpClient busyClient = vertx.createHttpClient();
    Future<String> busy = get(vertx, busyClient, port, "/busy?ms=4000");
    awaitEvent(events, e -> "stuck".equals(e.getString("state")));
    String stuckWorker = Supervisor.workers(vertx).stream().filter(w -> w.state() == WorkerState.STUCK)
      .map(WorkerInfo::worker).findFirst().orElseThrow();
    // New connections go to the other slot only, answered while the stuck one is still blocked.
    HttpClient fresh = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
    for (int i = 0; i < 6; i++) {
      assertEquals("200 gen=1", get(vertx, fresh, port, "/").await(10, TimeUnit.SECONDS));
    }
    assertTrue(!busy.isComplete(), "the blocked request is still running");
    assertEquals("200 busy gen=1 spins=true", busy.await(10, TimeUnit.SECONDS));
    awaitEvent(events, e -> stuckWorker.equals(e.getString("worker")) && "running".equals(e.getString("state"))
      && events.indexOf(e) > SupervisorEvents.indexOf(events, x -> "stuck".equals(x.getString("state"))));
    busyClient.close().await();
    fresh.close().await();
  }

  @Test
  @DisplayName("a stuck slot's new connections and messages go to a stand-in slot on a free loop until it runs again")
  void stuckSlotStandIn(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deploy(vertx, port, 1, new JsonObject().put("stuckTimeoutMs", 300)).await(30, TimeUnit.SECONDS);
    HttpClient fresh = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
    String home = get(vertx, fresh, port, "/thread").await(10, TimeUnit.SECONDS).substring(4);
    // The test's own requests go from a context on another loop than the slot's, which is about to be blocked.
    Context client = contextOff(vertx, home);
    DeliveryOptions timeout = new DeliveryOptions().setSendTimeout(2_000);
    assertEquals(home, where(client, timeout).await(10, TimeUnit.SECONDS));
    HttpClient busyClient = vertx.createHttpClient();
    Future<String> busy = get(vertx, busyClient, port, "/busy?ms=4000");
    awaitEvent(events, e -> "stuck".equals(e.getString("state")));
    String stuckWorker = Supervisor.workers(vertx).stream().filter(w -> w.state() == WorkerState.STUCK)
      .map(WorkerInfo::worker).findFirst().orElseThrow();
    // The only slot is blocked: a stand-in on another loop answers new connections and messages meanwhile.
    String standIn = awaitEvent(events, e -> !stuckWorker.equals(e.getString("worker"))
      && "running".equals(e.getString("state"))).getString("worker");
    for (int i = 0; i < 4; i++) {
      String answer = get(client, fresh, port, "/thread").await(10, TimeUnit.SECONDS);
      assertTrue(answer.startsWith("200 ") && !answer.endsWith(home), answer + " while " + home + " is blocked");
      String replier = where(client, timeout).await(10, TimeUnit.SECONDS);
      assertTrue(!replier.equals(home), replier + " while " + home + " is blocked");
    }
    assertTrue(!busy.isComplete(), "the blocked request is still running");
    assertEquals("200 busy gen=1 spins=true", busy.await(10, TimeUnit.SECONDS));
    // The slot runs again: the stand-in drains and goes, and the slot takes its work back.
    awaitEvent(events, e -> standIn.equals(e.getString("worker")) && "stopped".equals(e.getString("state")));
    awaitEvent(events, e -> stuckWorker.equals(e.getString("worker")) && "running".equals(e.getString("state"))
      && events.indexOf(e) > SupervisorEvents.indexOf(events, x -> "stuck".equals(x.getString("state"))));
    assertEquals("200 " + home, get(client, fresh, port, "/thread").await(10, TimeUnit.SECONDS));
    assertEquals(home, where(client, timeout).await(10, TimeUnit.SECONDS));
    assertTrue(Supervisor.workers(vertx).stream().noneMatch(w -> w.worker().equals(standIn)),
      Supervisor.workers(vertx).toString());
    busyClient.close().await();
    fresh.close().await();
  }

  /** A context whose event loop thread is not {@code thread}. */
  private static Context contextOff(Vertx vertx, String thread) throws Exception {
    for (int i = 0; i < 16; i++) {
      Context context = vertx.getOrCreateContext();
      Promise<String> name = Promise.promise();
      context.runOnContext(v -> name.complete(Thread.currentThread().getName()));
      if (!thread.equals(name.future().await(10, TimeUnit.SECONDS))) {
        return context;
      }
    }
    throw new AssertionError("every context runs on " + thread);
  }

  /** As {@link #get(Vertx, HttpClient, int, String)}, sent from {@code context}. */
  static Future<String> get(Context context, HttpClient client, int port, String uri) {
    Promise<String> result = Promise.promise();
    context.runOnContext(v -> client.request(HttpMethod.GET, port, "127.0.0.1", uri)
      .compose(HttpClientRequest::send)
      .compose(resp -> resp.body().map(body -> resp.statusCode() + " " + body))
      .otherwise(err -> "error: " + err)
      .onComplete(result));
    return result.future();
  }

  /** The thread that answers a message to {@link RecycleServer#WHERE}, asked from {@code context}. */
  private static Future<String> where(Context context, DeliveryOptions options) {
    Promise<String> result = Promise.promise();
    context.runOnContext(v -> context.owner().eventBus().<String>request(RecycleServer.WHERE, "?", options)
      .map(io.vertx.core.eventbus.Message::body).onComplete(result));
    return result.future();
  }

  @Test
  @DisplayName("an error in a generation already being replaced is counted nowhere and keeps the slot's last error")
  void errorWhileDraining(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deploy(vertx, port, 1, null).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(4));
    Promise<Void> isHeld = Promise.promise();
    vertx.eventBus().<Integer>consumer(RecycleServer.HELD, msg -> isHeld.tryComplete());
    Future<String> held = get(vertx, client, port, "/hold");
    isHeld.future().await(10, TimeUnit.SECONDS);
    assertEquals("500 Internal Server Error\n", get(vertx, client, port, "/crash").await(10, TimeUnit.SECONDS));
    awaitEvent(events, running(2));
    // Generation 1 is draining (its request is held); each message makes it throw right after it replies.
    vertx.eventBus().request(RecycleServer.FAIL + ".1", "now").await(10, TimeUnit.SECONDS);
    vertx.eventBus().request(RecycleServer.FAIL + ".1", "again").await(10, TimeUnit.SECONDS);
    // Generation 2 serves on; the late errors of generation 1 neither recycle it nor replace the slot's last error.
    assertEquals("200 gen=2", get(vertx, client, port, "/").await(10, TimeUnit.SECONDS));
    vertx.eventBus().publish(RecycleServer.RELEASE, "go");
    assertEquals("200 released gen=1", held.await(10, TimeUnit.SECONDS));
    WorkerInfo slot = Supervisor.workers(vertx).stream().filter(w -> w.generation() == 2).findFirst().orElseThrow();
    assertEquals(1, slot.restarts(), slot.toString());
    assertTrue(slot.lastError().contains("GET /crash"), slot.toString());
    client.close().await();
  }
}
