package dev.vertxdomains.examples;

import dev.vertxdomains.domain.SharedResource;
import dev.vertxdomains.domain.SharedResource.ResourceFailedException;
import dev.vertxdomains.web.HttpDomains;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerRequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Part 3 of the seeds: a proof-of-work server whose work runs on a shared pool living in its own domain.
 * <ul>
 *   <li>{@code GET /work?difficulty=N} (1 to 6, default 1): finds a nonce whose SHA-256 with the request's seed
 *       starts with N zero hex digits, on the shared worker pool; 200 {@code nonce=... hash=...};</li>
 *   <li>{@code GET /work?difficulty=N&fail=callback}: the request's own callback on the pool's result throws: that
 *       request alone gets 500;</li>
 *   <li>{@code GET /work?fail=pool}: the pool itself breaks: its calls in progress are failed (503), and its error
 *       goes up to the instance, which is drained and replaced.</li>
 * </ul>
 * Bad input answers 400 naming the parameter and what is allowed.
 * Config: {@code http.port} (default 8080), {@code http.host} (default 0.0.0.0), {@code pool.size} (default 2).
 * Run: {@code java -jar target/vertx-domains.jar run supervised:dev.vertxdomains.examples.ProofOfWorkServer -instances 2}.
 */
public class ProofOfWorkServer extends VerticleBase {

  private static final int MAX_DIFFICULTY = 6;

  private SharedResource<WorkerExecutor> pool;

  @Override
  public Future<?> start() {
    int size = config().getInteger("pool.size", 2);
    pool = SharedResource.create("pow-pool", vertx.createSharedWorkerExecutor("pow-pool-" + deploymentID(), size));
    int port = config().getInteger("http.port", 8080);
    String host = config().getString("http.host", "0.0.0.0");
    return HttpDomains.serve(vertx.createHttpServer(), this::handle).listen(port, host);
  }

  @Override
  public Future<?> stop() {
    return pool.resource().close();
  }

  private void handle(HttpServerRequest request) {
    if (!request.path().equals("/work")) {
      request.response().setStatusCode(404).end("not found\n");
      return;
    }
    String fail = request.getParam("fail");
    if (fail != null && !fail.equals("callback") && !fail.equals("pool")) {
      request.response().setStatusCode(400).end("fail: must be callback or pool, got '" + abbreviate(fail) + "'\n");
      return;
    }
    int difficulty;
    try {
      difficulty = Integer.parseInt(request.getParam("difficulty", "1"));
    } catch (NumberFormatException e) {
      difficulty = -1;
    }
    if (difficulty < 1 || difficulty > MAX_DIFFICULTY) {
      request.response().setStatusCode(400)
        .end("difficulty: must be an integer from 1 to " + MAX_DIFFICULTY + "\n");
      return;
    }
    int zeros = difficulty;
    String seed = request.path() + "#" + System.nanoTime();
    Future<String> work = "pool".equals(fail)
      ? pool.call(executor -> breakPool())
      : pool.call(executor -> executor.executeBlocking(() -> prove(seed, zeros), false));
    work.onComplete(ar -> {
      if (ar.failed()) {
        boolean poolDown = ar.cause() instanceof ResourceFailedException;
        request.response().setStatusCode(poolDown ? 503 : 500)
          .end(poolDown ? "the work pool failed; retry\n" : "Internal Server Error\n");
        return;
      }
      if ("callback".equals(fail)) {
        throw new IllegalStateException("GET /work: the request's callback failed");
      }
      request.response().end(ar.result() + "\n");
    });
  }

  /** A bug inside the pool: an async throw in the pool's domain, the call never completes by itself. */
  private Future<String> breakPool() {
    vertx.setTimer(1, id -> {
      throw new IllegalStateException("the work pool exploded");
    });
    return Promise.<String>promise().future();
  }

  static String prove(String seed, int zeros) throws NoSuchAlgorithmException {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    String prefix = "0".repeat(zeros);
    for (long nonce = 0; ; nonce++) {
      String hash = HexFormat.of().formatHex(sha.digest((seed + nonce).getBytes(StandardCharsets.UTF_8)));
      if (hash.startsWith(prefix)) {
        return "nonce=" + nonce + " hash=" + hash;
      }
    }
  }

  private static String abbreviate(String value) {
    return value.length() <= 20 ? value : value.substring(0, 20) + "...";
  }
}
