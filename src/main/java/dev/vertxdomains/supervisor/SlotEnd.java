package dev.vertxdomains.supervisor;

import dev.vertxdomains.supervisor.spi.Drain;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A slot's graceful end (undeploy, scale-down, SIGTERM, a stand-in let go): new work is refused, the slot's
 * resources drain (its listeners leave their port, connections finish) while its generation still serves what they
 * bring, then every generation is undeployed, its newest and the retiring ones; the kill timer bounds the whole.
 */
final class SlotEnd {

  private final Slot slot;
  private final List<Function<Drain, Future<?>>> closeParticipants;
  private final HoldQueue held;
  private final Retiring retiring;

  SlotEnd(Slot slot, List<Function<Drain, Future<?>>> closeParticipants, HoldQueue held, Retiring retiring) {
    this.slot = slot;
    this.closeParticipants = closeParticipants;
    this.held = held;
    this.retiring = retiring;
  }

  /** Runs the end; {@code done} completes when every generation stopped and the listeners closed. */
  void run(Promise<Void> done) {
    SlotState before = slot.state();
    slot.fire(new SlotState.Stop(), null, null);
    if (before.phase() instanceof SlotState.BackingOff off && off.timer() >= 0) {
      slot.vertx.cancelTimer(off.timer());
    }
    held.rejectAll();
    long deadline = System.currentTimeMillis() + slot.group.options.killTimeoutMs();
    Promise<Void> expiry = Promise.promise();
    Drain drain = new Drain(deadline, true, expiry.future());
    Future<?> closing = SlotGeneration.runAll(drain, closeParticipants);
    Promise<Void> resourcesDone = Promise.promise();
    long timer = slot.vertx.setTimer(Math.max(1, drain.remainingMillis()), id -> {
      expiry.tryComplete();
      resourcesDone.tryComplete();
    });
    closing.onComplete(ar -> resourcesDone.tryComplete());
    resourcesDone.future().onComplete(ar -> slot.home().runOnContext(v -> {
      slot.vertx.cancelTimer(timer);
      slot.fire(new SlotState.Drained(), null, null);
      stopGenerations(deadline, closing, done);
    }));
  }

  /** Stops the slot's generation and the retiring ones, then ends the slot once its listeners have closed too. */
  private void stopGenerations(long deadline, Future<?> closing, Promise<Void> done) {
    SlotGeneration newest = slot.state().phase().generation();
    List<SlotGeneration> all = new ArrayList<>();
    if (newest != null && !newest.retired()) {
      all.add(newest);
    }
    all.addAll(retiring.snapshot());
    List<Future<?>> stops = new ArrayList<>(all.size());
    for (SlotGeneration generation : all) {
      Future<Void> stop = generation.stop(slot.slotContext, new Drain(deadline, true, null));
      // A retiring generation's failed stop() is logged where it retires (retired); the newest one's here.
      stops.add(generation == newest ? stop.onFailure(failure -> retiring.stopFailed(generation, failure)) : stop);
    }
    // The undeploy completes once the generations have stopped and the slot's listeners have closed (their grace
    // ends a little after the kill deadline): when it completes, the port is free.
    List<Future<?>> ends = new ArrayList<>(stops);
    ends.add(closing);
    Future.join(ends).onComplete(stopped -> slot.home().runOnContext(v -> {
      slot.fire(new SlotState.End(), null, null);
      slot.group.leave(slot, slot.vertx);
      Throwable failure = stops.stream().filter(Future::failed).map(Future::cause).findFirst().orElse(null);
      if (failure != null) {
        done.fail(failure); // as Vert.x fails an undeploy whose stop() failed
      } else {
        done.complete();
      }
    }));
  }
}
