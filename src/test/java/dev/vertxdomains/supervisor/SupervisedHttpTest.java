package dev.vertxdomains.supervisor;

import dev.vertxdomains.examples.HelloServer;
import dev.vertxdomains.testing.JarProcess;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.vertxdomains.supervisor.SupervisorEvents.awaitEvent;
import static dev.vertxdomains.supervisor.SupervisorEvents.indexOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The supervisor over real HTTP: recycling under keep-alive load, in-flight requests, the kill timer. */
@ExtendWith(VertxExtension.class)
class SupervisedHttpTest {

  static Future<String> deployHello(Vertx vertx, int port, int instances, JsonObject supervisor) {
    JsonObject config = new JsonObject().put("http.port", port).put("http.host", "127.0.0.1");
    if (supervisor != null) {
      config.put(SupervisorOptions.CONFIG_KEY, supervisor);
    }
    return Supervisor.deploy(vertx, HelloServer.class.getName(),
      new DeploymentOptions().setInstances(instances).setConfig(config));
  }

  /** The outcome of one request: its status, or -1 for a connection-level error. */
  static Future<Integer> get(Vertx vertx, HttpClient client, int port, String uri, List<Throwable> errors) {
    // Always sent from a Vert.x context: Vert.x 5.0.10's client, called from a non-Vert.x thread, now and then
    // leaves a request unsent on a fresh connection (about 1 in 700 here; none in 3,000 from a context).
    Context context = Vertx.currentContext();
    if (context == null) {
      Promise<Integer> result = Promise.promise();
      vertx.runOnContext(v -> get(vertx, client, port, uri, errors).onComplete(result));
      return result.future();
    }
    return client.request(HttpMethod.GET, port, "127.0.0.1", uri)
      .compose(req -> req.send())
      .compose(resp -> resp.body().map(body -> resp.statusCode()))
      .recover(err -> {
        errors.add(new RuntimeException("GET " + uri + ": " + err, err));
        return Future.succeededFuture(-1);
      });
  }

  @Test
  @DisplayName("1 request in 100 faults under 64 keep-alive connections: faults get 500, others 200, no connection errors")
  void faultsUnderKeepAliveLoad(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    deployHello(vertx, port, 2, null).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(64));
    int total = 4_000;
    int lanes = 64;
    AtomicInteger next = new AtomicInteger();
    AtomicInteger faultsSent = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger served500 = new AtomicInteger();
    AtomicInteger other = new AtomicInteger();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    List<Future<Void>> done = new ArrayList<>();
    for (int lane = 0; lane < lanes; lane++) {
      Promise<Void> finished = Promise.promise();
      done.add(finished.future());
      vertx.runOnContext(v -> runLane(vertx, client, port, total, next, faultsSent, ok, served500, other, errors, finished));
    }
    Future.all(done).await(120, TimeUnit.SECONDS);

    assertEquals(List.of(), errors, "connection-level errors seen by the client");
    assertEquals(0, other.get(), "responses that were neither 200 nor 500");
    assertEquals(faultsSent.get(), served500.get(), "every faulting request is answered 500");
    assertEquals(total - faultsSent.get(), ok.get(), "every other request is answered 200");
    long restarts = Supervisor.workers(vertx).stream().mapToLong(WorkerInfo::restarts).sum();
    assertTrue(restarts > 0, "instances were recycled");
    client.close().await();
  }

  private static void runLane(Vertx vertx, HttpClient client, int port, int total, AtomicInteger next, AtomicInteger faultsSent,
                              AtomicInteger ok, AtomicInteger served500, AtomicInteger other, List<Throwable> errors,
                              Promise<Void> finished) {
    int i = next.getAndIncrement();
    if (i >= total) {
      finished.complete();
      return;
    }
    String uri = i % 100 == 50 ? (i % 200 == 50 ? "/crash" : "/error") : "/";
    if (!uri.equals("/")) {
      faultsSent.incrementAndGet();
    }
    get(vertx, client, port, uri, errors).onComplete(ar -> {
      int status = ar.result();
      if (status == 200) {
        ok.incrementAndGet();
      } else if (status == 500) {
        served500.incrementAndGet();
      } else if (status != -1) {
        other.incrementAndGet();
      }
      runLane(vertx, client, port, total, next, faultsSent, ok, served500, other, errors, finished);
    });
  }

  static Future<String> deployProbe(Vertx vertx, int port, JsonObject supervisor) {
    JsonObject config = new JsonObject().put("http.port", port);
    if (supervisor != null) {
      config.put(SupervisorOptions.CONFIG_KEY, supervisor);
    }
    return Supervisor.deploy(vertx, ProbeServer.class.getName(), new DeploymentOptions().setConfig(config));
  }

  /** A future completed once {@code count} requests are held by a {@link ProbeServer}. */
  static Future<Void> held(Vertx vertx, int count) {
    Promise<Void> all = Promise.promise();
    AtomicInteger seen = new AtomicInteger();
    vertx.eventBus().consumer(ProbeServer.HELD, msg -> {
      if (seen.incrementAndGet() == count) {
        all.complete();
      }
    });
    return all.future();
  }

  @Test
  @DisplayName("requests in flight on a recycled instance complete; the replacement serves before the old one is gone")
  void inFlightRequestsFinish(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deployProbe(vertx, port, null).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(32));
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    Future<Void> allHeld = held(vertx, 10);
    List<Future<Integer>> inFlight = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      inFlight.add(get(vertx, client, port, "/hold", errors));
    }
    allHeld.await(10, TimeUnit.SECONDS);

    assertEquals(500, get(vertx, client, port, "/crash", errors).await(10, TimeUnit.SECONDS));
    awaitEvent(events, e -> e.getInteger("generation") == 2 && "running".equals(e.getString("state")));
    assertEquals(200, get(vertx, client, port, "/", errors).await(10, TimeUnit.SECONDS), "the replacement serves");
    assertEquals(-1, indexOf(events, e -> e.getInteger("generation") == 1 && "stopped".equals(e.getString("state"))),
      "the old instance must wait for its requests in flight");

    vertx.eventBus().publish(ProbeServer.RELEASE, "go");
    List<Integer> statuses = new ArrayList<>();
    for (Future<Integer> f : inFlight) {
      statuses.add(f.await(10, TimeUnit.SECONDS));
    }
    assertEquals(List.of(200, 200, 200, 200, 200, 200, 200, 200, 200, 200), statuses);
    assertEquals(List.of(), errors);
    awaitEvent(events, e -> e.getInteger("generation") == 1 && "stopped".equals(e.getString("state")));
    client.close().await();
  }

  @Test
  @DisplayName("the kill timer undeploys an instance whose request never ends")
  void killTimer(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    deployProbe(vertx, port, new JsonObject().put("killTimeoutMs", 300)).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(8));
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    Future<Void> isHeld = held(vertx, 1);
    Future<Integer> endless = get(vertx, client, port, "/hold", errors);
    isHeld.await(10, TimeUnit.SECONDS);
    assertEquals(500, get(vertx, client, port, "/crash", errors).await(10, TimeUnit.SECONDS));
    // Never released: only the kill timer can stop the old instance (awaitEvent gives up after 20 s).
    awaitEvent(events, e -> e.getInteger("generation") == 1 && "stopped".equals(e.getString("state")));
    assertEquals(503, endless.await(10, TimeUnit.SECONDS), "the endless request is answered 503 at the kill timer");
    assertEquals(200, get(vertx, client, port, "/", new ArrayList<>()).await(10, TimeUnit.SECONDS));
    client.close().await();
  }

  @Test
  @DisplayName("deployVerticle(\"supervised:...\") makes one worker per instance; undeploying stops them all")
  void deployByPrefix(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    String id = vertx.deployVerticle("supervised:" + ProbeServer.class.getName(), new DeploymentOptions()
      .setInstances(2).setConfig(new JsonObject().put("http.port", port))).await(30, TimeUnit.SECONDS);
    List<WorkerInfo> workers = Supervisor.workers(vertx).stream().filter(w -> w.deploymentId().equals(id)).toList();
    assertEquals(2, workers.size(), workers.toString());
    assertTrue(workers.stream().allMatch(w -> w.state() == WorkerState.RUNNING), workers.toString());
    HttpClient client = vertx.createHttpClient();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    assertEquals(200, get(vertx, client, port, "/", errors).await(10, TimeUnit.SECONDS));
    vertx.undeploy(id).await(30, TimeUnit.SECONDS);
    assertTrue(Supervisor.workers(vertx).stream().noneMatch(w -> w.deploymentId().equals(id)));
    assertEquals(-1, get(vertx, client, port, "/", errors).await(10, TimeUnit.SECONDS), "nothing listens any more");
    client.close().await();
  }

  @Test
  @DisplayName("errorPolicy continue: the failing request gets 500 and the instance is kept")
  void continuePolicyKeepsTheInstance(Vertx vertx) throws Exception {
    int port = JarProcess.freePort();
    deployProbe(vertx, port, new JsonObject().put("errorPolicy", "continue")).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    assertEquals(500, get(vertx, client, port, "/crash", errors).await(10, TimeUnit.SECONDS));
    assertEquals(200, get(vertx, client, port, "/", errors).await(10, TimeUnit.SECONDS));
    WorkerInfo worker = Supervisor.workers(vertx).get(0);
    assertEquals(1, worker.generation(), worker.toString());
    assertEquals(0, worker.restarts(), worker.toString());
    assertEquals(WorkerState.RUNNING, worker.state());
    client.close().await();
  }

  @ParameterizedTest(name = "{0} verticles")
  @EnumSource(value = ThreadingModel.class, names = {"EVENT_LOOP", "WORKER", "VIRTUAL_THREAD"})
  @DisplayName("every threading model: a failing request gets 500, the instance is replaced, the next request 200")
  void threadingModels(ThreadingModel model, Vertx vertx) throws Exception {
    assumeTrue(model != ThreadingModel.VIRTUAL_THREAD || Runtime.version().feature() >= 21,
      "virtual-thread verticles need Java 21+");
    int port = JarProcess.freePort();
    List<JsonObject> events = SupervisorEvents.listen(vertx);
    Supervisor.deploy(vertx, ProbeServer.class.getName(), new DeploymentOptions().setThreadingModel(model)
      .setConfig(new JsonObject().put("http.port", port))).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    assertEquals(200, get(vertx, client, port, "/", errors).await(10, TimeUnit.SECONDS));
    assertEquals(500, get(vertx, client, port, "/crash", errors).await(10, TimeUnit.SECONDS));
    awaitEvent(events, e -> e.getInteger("generation") == 2 && "running".equals(e.getString("state")));
    assertEquals(200, get(vertx, client, port, "/", errors).await(10, TimeUnit.SECONDS));
    assertEquals(List.of(), errors);
    client.close().await();
  }
}
