package dev.vertxdomains.domain;

import ch.qos.logback.classic.Level;
import dev.vertxdomains.testing.LogCapture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vert.x line detection and the start-up checks of the domain core's reaches into Vert.x internals. */
@ExtendWith(VertxExtension.class)
class InternalReachTest {

  @Test
  void versionsMapToTheirLines() {
    assertEquals(VertxLine.V5_0, VertxLine.parse("5.0.10"));
    assertEquals(VertxLine.V5_1, VertxLine.parse("5.1.6"));
    assertEquals(VertxLine.V5_2, VertxLine.parse("5.2.3"));
    assertEquals(VertxLine.V5_2, VertxLine.parse("5.3.0-SNAPSHOT"), "a newer 5.x is checked as 5.2");
    assertNull(VertxLine.parse("4.5.21"));
    assertNull(VertxLine.parse("unknown"));
    assertEquals(VertxLine.parse(VertxLine.version()), VertxLine.running());
  }

  @Test
  void everyReachOfTheDomainCoreIsThereOnThisLine() {
    for (InternalReach reach : List.of(VertxInternals.CONSUMER_HANDLER, VertxInternals.EMITTER_CONTEXT,
      VertxInternals.FILE_READ_BUFFER, VertxInternals.WATCHED_FUTURE)) {
      assertTrue(reach.present(), reach + " on Vert.x " + VertxLine.version());
    }
  }

  @Test
  void aMissingBehaviourReachFailsNamingTheVersionTheFeatureAndWhatToDo() {
    InternalReach reach = InternalReach.field("Domain.add(MessageConsumer)", InternalReach.Need.BEHAVIOUR,
      "throws from the consumer's handler would not reach the domain", Object.class, "handler");
    InternalReach.Missing missing = assertThrows(InternalReach.Missing.class, reach::require);
    String message = missing.getMessage();
    assertTrue(message.contains("Vert.x " + VertxLine.version()), message);
    assertTrue(message.contains("Domain.add(MessageConsumer)"), message);
    assertTrue(message.contains("java.lang.Object#handler is not there"), message);
    assertTrue(message.contains("5.0.x, 5.1.x or 5.2.x"), message);
    assertFalse(reach.present());
    assertThrows(InternalReach.Missing.class, reach::require, "the answer is kept");
  }

  @Test
  void aMissingSpeedReachWarnsOnceAndGoesOn() {
    InternalReach reach = InternalReach.field("a test feature", InternalReach.Need.SPEED, "it is slower",
      Object.class, "nothing");
    try (LogCapture log = LogCapture.of(InternalReach.class)) {
      reach.require();
      reach.require();
      List<String> warnings = log.atLeast(Level.WARN);
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(warnings.get(0).contains("a test feature is slower") && warnings.get(0).contains(VertxLine.version()),
        warnings.get(0));
    }
  }

  /** Runs {@code use} on a Vert.x context with {@code reach} pointed at a class without its field; what it threw. */
  private static Throwable withMissing(Vertx vertx, InternalReach real, java.util.function.Consumer<InternalReach> swap,
                                       java.util.function.Function<Domain, Future<?>> use) throws Exception {
    swap.accept(InternalReach.field(real.feature(), InternalReach.Need.BEHAVIOUR, "it would not work",
      Object.class, "missing"));
    try {
      CompletableFuture<Throwable> thrown = new CompletableFuture<>();
      vertx.runOnContext(v -> {
        Domain domain = Domain.create();
        try {
          use.apply(domain).onComplete(ar -> thrown.complete(ar.cause()));
        } catch (RuntimeException e) {
          thrown.complete(domain.members().isEmpty() ? e : new AssertionError("added anyway", e));
        }
      });
      return thrown.get(20, TimeUnit.SECONDS);
    } finally {
      swap.accept(real);
    }
  }

  private static void assertMissing(Throwable failure, String feature) {
    assertTrue(failure instanceof InternalReach.Missing, String.valueOf(failure));
    assertTrue(failure.getMessage().contains(feature) && failure.getMessage().contains("java.lang.Object#missing"),
      failure.getMessage());
  }

  @Test
  void addingAConsumerFailsWhenItsReachIsMissing(Vertx vertx) throws Exception {
    Throwable failure = withMissing(vertx, VertxInternals.CONSUMER_HANDLER, r -> VertxInternals.CONSUMER_HANDLER = r,
      domain -> {
        domain.add(vertx.eventBus().consumer("test.reach", message -> { }));
        return Future.succeededFuture();
      });
    assertMissing(failure, "Domain.add(MessageConsumer)");
  }

  @Test
  void addingAFileFailsWhenItsReachIsMissing(Vertx vertx) throws Exception {
    Path file = Files.createTempFile("reach", ".txt");
    try {
      Throwable failure = withMissing(vertx, VertxInternals.FILE_READ_BUFFER, r -> VertxInternals.FILE_READ_BUFFER = r,
        domain -> vertx.fileSystem().open(file.toString(), new OpenOptions()).map(opened -> {
          try {
            return domain.add(opened);
          } finally {
            opened.close();
          }
        }));
      assertMissing(failure, "Domain.add(AsyncFile)");
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void watchingAFutureFailsWhenItsReachIsMissing(Vertx vertx) throws Exception {
    Throwable failure = withMissing(vertx, VertxInternals.WATCHED_FUTURE, r -> VertxInternals.WATCHED_FUTURE = r,
      domain -> domain.watch(Future.succeededFuture()));
    assertMissing(failure, "Domain.watch(Future)");
  }

  @Test
  void addingAResponseFailsWhenItsReachIsMissing(Vertx vertx) throws Exception {
    CompletableFuture<Throwable> added = new CompletableFuture<>();
    HttpServer server = vertx.createHttpServer().requestHandler(request -> {
      try {
        Domain.create().add(request.response());
        added.complete(null);
      } catch (RuntimeException e) {
        added.complete(e);
      }
      request.response().end();
    }).listen(0, "127.0.0.1").await(20, TimeUnit.SECONDS);
    InternalReach real = VertxInternals.EMITTER_CONTEXT;
    VertxInternals.EMITTER_CONTEXT = InternalReach.field(real.feature(), InternalReach.Need.BEHAVIOUR,
      "it would not work", Object.class, "missing");
    try {
      vertx.createHttpClient().request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
        .compose(request -> request.send().compose(response -> response.body())).await(20, TimeUnit.SECONDS);
      assertMissing(added.get(20, TimeUnit.SECONDS), "Domain.add of an HTTP server response");
    } finally {
      VertxInternals.EMITTER_CONTEXT = real;
    }
  }
}
