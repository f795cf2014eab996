package dev.vertxdomains.supervisor;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Verticles that crash outside any request, for the restart-intensity tests. */
final class CrashingVerticles {

  private CrashingVerticles() {
  }

  /** Its {@code start()} always fails. */
  public static class FailingStart extends VerticleBase {
    @Override
    public Future<?> start() {
      return Future.failedFuture(new IllegalStateException("start failed on purpose"));
    }
  }

  /** Starts, then throws from a timer outside any request domain: an instance crash. */
  public static class CrashAfterStart extends VerticleBase {
    @Override
    public Future<?> start() {
      vertx.setTimer(5, id -> {
        throw new IllegalStateException("instance crashed on purpose");
      });
      return Future.succeededFuture();
    }
  }

  /** Its first {@code start()} never completes; later ones do. */
  public static class HangingFirstStart extends VerticleBase {
    static final java.util.concurrent.atomic.AtomicInteger STARTS = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public Future<?> start() {
      return STARTS.incrementAndGet() == 1 ? io.vertx.core.Promise.promise().future() : Future.succeededFuture();
    }
  }
}
