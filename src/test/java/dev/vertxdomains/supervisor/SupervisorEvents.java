package dev.vertxdomains.supervisor;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Records the supervisor's events in tests and waits for one, on a monitor (no polling). */
public final class SupervisorEvents {

  private SupervisorEvents() {
  }

  /**
   * Starts recording the supervisor's events (those published on {@link Supervisor#EVENTS_ADDRESS}), as they are
   * published, so that no blocked event loop can hold them back; returns the live list.
   */
  public static List<JsonObject> listen(Vertx vertx) {
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    Supervisor.listen(vertx, event -> {
      synchronized (events) {
        events.add(event);
        events.notifyAll();
      }
    });
    return events;
  }

  /** Waits until a recorded event matches, for at most 20 s. */
  public static JsonObject awaitEvent(List<JsonObject> events, Predicate<JsonObject> match)
    throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    synchronized (events) {
      int index;
      while ((index = indexOf(events, match)) < 0) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new AssertionError("no matching supervisor event within 20 s: " + events);
        }
        events.wait(left);
      }
      return events.get(index);
    }
  }

  /** The index of the first matching event, or -1. */
  public static int indexOf(List<JsonObject> events, Predicate<JsonObject> match) {
    for (int i = 0; i < events.size(); i++) {
      if (match.test(events.get(i))) {
        return i;
      }
    }
    return -1;
  }
}
