package dev.vertxdomains.launcher;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Verticles that cannot start, or give up after starting, for the launcher's failure tests. */
public final class BadVerticles {

  private BadVerticles() {
  }

  /** Its constructor throws. */
  public static class ThrowingConstructor extends VerticleBase {
    /** Throws. */
    public ThrowingConstructor() {
      throw new IllegalStateException("constructor failed on purpose");
    }
  }

  /** Its {@code start()} fails. */
  public static class FailingStart extends VerticleBase {
    @Override
    public Future<?> start() {
      return Future.failedFuture(new IllegalStateException("start failed on purpose"));
    }
  }

  /** Starts, then crashes outside any request domain a moment later, every time: its supervisor gives up. */
  public static class CrashesAfterStart extends VerticleBase {
    @Override
    public Future<?> start() {
      vertx.setTimer(50, id -> {
        throw new IllegalStateException("crashed on purpose");
      });
      return Future.succeededFuture();
    }
  }

  /** Starts and runs: with {@code -Dvertx-domains.management...}, a process whose main deployment is plain. */
  public static class Idle extends VerticleBase {
  }
}
