package dev.vertxdomains.domain;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

import static dev.vertxdomains.domain.DomainTestSupport.TIMEOUT_SECONDS;
import static dev.vertxdomains.domain.DomainTestSupport.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scenarios 21–22 of {@code domain-behaviour.md}: nothing leaks, and the error record is exact. */
@ExtendWith(VertxExtension.class)
class ResourcesTest {

  @Test
  @DisplayName("21. after a request's domain handled its error, the domain, its members and the request are garbage")
  void s21_noLeak(Vertx vertx) throws Exception {
    int requests = 2_000;
    ConcurrentLinkedQueue<WeakReference<Object>> refs = new ConcurrentLinkedQueue<>();
    int port = vertx.createHttpServer().requestHandler(req -> {
      // One domain per request, riding on the request's own duplicated context.
      Domain domain = Domain.create().attach(Vertx.currentContext());
      domain.add(req);
      domain.add(req.response());
      domain.errorHandler(error -> req.response().setStatusCode(500).end());
      if (refs.size() < 200) {
        refs.add(new WeakReference<>(domain));
        refs.add(new WeakReference<>(req));
      }
      vertx.setTimer(1, id -> {
        throw new IllegalStateException("fault in request");
      });
    }).listen(0, "127.0.0.1").await().actualPort();

    HttpClient client = vertx.createHttpClient(new PoolOptions().setHttp1MaxSize(16));
    List<io.vertx.core.Future<Integer>> statuses = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      statuses.add(client.request(HttpMethod.GET, port, "127.0.0.1", "/")
        .compose(r -> r.send()).compose(r -> r.body().map(b -> r.statusCode())));
    }
    List<Integer> codes = io.vertx.core.Future.all(statuses).map(c -> c.<Integer>list())
      .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertTrue(codes.stream().allMatch(code -> code == 500), "every faulting request is answered 500");
    client.close().await();

    assertEquals(200, refs.size());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    while (refs.stream().anyMatch(ref -> ref.get() != null) && System.nanoTime() < deadline) {
      System.gc();
      // Await collection: allocate to give the collector work, then re-check.
      byte[][] pressure = new byte[64][];
      for (int i = 0; i < pressure.length; i++) {
        pressure[i] = new byte[1 << 16];
      }
    }
    long alive = refs.stream().filter(ref -> ref.get() != null).count();
    assertEquals(0, alive, "domains or requests still reachable after their work ended");
  }

  @Test
  @DisplayName("22. the error record carries domain, emitter, bound handler and thrown; any Throwable arrives unchanged")
  void s22_errorFields(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    Throwable odd = new Throwable("neither Exception nor Error") {
    };
    AssertionError error = new AssertionError("an Error");
    java.io.IOException checked = new java.io.IOException("checked");
    on(ctx, () -> {
      domain.run(() -> vertx.setTimer(1, id -> sneakyThrow(odd)));
      domain.call(() -> {
        throw checked;
      });
      domain.run(() -> {
        throw error;
      });
      domain.report(new IllegalArgumentException("reported"));
      return null;
    });
    List<Throwable> causes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      DomainError delivered = errors.next();
      assertSame(domain, delivered.domain());
      causes.add(delivered.cause());
      if (delivered.cause().getMessage().equals("reported")) {
        assertTrue(!delivered.thrown() && delivered.emitter() == null && delivered.bound() == null);
      } else {
        assertTrue(delivered.thrown());
      }
    }
    assertTrue(causes.contains(odd) && causes.contains(error) && causes.contains(checked), causes.toString());
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void sneakyThrow(Throwable t) throws E {
    throw (E) t;
  }
}
