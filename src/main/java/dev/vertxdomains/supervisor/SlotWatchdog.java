package dev.vertxdomains.supervisor;

import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Watches every slot's event loop from outside it: one daemon thread per Vert.x instance with supervised
 * deployments sends each slot a heartbeat task and reports a slot whose loop has not run it within
 * {@link SupervisorOptions#stuckTimeoutMs()} as stuck (and as recovered once it runs again). A thread cannot be
 * killed: what the supervisor can do about a stuck slot is in {@link Slot#stuck}.
 */
final class SlotWatchdog implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(SlotWatchdog.class);
  private static final long PERIOD_MS = 100;

  private final Vertx vertx;
  private volatile boolean running = true;

  private SlotWatchdog(Vertx vertx) {
    this.vertx = vertx;
  }

  static SlotWatchdog start(Vertx vertx) {
    SlotWatchdog watchdog = new SlotWatchdog(vertx);
    Thread thread = new Thread(watchdog, "vertx-domains-watchdog");
    thread.setDaemon(true);
    thread.start();
    return watchdog;
  }

  void stop() {
    running = false;
  }

  @Override
  public void run() {
    while (running) {
      try {
        Thread.sleep(PERIOD_MS);
        for (Slot slot : Supervisor.slots(vertx)) {
          slot.loop.watch(System.currentTimeMillis());
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        LOG.debug("Watchdog round failed: {}", e.toString());
      }
    }
  }

  /** The top frames of a thread's stack, for the stuck report. */
  static String where(Thread thread) {
    if (thread == null) {
      return "unknown";
    }
    List<StackTraceElement> frames = Arrays.asList(thread.getStackTrace());
    return frames.stream().limit(4).map(StackTraceElement::toString).collect(Collectors.joining(" < "));
  }
}
