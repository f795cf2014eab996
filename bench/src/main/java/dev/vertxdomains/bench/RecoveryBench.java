package dev.vertxdomains.bench;

import dev.vertxdomains.examples.HelloServer;
import dev.vertxdomains.supervisor.Supervisor;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

import java.net.ServerSocket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Recovery time: HelloServer supervised with one instance, one keep-alive connection; {@code GET /crash} fails it
 * (a synchronous throw, so no timer is measured); measured from sending the faulting request until the request sent
 * right after its 500 arrives is answered 200 by the replacement (it is held if the replacement is not running yet):
 * the fault, the recycle and two round trips. Also, in the server, from the error handled (the old generation
 * draining) to the replacement running. After 100 recycles that warm the JIT up. Arg: recycles.
 */
public final class RecoveryBench {

  private RecoveryBench() {
  }

  /**
   * Runs the recycles and prints the result.
   *
   * @param args the number of recycles
   */
  public static void main(String[] args) throws Exception {
    int recycles = Integer.parseInt(args[0]);
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Vertx vertx = Vertx.vertx();
    Map<Integer, Promise<Long>> running = new ConcurrentHashMap<>();
    Map<Integer, Promise<Void>> stopped = new ConcurrentHashMap<>();
    vertx.eventBus().<JsonObject>consumer(Supervisor.EVENTS_ADDRESS, msg -> {
      int generation = msg.body().getInteger("generation", 0);
      String state = msg.body().getString("state", "");
      if (state.equals("running")) {
        running.computeIfAbsent(generation, g -> Promise.promise()).tryComplete(System.nanoTime());
      } else if (state.equals("stopped")) {
        stopped.computeIfAbsent(generation, g -> Promise.promise()).tryComplete();
      }
    }).completion().await();
    // In the server: from the error handled (the old generation draining) to the replacement running, timed on the
    // slot's own thread by a direct listener.
    Map<Integer, Long> drainingAt = new ConcurrentHashMap<>();
    Map<Integer, Long> runningAt = new ConcurrentHashMap<>();
    Supervisor.listen(vertx, event -> {
      long now = System.nanoTime();
      String state = event.getString("state", "");
      if (state.equals("draining")) {
        drainingAt.putIfAbsent(event.getInteger("generation"), now);
      } else if (state.equals("running")) {
        runningAt.putIfAbsent(event.getInteger("generation"), now);
      }
    });
    Supervisor.deploy(vertx, HelloServer.class.getName(), new DeploymentOptions().setInstances(1)
      .setConfig(new JsonObject().put("http.port", port).put("http.host", "127.0.0.1"))).await(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true));
    int warmUp = Math.min(100, recycles);
    double[] all = new double[warmUp + recycles];
    double[] millis = new double[recycles];
    for (int i = 0; i < all.length; i++) {
      int next = i + 2;
      long start = System.nanoTime();
      int ok = get(vertx, client, port, "/crash")
        .compose(status -> {
          if (status != 500) {
            return Future.failedFuture(new IllegalStateException("GET /crash answered " + status));
          }
          return get(vertx, client, port, "/");
        }).await(30, TimeUnit.SECONDS);
      all[i] = (System.nanoTime() - start) / 1e6;
      if (ok != 200) {
        throw new IllegalStateException("GET / answered " + ok);
      }
      // The replacement served it: its running event has been published (or is on its way).
      running.computeIfAbsent(next, g -> Promise.promise()).future().await(30, TimeUnit.SECONDS);
      if (i >= warmUp) {
        millis[i - warmUp] = all[i];
      }
      stopped.computeIfAbsent(next - 1, g -> Promise.promise()).future().await(60, TimeUnit.SECONDS);
    }
    double[] server = new double[recycles];
    for (int i = 0; i < recycles; i++) {
      int failed = warmUp + i + 1; // the generation that took the faulting request
      server[i] = (runningAt.get(failed + 1) - drainingAt.get(failed)) / 1e6;
    }
    Results.print("recovery", "recycles", recycles, "p50_ms", Results.percentile(millis, 50),
      "p99_ms", Results.percentile(millis, 99), "max_ms", Results.percentile(millis, 100),
      "server_p50_ms", Results.percentile(server, 50), "server_p99_ms", Results.percentile(server, 99),
      "server_max_ms", Results.percentile(server, 100));
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  /** Sent from a Vert.x context (Vert.x 5.0.10's client can leave a request unsent when called from outside). */
  static Future<Integer> get(Vertx vertx, HttpClient client, int port, String uri) {
    Promise<Integer> result = Promise.promise();
    vertx.runOnContext(v -> client.request(HttpMethod.GET, port, "127.0.0.1", uri).compose(req -> req.send())
      .compose(resp -> resp.body().map(body -> resp.statusCode())).onComplete(result));
    return result.future();
  }
}
