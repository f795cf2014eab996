package dev.vertxdomains.domain;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.vertxdomains.domain.DomainTestSupport.TIMEOUT_SECONDS;
import static dev.vertxdomains.domain.DomainTestSupport.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scenarios 1–9 of {@code domain-behaviour.md}: what reaches a domain, and from where. */
@ExtendWith(VertxExtension.class)
class RoutingTest {

  /** Vert.x 5 closes an HTTP client that becomes unreachable: a test's client is kept here until the test ends. */
  private HttpClient client;

  @Test
  @DisplayName("1. run returns the function's value and passes arguments through")
  void s01_runReturnsValueAndPassesArguments(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    Domain domain = Domain.create();
    assertEquals(42, (int) on(ctx, () -> domain.call(() -> 42)));
    assertEquals("ARG", on(ctx, () -> domain.call(String::toUpperCase, "arg")));
    List<Domain> seen = new ArrayList<>();
    on(ctx, () -> {
      domain.run(() -> seen.add(Domain.active()));
      return null;
    });
    assertEquals(List.of(domain), seen);
  }

  @Test
  @DisplayName("1. run needs a Vert.x context and says so")
  void s01_runOffContextFailsClearly() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Domain.create().run(() -> { }));
    assertTrue(e.getMessage().contains("Domain.run() needs a Vert.x context"), e.getMessage());
  }

  @Test
  @DisplayName("2. a synchronous throw in run reaches the handler with thrown=true, and run leaves the domain")
  void s02_syncThrowInRun(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    IllegalStateException boom = new IllegalStateException("boom");
    Domain afterRun = on(ctx, () -> {
      Object value = domain.call(() -> {
        throw boom;
      });
      assertNull(value);
      return Domain.active();
    });
    assertNull(afterRun, "run must leave the domain when the function throws");
    DomainError error = errors.next();
    assertSame(boom, error.cause());
    assertSame(domain, error.domain());
    assertTrue(error.thrown());
    assertNull(error.emitter());
    assertNull(error.bound());
  }

  @Test
  @DisplayName("3. a timer created inside run that throws later reaches the domain")
  void s03_timerThrow(Vertx vertx) throws Exception {
    DomainError error = throwLaterFrom(vertx, (v, fail) -> v.setTimer(5, id -> fail.run()));
    assertTrue(error.thrown());
  }

  @Test
  @DisplayName("3. a periodic timer reaches the domain on every tick")
  void s03_periodicEveryTick(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    long[] ids = new long[2];
    on(ctx, () -> {
      domain.run(() -> {
        int[] ticks = {0};
        // The domain's own periodic timer...
        ids[0] = domain.setPeriodic(5, id -> {
          throw new IllegalStateException("domain tick " + (++ticks[0]));
        });
        // ...and plain vertx.setPeriodic with a bound handler.
        int[] plain = {0};
        ids[1] = vertx.setPeriodic(5, domain.bind(id -> {
          throw new IllegalStateException("bound tick " + (++plain[0]));
        }));
      });
      return null;
    });
    List<String> messages = new ArrayList<>();
    while (messages.stream().filter(m -> m.startsWith("domain tick")).count() < 3
      || messages.stream().filter(m -> m.startsWith("bound tick")).count() < 3) {
      DomainError error = errors.next();
      assertSame(domain, error.domain());
      assertTrue(error.thrown());
      messages.add(error.cause().getMessage());
    }
    on(ctx, () -> domain.remove(ids[0]) && vertx.cancelTimer(ids[1]));
    assertTrue(messages.contains("domain tick 3") && messages.contains("bound tick 3"), messages.toString());
  }

  @Test
  @DisplayName("3. a future callback created inside run reaches the domain")
  void s03_futureCallback(Vertx vertx) throws Exception {
    throwLaterFrom(vertx, (v, fail) -> v.timer(5, TimeUnit.MILLISECONDS).onSuccess(x -> fail.run()));
  }

  @Test
  @DisplayName("3. an event-bus reply handler created inside run reaches the domain")
  void s03_eventBusReply(Vertx vertx) throws Exception {
    vertx.eventBus().consumer("echo", msg -> msg.reply(msg.body()));
    throwLaterFrom(vertx, (v, fail) -> v.eventBus().request("echo", "x").onSuccess(reply -> fail.run()));
  }

  @Test
  @DisplayName("3. an HTTP client response handler created inside run reaches the domain")
  void s03_httpClientResponse(Vertx vertx) throws Exception {
    int port = startServer(vertx);
    client = vertx.createHttpClient();
    throwLaterFrom(vertx, (v, fail) -> client.request(HttpMethod.GET, port, "127.0.0.1", "/")
      .compose(req -> req.send())
      .onSuccess(resp -> resp.body().onSuccess(body -> fail.run())));
  }

  @Test
  @DisplayName("3. a blocking-code callback created inside run reaches the domain")
  void s03_blockingCallback(Vertx vertx) throws Exception {
    throwLaterFrom(vertx, (v, fail) -> v.executeBlocking(() -> 1).onSuccess(x -> fail.run()));
  }

  @Test
  @DisplayName("3. a file-system callback created inside run reaches the domain")
  void s03_fileSystemCallback(Vertx vertx) throws Exception {
    throwLaterFrom(vertx, (v, fail) -> v.fileSystem().exists(System.getProperty("java.io.tmpdir"))
      .onSuccess(x -> fail.run()));
  }

  @Test
  @DisplayName("4. a throw several callbacks deep (timer, file system, timer, HTTP client) still reaches the domain")
  void s04_deepChain(Vertx vertx) throws Exception {
    int port = startServer(vertx);
    client = vertx.createHttpClient();
    throwLaterFrom(vertx, (v, fail) -> v.setTimer(2, t1 ->
      v.fileSystem().exists(System.getProperty("java.io.tmpdir")).onSuccess(exists ->
        v.setTimer(2, t2 -> client.request(HttpMethod.GET, port, "127.0.0.1", "/")
          .compose(req -> req.send())
          .compose(resp -> resp.body())
          .onSuccess(body -> fail.run())))));
  }

  @Test
  @DisplayName("5. one domain receives several errors thrown in separate ticks, each once, in order")
  void s05_manyErrorsInOrder(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    on(ctx, () -> {
      domain.run(() -> {
        for (int i = 1; i <= 5; i++) {
          String message = "error " + i;
          vertx.setTimer(i * 5L, id -> {
            throw new IllegalStateException(message);
          });
        }
      });
      return null;
    });
    for (int i = 1; i <= 5; i++) {
      assertEquals("error " + i, errors.next().cause().getMessage());
    }
    // Let a further timer tick pass: nothing was delivered twice.
    on(ctx, () -> domain.call(() -> vertx.timer(20, TimeUnit.MILLISECONDS))).toCompletionStage()
      .toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    errors.assertNoneYet();
  }

  @Test
  @DisplayName("6. after a handled error, timers that did not throw keep firing")
  void s06_restStillRuns(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    CompletableFuture<Integer> ticksAfterError = new CompletableFuture<>();
    on(ctx, () -> {
      domain.run(() -> {
        boolean[] failed = {false};
        int[] after = {0};
        vertx.setTimer(5, id -> {
          failed[0] = true;
          throw new IllegalStateException("one failure");
        });
        domain.setPeriodic(3, id -> {
          if (failed[0] && ++after[0] == 3) {
            domain.remove(id);
            ticksAfterError.complete(after[0]);
          }
        });
      });
      return null;
    });
    assertEquals("one failure", errors.next().cause().getMessage());
    assertEquals(3, ticksAfterError.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("7. a callback created outside any domain does not reach a domain active elsewhere")
  void s07_throwFromOutside(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors inDomain = new DomainTestSupport.Errors();
    DomainTestSupport.Errors topLevel = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(inDomain.handler());
    on(ctx, () -> {
      Domain.topLevel(ctx).errorHandler(topLevel.handler());
      // The domain is busy with a timer of its own while the outside callback throws.
      domain.run(() -> vertx.setTimer(200, id -> { }));
      vertx.setTimer(5, id -> {
        throw new IllegalStateException("outside");
      });
      return null;
    });
    DomainError error = topLevel.next();
    assertEquals("outside", error.cause().getMessage());
    assertTrue(error.domain().isTopLevel());
    inDomain.assertNoneYet();
  }

  @Test
  @DisplayName("8. future callbacks run in the domain where they were attached, bind overrides a foreign future")
  void s08_futureHandlers(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    Domain a = Domain.create();
    Domain b = Domain.create();
    CompletableFuture<Domain> sameDomain = new CompletableFuture<>();
    CompletableFuture<Domain> foreignUnbound = new CompletableFuture<>();
    CompletableFuture<Domain> foreignBound = new CompletableFuture<>();
    on(ctx, () -> {
      io.vertx.core.Future<Long> createdInA = a.call(() -> vertx.timer(10, TimeUnit.MILLISECONDS).map(1L));
      b.run(() -> {
        vertx.timer(5, TimeUnit.MILLISECONDS).onSuccess(x -> sameDomain.complete(Domain.active()));
        // Vert.x runs a future's callbacks on the future's context: the domain it was created in...
        createdInA.onSuccess(x -> foreignUnbound.complete(Domain.active()));
        // ...and bind makes them run in the domain attaching them.
        createdInA.onSuccess(b.bind(x -> foreignBound.complete(Domain.active())));
      });
      return null;
    });
    assertSame(b, sameDomain.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    assertSame(a, foreignUnbound.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    assertSame(b, foreignBound.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("9. a watched future that fails with nobody handling it is reported to its domain")
  void s09_unhandledFailure(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    on(ctx, () -> {
      domain.run(() -> domain.watch(vertx.fileSystem().readFile("/no/such/file/" + System.nanoTime())));
      return null;
    });
    DomainError error = errors.next();
    assertSame(domain, error.domain());
    assertFalse(error.thrown());
    assertTrue(error.cause() instanceof io.vertx.core.file.FileSystemException, error.cause().toString());
  }

  @Test
  @DisplayName("9. a watched future whose failure is handled is not reported")
  void s09_handledFailureNotReported(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    CompletableFuture<Throwable> handled = new CompletableFuture<>();
    CompletableFuture<Throwable> handledLate = new CompletableFuture<>();
    on(ctx, () -> {
      domain.run(() -> {
        domain.watch(vertx.fileSystem().readFile("/no/such/file/a")).onFailure(handled::complete);
        io.vertx.core.Promise<String> promise = io.vertx.core.Promise.promise();
        io.vertx.core.Future<String> watched = domain.watch(promise.future());
        promise.fail("late");
        // A listener attached in the same event as the failure still counts as handling it.
        watched.onFailure(handledLate::complete);
      });
      return null;
    });
    handled.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    assertEquals("late", handledLate.get(TIMEOUT_SECONDS, TimeUnit.SECONDS).getMessage());
    DomainTestSupport.drain(ctx);
    errors.assertNoneYet();
  }

  // ---------------------------------------------------------------------------------------------------------------

  interface Starter {
    void start(Vertx vertx, Runnable fail);
  }

  /** Starts {@code starter} inside a new domain; its {@code fail} callback throws; returns what the domain got. */
  private static DomainError throwLaterFrom(Vertx vertx, Starter starter) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    IllegalStateException boom = new IllegalStateException("later");
    on(ctx, () -> {
      domain.run(() -> starter.start(vertx, () -> {
        assertSame(domain, Domain.active());
        throw boom;
      }));
      return null;
    });
    DomainError error = errors.next();
    assertSame(boom, error.cause());
    assertSame(domain, error.domain());
    assertTrue(error.thrown());
    return error;
  }

  private static int startServer(Vertx vertx) throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(req -> req.response().end("ok"));
    return server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture()
      .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).actualPort();
  }
}
