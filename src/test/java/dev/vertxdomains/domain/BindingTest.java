package dev.vertxdomains.domain;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.vertxdomains.domain.DomainTestSupport.TIMEOUT_SECONDS;
import static dev.vertxdomains.domain.DomainTestSupport.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scenarios 10–14 of {@code domain-behaviour.md}: explicit binding. The emitter used is a real {@link AsyncFile}
 * on {@code /proc/self/mem}: reading it at offset 0 fails with an I/O error on the file's worker thread, which
 * Vert.x raises on the stream exactly like a failing disk would.
 */
@ExtendWith(VertxExtension.class)
class BindingTest {

  private static Future<AsyncFile> openFailing(Vertx vertx) {
    return vertx.fileSystem().open("/proc/self/mem", new OpenOptions().setRead(true).setWrite(false));
  }

  /** Makes {@code file} raise an I/O exception on its stream, asynchronously. */
  private static void raiseError(AsyncFile file) {
    file.handler(buffer -> { });
  }

  @Test
  @DisplayName("10. add makes an emitter a member once; remove takes it out and its errors no longer reach the domain")
  void s10_addRemoveMembers(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors inDomain = new DomainTestSupport.Errors();
    DomainTestSupport.Errors topLevel = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(inDomain.handler());
    AsyncFile file = on(ctx, () -> openFailing(vertx)).toCompletionStage().toCompletableFuture()
      .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    List<Object> members = on(ctx, () -> {
      Domain.topLevel(ctx).errorHandler(topLevel.handler());
      domain.add(file);
      domain.add(file);
      return domain.members();
    });
    assertEquals(List.of(file), members);
    assertTrue(on(ctx, () -> domain.remove(file)));
    assertEquals(List.of(), on(ctx, domain::members));
    assertFalse(on(ctx, () -> domain.remove(file)), "removing a non-member reports false");
    on(ctx, () -> {
      raiseError(file);
      return null;
    });
    // The file was opened outside any domain, so once removed its error goes to the instance's top level.
    assertTrue(topLevel.next().cause() instanceof java.io.IOException);
    inDomain.assertNoneYet();
  }

  @Test
  @DisplayName("11. an added emitter's error reaches the domain with the emitter set and thrown=false")
  void s11_emitterError(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    AsyncFile file = on(ctx, () -> openFailing(vertx)).toCompletionStage().toCompletableFuture()
      .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    on(ctx, () -> {
      raiseError(domain.add(file));
      return null;
    });
    DomainError error = errors.next();
    assertSame(file, error.emitter());
    assertSame(domain, error.domain());
    assertFalse(error.thrown());
    assertNull(error.bound());
    assertTrue(error.cause() instanceof java.io.IOException);
  }

  @Test
  @DisplayName("11. an emitter created inside run is bound implicitly: its error event reaches the domain, thrown=false")
  void s11_emitterErrorIsNotThrown(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    on(ctx, () -> {
      // Reading /proc/self/mem at offset 0 fails with an I/O error: the file reports it, nobody threw it.
      domain.run(() -> openFailing(vertx).onSuccess(BindingTest::raiseError));
      return null;
    });
    DomainError error = errors.next();
    assertSame(domain, error.domain());
    assertFalse(error.thrown(), "an emitter's error is not a throw");
    assertNull(error.emitter(), "Vert.x does not say which file reported it");
    assertTrue(error.cause() instanceof java.io.IOException, error.cause().toString());
  }

  @Test
  @DisplayName("11. an IOException thrown by a handler is a throw, though a file's own report is an IOException too")
  void s11_thrownIoExceptionIsThrown(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    java.io.IOException io = new java.io.IOException("thrown by a timer");
    on(ctx, () -> {
      domain.run(() -> vertx.setTimer(1, id -> BindingTest.<RuntimeException>sneakyThrow(io)));
      return null;
    });
    DomainError error = errors.next();
    assertSame(io, error.cause());
    assertSame(domain, error.domain());
    assertTrue(error.thrown(), "a handler threw it");
    assertNull(error.emitter());
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void sneakyThrow(Throwable t) throws E {
    throw (E) t;
  }

  @Test
  @DisplayName("12. an emitter with its own exception handler keeps its errors")
  void s12_ownListenerWins(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    CompletableFuture<Throwable> own = new CompletableFuture<>();
    on(ctx, () -> {
      domain.run(() -> openFailing(vertx).onSuccess(file -> {
        domain.add(file);
        file.exceptionHandler(own::complete);
        raiseError(file);
      }));
      return null;
    });
    assertTrue(own.get(TIMEOUT_SECONDS, TimeUnit.SECONDS) instanceof java.io.IOException);
    DomainTestSupport.drain(ctx);
    errors.assertNoneYet();
  }

  @Test
  @DisplayName("13. a bound handler that throws in a timer reaches the domain: thrown=true, no emitter, no bound")
  void s13_bind(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    IllegalStateException boom = new IllegalStateException("bound");
    CompletableFuture<Domain> activeInside = new CompletableFuture<>();
    on(ctx, () -> {
      // Created outside the domain: only the binding puts it there.
      vertx.setTimer(5, domain.bind(id -> {
        activeInside.complete(Domain.active());
        throw boom;
      }));
      return null;
    });
    DomainError error = errors.next();
    assertSame(domain, activeInside.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    assertSame(boom, error.cause());
    assertTrue(error.thrown());
    assertNull(error.emitter());
    assertNull(error.bound());
  }

  @Test
  @DisplayName("13. a bound Runnable called from a non-Vert.x thread runs in the domain on its context")
  void s13_bindFromForeignThread(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    CompletableFuture<Domain> activeInside = new CompletableFuture<>();
    Runnable bound = on(ctx, () -> domain.bind(() -> {
      activeInside.complete(Domain.active());
      throw new IllegalStateException("from a pool thread");
    }));
    Thread thread = new Thread(bound, "not-vertx");
    thread.start();
    thread.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
    assertSame(domain, activeInside.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    assertEquals("from a pool thread", errors.next().cause().getMessage());
  }

  @Test
  @DisplayName("14. intercept: a failed AsyncResult goes to the domain with bound set and skips the callback")
  void s14_interceptFailure(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    CompletableFuture<Object> called = new CompletableFuture<>();
    io.vertx.core.Handler<io.vertx.core.buffer.Buffer> callback = called::complete;
    on(ctx, () -> {
      vertx.fileSystem().readFile("/no/such/file").onComplete(domain.intercept(callback));
      return null;
    });
    DomainError error = errors.next();
    assertSame(callback, error.bound());
    assertFalse(error.thrown());
    assertNull(error.emitter());
    assertTrue(error.cause() instanceof io.vertx.core.file.FileSystemException);
    DomainTestSupport.drain(ctx);
    assertFalse(called.isDone(), "the callback must be skipped for a failed result");
  }

  @Test
  @DisplayName("14. intercept: a succeeded result calls the callback in the domain with the value")
  void s14_interceptSuccess(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    Domain domain = Domain.create();
    CompletableFuture<String> value = new CompletableFuture<>();
    CompletableFuture<Domain> active = new CompletableFuture<>();
    on(ctx, () -> domain.intercept(vertx.timer(5, TimeUnit.MILLISECONDS).map("v"), v -> {
      active.complete(Domain.active());
      value.complete(v);
    }));
    assertEquals("v", value.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    assertSame(domain, active.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("14. intercept: a callback that throws reaches the domain with thrown=true")
  void s14_interceptCallbackThrows(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    on(ctx, () -> domain.intercept(vertx.timer(5, TimeUnit.MILLISECONDS), v -> {
      throw new IllegalStateException("in callback");
    }));
    DomainError error = errors.next();
    assertEquals("in callback", error.cause().getMessage());
    assertTrue(error.thrown());
  }

  @Test
  @DisplayName("10. a domain's timer is a member until it fires; removing a periodic one cancels it")
  void s10_timerMembers(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    Domain domain = Domain.create();
    CompletableFuture<List<Object>> membersWhenFired = new CompletableFuture<>();
    long oneShot = on(ctx, () -> domain.setTimer(5, id -> membersWhenFired.complete(domain.members())));
    assertEquals(List.of(), membersWhenFired.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    assertTrue(oneShot >= 0);
    long periodic = on(ctx, () -> domain.setPeriodic(1000, id -> { }));
    assertEquals(List.of(periodic), on(ctx, domain::members));
    assertTrue(on(ctx, () -> domain.remove(periodic)));
    assertFalse(on(ctx, () -> vertx.cancelTimer(periodic)), "remove must have cancelled the periodic timer");
  }
}
