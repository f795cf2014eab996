package dev.vertxdomains.supervisor;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;

/**
 * New work that arrived while no generation of a slot served, in arrival order, each piece bounded by its hold
 * timer. Used on the slot's context only.
 */
final class HoldQueue {

  private final ArrayDeque<Held> held = new ArrayDeque<>();

  boolean isEmpty() {
    return held.isEmpty();
  }

  /**
   * Holds {@code task} until a generation serves; after {@code timeoutMillis} {@code rejected} runs instead, with the
   * retry-after {@code retryAfter} gives then.
   */
  void add(Vertx vertx, long timeoutMillis, Handler<Generation> task, Handler<Long> rejected,
           java.util.function.LongSupplier retryAfter) {
    Held entry = new Held(task, rejected);
    entry.timer = vertx.setTimer(timeoutMillis, id -> {
      if (held.remove(entry)) {
        entry.rejected.handle(retryAfter.getAsLong());
      }
    });
    held.addLast(entry);
  }

  /** Hands the held work to {@code target}, in arrival order. */
  void flushTo(Vertx vertx, Generation target) {
    Held entry;
    while ((entry = held.pollFirst()) != null) {
      vertx.cancelTimer(entry.timer);
      SupervisorInternals.emit(SupervisorInternals.duplicate(target.context()), target, entry.task);
    }
  }

  /** Refuses all the held work. */
  void rejectAll(Vertx vertx, long retryAfterSeconds) {
    Held entry;
    while ((entry = held.pollFirst()) != null) {
      vertx.cancelTimer(entry.timer);
      entry.rejected.handle(retryAfterSeconds);
    }
  }

  /** Work waiting for a generation. */
  private static final class Held {
    final Handler<Generation> task;
    final Handler<Long> rejected;
    long timer;

    Held(Handler<Generation> task, Handler<Long> rejected) {
      this.task = task;
      this.rejected = rejected;
    }
  }
}
