package dev.vertxdomains.supervisor;

import dev.vertxdomains.supervisor.spi.SlotScope;
import io.vertx.core.Handler;
import dev.vertxdomains.supervisor.spi.Generation;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;

/**
 * The hand-off of a slot's new work to its serving generation ({@link SlotScope#dispatch}), and the work that arrived
 * while none served, held in arrival order, each piece bounded by its hold timer. The queue is used on the slot's
 * context only.
 */
final class HoldQueue {

  private final Slot slot;
  private final ArrayDeque<Held> held = new ArrayDeque<>();

  HoldQueue(Slot slot) {
    this.slot = slot;
  }

  /** Hands {@code task} to the serving generation: at once on the slot's thread, else via the slot's context. */
  void dispatch(Handler<Generation> task, Handler<Long> rejected) {
    SlotGeneration target = slot.serving();
    if (target != null && SupervisorInternals.inThread(slot.home()) && held.isEmpty()) {
      SupervisorInternals.emit(SupervisorInternals.duplicate(target.context()), target, task);
      return;
    }
    // On the slot's context (a hop from another thread), so that the hold timer is the slot's.
    SupervisorInternals.emit(slot.home(), null, v -> hold(task, rejected));
  }

  private void hold(Handler<Generation> task, Handler<Long> rejected) {
    SlotState now = slot.state();
    SlotGeneration target = now.serving();
    if (target != null) {
      flushTo(target); // what came before goes first
      SupervisorInternals.emit(SupervisorInternals.duplicate(target.context()), target, task);
    } else if (now.stopping()) {
      rejected.handle(slot.retryAfterSeconds());
    } else {
      Held entry = new Held(task, rejected);
      entry.timer = slot.vertx.setTimer(slot.group.options.holdTimeoutMs(), id -> {
        if (held.remove(entry)) {
          entry.rejected.handle(slot.retryAfterSeconds());
        }
      });
      held.addLast(entry);
    }
  }

  /** Hands the held work to {@code target}, in arrival order. */
  void flushTo(SlotGeneration target) {
    Vertx vertx = slot.vertx;
    Held entry;
    while ((entry = held.pollFirst()) != null) {
      vertx.cancelTimer(entry.timer);
      SupervisorInternals.emit(SupervisorInternals.duplicate(target.context()), target, entry.task);
    }
  }

  /** Refuses all the held work. */
  void rejectAll() {
    Held entry;
    while ((entry = held.pollFirst()) != null) {
      slot.vertx.cancelTimer(entry.timer);
      entry.rejected.handle(slot.retryAfterSeconds());
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
