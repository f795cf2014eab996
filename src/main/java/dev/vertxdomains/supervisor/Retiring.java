package dev.vertxdomains.supervisor;

import dev.vertxdomains.supervisor.spi.FaultLog;
import dev.vertxdomains.supervisor.spi.Drain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * A slot's replaced generations while they finish their work in flight: each drains (bounded by the kill timer), is
 * undeployed, and reports {@code draining}, then {@code stopped}. Beyond {@code maxRetiring} the oldest is ended at
 * once. Changed on the slot's context; snapshots are read from any thread.
 */
final class Retiring {

  private static final Logger LOG = LoggerFactory.getLogger(Slot.class);

  private final Slot slot;
  private final List<SlotGeneration> generations = new ArrayList<>();

  Retiring(Slot slot) {
    this.slot = slot;
  }

  synchronized List<SlotGeneration> snapshot() {
    return new ArrayList<>(generations);
  }

  /**
   * Takes a retired generation: it drains, stops and goes. Beyond {@code maxRetiring}, the oldest not yet ended early
   * are ended now, each once: a burst of faults in one turn of the loop (messages queued together, each failing at
   * once) retires generations faster than their drains, which run after that turn, can end them; ending and logging
   * every older one again at each retirement made the work and the log grow with the square of the burst.
   */
  void add(SlotGeneration generation) {
    int max = slot.group.options.maxRetiring();
    List<SlotGeneration> beyond = new ArrayList<>();
    int count;
    synchronized (this) {
      generations.add(generation);
      count = generations.size();
      for (int i = 0; i < count - max; i++) {
        SlotGeneration old = generations.get(i);
        if (!old.expiring()) {
          beyond.add(old);
        }
      }
    }
    for (SlotGeneration ended : beyond) {
      slot.log(ended, null, () -> LOG.info("Ending worker {} generation {} early: {} generations are finishing their "
        + "work (supervisor.maxRetiring {})", slot.id(), ended.generation(), count, max));
      ended.expire();
    }
    slot.publish(generation.info(), null, null);
    Drain drain = new Drain(System.currentTimeMillis() + slot.group.options.killTimeoutMs(), false, null);
    generation.stop(slot.slotContext, drain).onComplete(ar -> slot.home().runOnContext(v -> retired(generation,
      ar.cause())));
  }

  private void retired(SlotGeneration generation, Throwable failure) {
    synchronized (this) {
      generations.remove(generation);
    }
    if (generation.state() == WorkerState.FAILED) {
      return; // the supervisor gave up: the slot stays reported as failed
    }
    generation.state(WorkerState.STOPPED);
    stopFailed(generation, failure);
    slot.publish(generation.info(), null, null);
  }

  /** A generation's own {@code stop()} failed (or threw): the application's error, never silent. */
  void stopFailed(SlotGeneration generation, Throwable failure) {
    if (failure != null) {
      slot.log(generation, null, () -> FaultLog.warn(LOG, failure, "Worker {} generation {} of {}: stop() failed: {}",
        slot.id(), generation.generation(), slot.group.verticleName, FaultLog.describe(failure)));
    }
  }
}
