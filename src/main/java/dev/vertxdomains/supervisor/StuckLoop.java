package dev.vertxdomains.supervisor;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The watch of one slot's event loop (see {@link SlotWatchdog}) and what a blocked loop sets off: the slot is
 * reported {@code stuck}, its intake stops, and a stand-in slot on a free loop takes its new work until the loop runs
 * again. The watchdog's thread fires {@link SlotState.Blocked} itself (the blocked loop cannot take an event); the
 * heartbeat fires {@link SlotState.RunsAgain} on the slot's loop.
 */
final class StuckLoop {

  private static final Logger LOG = LoggerFactory.getLogger(Slot.class);

  private final Slot slot;
  /** For a stand-in: the stuck slot it takes new work for; {@code null} for a slot Vert.x deployed. */
  private final Slot standsInFor;
  /** When the pending heartbeat was sent (0: none pending); written by the watchdog and the slot's loop. */
  private volatile long beatSentAt;
  private volatile Thread loopThread;

  StuckLoop(Slot slot, Slot standsInFor) {
    this.slot = slot;
    this.standsInFor = standsInFor;
  }

  Slot standsInFor() {
    return standsInFor;
  }

  /** The slot's loop ran on {@code thread} (named in the stuck line). */
  void ranOn(Thread thread) {
    loopThread = thread;
  }

  /** Called by the watchdog thread: sends a heartbeat, or reports the slot stuck when the last one is overdue. */
  void watch(long now) {
    SupervisorOptions options = slot.group.options;
    long bound = options == null ? 0 : options.stuckTimeoutMs();
    Context on = slot.home();
    SlotState state = slot.state();
    if (bound <= 0 || on == null || state.stopping()) {
      return;
    }
    long sent = beatSentAt;
    if (sent == 0) {
      beatSentAt = now;
      on.runOnContext(v -> beat());
    } else if (!state.intake().stuck() && now - sent >= bound) {
      // Listeners first (they leave the port's balancer), so that whoever reacts to the event finds it done.
      slot.closeIntake();
      slot.fire(new SlotState.Blocked(), null, null);
      slot.syncIntake();
      stuck(now - sent, options);
    }
  }

  /** The heartbeat, on the slot's loop: it runs, so the loop is not blocked. */
  private void beat() {
    loopThread = Thread.currentThread();
    long sent = beatSentAt;
    beatSentAt = 0;
    Slot in = slot.state().intake().standIn();
    if (slot.fire(new SlotState.RunsAgain(), null, null)) {
      LOG.warn("Worker {} of {} runs again: its event loop was blocked for about {} ms", slot.id(),
        slot.group.verticleName, System.currentTimeMillis() - sent);
      slot.syncIntake();
      if (in != null) {
        in.home().runOnContext(v -> in.loop.endAsStandIn(Promise.promise()));
      }
    }
  }

  /**
   * On the watchdog thread: the slot's loop is blocked. Its thread cannot be stopped, so its listeners leave their
   * port and its consumers their address, and a stand-in slot on a free loop takes its new work until the loop runs
   * again; with {@code giveUp: exit} the process exits instead, so that an orchestrator or the cluster takes over.
   * What the blocked loop already holds (requests on its open connections, messages queued for it, its timers) waits
   * for the loop.
   */
  private void stuck(long blockedMillis, SupervisorOptions options) {
    Thread thread = loopThread;
    LOG.error("Worker {} of {} is stuck: its event loop thread {} has not run for {} ms (stuckTimeoutMs {}); it takes "
        + "no new connections until it runs again; at {}", slot.id(), slot.group.verticleName,
      thread == null ? "?" : thread.getName(), blockedMillis, options.stuckTimeoutMs(), SlotWatchdog.where(thread));
    if (options.giveUp() == GiveUpAction.EXIT) {
      Supervisor.exit(slot.vertx, options.exitCode(), "worker " + slot.id() + " of " + slot.group.verticleName
        + " is stuck", Math.min(options.killTimeoutMs(), 10_000));
    } else if (standsInFor == null) {
      placeStandIn();
    }
  }

  /**
   * On the watchdog thread: starts a slot of the same deployment on the least used event loop that is not blocked,
   * to take this slot's new connections and messages until this slot's loop runs again (then it drains and goes).
   * A stand-in has no stand-in of its own.
   */
  private void placeStandIn() {
    List<Context> placed = new ArrayList<>();
    List<Context> blocked = new ArrayList<>();
    for (Slot other : Supervisor.slots(slot.vertx)) {
      if (other.home() != null) {
        (other.state().intake().stuck() ? blocked : placed).add(other.home());
      }
    }
    Context context = SupervisorInternals.onFreeLoop(slot.slotContext, placed, blocked);
    if (context == null) {
      LOG.warn("Worker {} of {} is stuck and no event loop is free to take its work", slot.id(),
        slot.group.verticleName);
      return;
    }
    Slot in = new Slot(slot.group, slot);
    if (!slot.fire(new SlotState.StandIn(in), null, null)) {
      return; // it runs again, or it stops
    }
    in.place(context);
    in.home().runOnContext(v -> {
      in.loop.ranOn(Thread.currentThread());
      LOG.warn("Worker {} of {} stands in for stuck worker {} on {}", in.id(), slot.group.verticleName, slot.id(),
        Thread.currentThread().getName());
      in.startGeneration();
    });
  }

  /** Ends this slot's stand-in, if it has one: the stand-in drains and goes. */
  Future<Void> endStandIn() {
    Slot in = slot.state().intake().standIn();
    Promise<Void> ended = Promise.promise();
    if (in == null || in.home() == null) {
      ended.complete();
    } else {
      in.home().runOnContext(v -> in.loop.endAsStandIn(ended));
    }
    return ended.future();
  }

  /** A stand-in's end, on its context: the slot's graceful end, then its context's close hooks. */
  private void endAsStandIn(Promise<Void> done) {
    if (slot.state().stopping()) {
      done.complete();
      return;
    }
    Promise<Void> drained = Promise.promise();
    slot.shutdown(drained);
    drained.future()
      .compose(v -> SupervisorInternals.closeGeneration(standsInFor.slotContext, slot.slotContext))
      .onComplete(ar -> done.complete());
  }
}
