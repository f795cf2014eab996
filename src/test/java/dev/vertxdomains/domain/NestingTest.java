package dev.vertxdomains.domain;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.vertxdomains.domain.DomainTestSupport.TIMEOUT_SECONDS;
import static dev.vertxdomains.domain.DomainTestSupport.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scenarios 15–20 of {@code domain-behaviour.md}: nesting, the stack and the top level. */
@ExtendWith(VertxExtension.class)
class NestingTest {

  @Test
  @DisplayName("15. enter pushes; exiting a lower domain pops everything above it; exiting one not on the stack does nothing")
  void s15_enterExit(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    Domain a = Domain.create();
    Domain b = Domain.create();
    Domain c = Domain.create();
    Domain stranger = Domain.create();
    List<Object> seen = on(ctx, () -> {
      List<Object> trace = new ArrayList<>();
      a.enter();
      b.enter();
      c.enter();
      trace.add(Domain.active());
      trace.add(DomainStack.depth());
      stranger.exit();
      trace.add(Domain.active());
      b.exit();
      trace.add(Domain.active());
      trace.add(DomainStack.depth());
      a.exit();
      trace.add(Domain.active() == null ? "none" : Domain.active());
      trace.add(DomainStack.depth());
      return trace;
    });
    assertEquals(Arrays.asList(c, 3, c, a, 1, "none", 0), seen);
  }

  @Test
  @DisplayName("15. code started after enter belongs to the entered domain")
  void s15_enterCapturesAsyncWork(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    on(ctx, () -> {
      domain.enter();
      vertx.setTimer(5, id -> {
        throw new IllegalStateException("after enter");
      });
      domain.exit();
      return null;
    });
    DomainError error = errors.next();
    assertSame(domain, error.domain());
  }

  @Test
  @DisplayName("16. while a domain's error handler runs, the active domain is its parent, or none")
  void s16_handlerRunsOutside(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors parentErrors = new DomainTestSupport.Errors();
    DomainTestSupport.Errors childErrors = new DomainTestSupport.Errors();
    DomainTestSupport.Errors loneErrors = new DomainTestSupport.Errors();
    Domain parent = Domain.create().errorHandler(parentErrors.handler());
    Domain child = Domain.create(parent).errorHandler(childErrors.handler());
    Domain lone = Domain.create().errorHandler(loneErrors.handler());
    on(ctx, () -> {
      child.run(() -> vertx.setTimer(5, id -> {
        throw new IllegalStateException("child");
      }));
      lone.run(() -> {
        throw new IllegalStateException("lone");
      });
      return null;
    });
    childErrors.next();
    loneErrors.next();
    assertEquals(List.of(parent), childErrors.activeInHandler);
    assertEquals(Arrays.asList((Domain) null), loneErrors.activeInHandler);
    parentErrors.assertNoneYet();
  }

  @Test
  @DisplayName("17. nested synchronously: when the inner handler throws, the outer handler gets the new error, once")
  void s17_nestedThrow(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors outerErrors = new DomainTestSupport.Errors();
    Domain outer = Domain.create().errorHandler(outerErrors.handler());
    IllegalStateException fromHandler = new IllegalStateException("inner handler failed");
    Domain[] inner = new Domain[1];
    on(ctx, () -> {
      outer.run(() -> {
        inner[0] = Domain.create().errorHandler(error -> {
          throw fromHandler;
        });
        inner[0].run(() -> {
          throw new IllegalStateException("original");
        });
      });
      return null;
    });
    assertSame(outer, inner[0].parent(), "a domain created inside another is its child");
    DomainError error = outerErrors.next();
    assertSame(fromHandler, error.cause());
    assertSame(outer, error.domain());
    assertTrue(error.thrown());
    DomainTestSupport.drain(ctx);
    outerErrors.assertNoneYet();
  }

  @Test
  @DisplayName("18. explicit parent: a child handles its own errors; unhandled or rethrown ones go to the parent, even async")
  void s18_explicitParent(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors parentErrors = new DomainTestSupport.Errors();
    DomainTestSupport.Errors childErrors = new DomainTestSupport.Errors();
    Domain parent = Domain.create().errorHandler(parentErrors.handler());
    Domain handling = Domain.create().errorHandler(childErrors.handler());
    Domain silent = Domain.create();
    Domain rethrowing = Domain.create().errorHandler(error -> {
      throw new IllegalStateException("rethrown: " + error.cause().getMessage());
    });
    on(ctx, () -> {
      parent.add(handling);
      parent.add(silent);
      parent.add(rethrowing);
      // Thrown later, from timers, when the parent is nowhere on any stack.
      handling.run(() -> vertx.setTimer(5, id -> {
        throw new IllegalStateException("handled by child");
      }));
      silent.run(() -> vertx.setTimer(10, id -> {
        throw new IllegalStateException("no child handler");
      }));
      rethrowing.run(() -> vertx.setTimer(15, id -> {
        throw new IllegalStateException("child rethrows");
      }));
      return null;
    });
    assertEquals("handled by child", childErrors.next().cause().getMessage());
    DomainError fromSilent = parentErrors.next();
    assertEquals("no child handler", fromSilent.cause().getMessage());
    assertSame(silent, fromSilent.domain(), "an error passed up keeps the domain it arose in");
    DomainError fromRethrow = parentErrors.next();
    assertEquals("rethrown: child rethrows", fromRethrow.cause().getMessage());
    assertSame(parent, fromRethrow.domain());
    assertEquals(3, parent.members().size());
  }

  @Test
  @DisplayName("18. an enclosing domain does not catch a synchronous throw from a domain created outside it, "
    + "unless it is that domain's parent")
  void s18_enclosingDomainIsNotParent(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors enclosing = new DomainTestSupport.Errors();
    DomainTestSupport.Errors topLevel = new DomainTestSupport.Errors();
    Domain outer = Domain.create().errorHandler(enclosing.handler());
    Domain createdOutside = Domain.create();
    Domain child = Domain.create(outer);
    on(ctx, () -> {
      Domain.topLevel(ctx).errorHandler(topLevel.handler());
      outer.run(() -> createdOutside.run(() -> {
        throw new IllegalStateException("from a domain created outside");
      }));
      outer.run(() -> child.run(() -> {
        throw new IllegalStateException("from a child");
      }));
      return null;
    });
    assertEquals("from a domain created outside", topLevel.next().cause().getMessage());
    DomainError fromChild = enclosing.next();
    assertEquals("from a child", fromChild.cause().getMessage());
    assertSame(child, fromChild.domain());
    DomainTestSupport.drain(ctx);
    enclosing.assertNoneYet();
  }

  @Test
  @DisplayName("19. an error no domain handles, or a throw from a top-level handler, goes to the instance's top level")
  void s19_topLevel(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors topLevel = new DomainTestSupport.Errors();
    Domain unhandled = Domain.create();
    Domain throwing = Domain.create().errorHandler(error -> {
      throw new IllegalStateException("handler of a root domain threw");
    });
    on(ctx, () -> {
      Domain.topLevel(ctx).errorHandler(topLevel.handler());
      unhandled.run(() -> vertx.setTimer(5, id -> {
        throw new IllegalStateException("nobody handles me");
      }));
      throwing.run(() -> vertx.setTimer(10, id -> {
        throw new IllegalStateException("first");
      }));
      return null;
    });
    DomainError first = topLevel.next();
    assertEquals("nobody handles me", first.cause().getMessage());
    assertSame(unhandled, first.domain());
    DomainError second = topLevel.next();
    assertEquals("handler of a root domain threw", second.cause().getMessage());
    assertTrue(second.domain().isTopLevel());
    assertSame(Domain.topLevel(ctx), second.domain());
  }

  @Test
  @DisplayName("19. without a top-level handler the error reaches the context's own exception handler")
  void s19_topLevelFallsBackToContextHandler(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    CompletableFuture<Throwable> contextHandler = new CompletableFuture<>();
    ctx.exceptionHandler(contextHandler::complete);
    IllegalStateException boom = new IllegalStateException("to the context handler");
    on(ctx, () -> {
      Domain.create().run(() -> vertx.setTimer(5, id -> {
        throw boom;
      }));
      return null;
    });
    assertSame(boom, contextHandler.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  @DisplayName("19. the last-resort vertx.exceptionHandler runs outside any domain (Node's uncaughtException has no "
    + "active domain), and what it schedules does not belong to the failed domain")
  void s19_fallbackRunsOutsideAnyDomain(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    java.util.concurrent.BlockingQueue<Object[]> calls = new java.util.concurrent.LinkedBlockingQueue<>();
    CompletableFuture<Domain> activeInScheduled = new CompletableFuture<>();
    vertx.exceptionHandler(error -> {
      calls.add(new Object[] {error, Domain.active() == null ? "none" : Domain.active()});
      if (error.getMessage().equals("boom")) {
        vertx.setTimer(1, id -> {
          activeInScheduled.complete(Domain.active());
          throw new IllegalStateException("from the fallback's timer");
        });
      }
    });
    Domain failed = Domain.create();
    on(ctx, () -> {
      failed.run(() -> {
        throw new IllegalStateException("boom");
      });
      return null;
    });
    Object[] first = calls.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    assertEquals("boom", ((Throwable) first[0]).getMessage());
    assertEquals("none", first[1], "the fallback must run outside the failed domain");
    assertNull(activeInScheduled.get(TIMEOUT_SECONDS, TimeUnit.SECONDS), "what the fallback schedules is in no domain");
    Object[] second = calls.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    assertEquals("from the fallback's timer", ((Throwable) second[0]).getMessage());
    assertEquals("none", second[1]);
    DomainTestSupport.drain(ctx);
    assertNull(calls.peek(), "each error reaches the fallback once");
  }

  @Test
  @DisplayName("19. the context's own exception handler, as a fallback, also runs outside any domain")
  void s19_contextHandlerRunsOutsideAnyDomain(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    CompletableFuture<Domain> active = new CompletableFuture<>();
    CompletableFuture<Boolean> onRoot = new CompletableFuture<>();
    ctx.exceptionHandler(error -> {
      active.complete(Domain.active());
      onRoot.complete(Vertx.currentContext() == ctx);
    });
    on(ctx, () -> {
      Domain.create().run(() -> vertx.setTimer(5, id -> {
        throw new IllegalStateException("later, in the domain");
      }));
      return null;
    });
    assertNull(active.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    assertTrue(onRoot.get(TIMEOUT_SECONDS, TimeUnit.SECONDS), "the fallback runs on the instance's root context");
  }

  @Test
  @DisplayName("20. after any number of handled errors the domain stack is empty between events")
  void s20_stackStaysBounded(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    int rounds = 200;
    for (int i = 0; i < rounds; i++) {
      ctx.runOnContext(v -> {
        domain.enter();
        Domain.create().enter();
        throw new IllegalStateException("escapes the event with two domains entered");
      });
    }
    for (int i = 0; i < rounds; i++) {
      errors.next();
    }
    assertEquals(0, (int) on(ctx, DomainStack::depth));
    assertNull(on(ctx, Domain::active));
  }
}
