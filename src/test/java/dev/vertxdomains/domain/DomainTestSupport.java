package dev.vertxdomains.domain;

import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Helpers shared by the domain scenario tests: run on a context and wait, and collect delivered errors. */
final class DomainTestSupport {

  static final long TIMEOUT_SECONDS = 10;

  private DomainTestSupport() {
  }

  /** Runs {@code task} on {@code context} and waits for its value (or rethrows what it threw). */
  static <T> T on(Context context, Callable<T> task) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        result.complete(task.call());
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    });
    try {
      return result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof Exception ex) {
        throw ex;
      }
      throw e;
    }
  }

  /** A fresh event-loop context, as a verticle instance would have. */
  static Context context(Vertx vertx) {
    return vertx.getOrCreateContext();
  }

  /** Collects errors in the order they are delivered. */
  static final class Errors {
    final BlockingQueue<DomainError> queue = new LinkedBlockingQueue<>();
    final List<Domain> activeInHandler = new ArrayList<>();

    io.vertx.core.Handler<DomainError> handler() {
      return error -> {
        synchronized (activeInHandler) {
          activeInHandler.add(Domain.active());
        }
        queue.add(error);
      };
    }

    DomainError next() throws InterruptedException {
      DomainError error = queue.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertNotNull(error, "no error was delivered within " + TIMEOUT_SECONDS + " s");
      return error;
    }

    void assertNoneYet() {
      assertNull(queue.peek(), "an error was delivered: " + queue.peek());
    }
  }

  /** Resolves once every task already queued on {@code context}'s event loop has run. */
  static void drain(Context context) throws Exception {
    on(context, () -> null);
    on(context, () -> null);
  }
}
