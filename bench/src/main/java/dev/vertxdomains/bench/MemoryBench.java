package dev.vertxdomains.bench;

import dev.vertxdomains.domain.Domain;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory: heap used after a full GC, before and after N faults handled by domains (each a new domain on an event
 * loop whose task throws, the error reaching its handler). Arg: faults.
 */
public final class MemoryBench {

  private static final int BATCH = 1_000;

  private MemoryBench() {
  }

  /**
   * Handles the faults and prints the heap growth.
   *
   * @param args the number of faults
   */
  public static void main(String[] args) throws Exception {
    long faults = Long.parseLong(args[0]);
    Vertx vertx = Vertx.vertx();
    Context context = vertx.getOrCreateContext();
    AtomicLong handled = new AtomicLong();
    run(context, Math.min(faults, 10_000), handled); // warm up
    long before = usedAfterGc();
    handled.set(0);
    long start = System.nanoTime();
    run(context, faults, handled);
    double seconds = (System.nanoTime() - start) / 1e9;
    long after = usedAfterGc();
    if (handled.get() != faults) {
      throw new IllegalStateException("handled " + handled.get() + " of " + faults + " faults");
    }
    Results.print("memory", "faults", faults, "before_mb", before / 1048576.0, "after_mb", after / 1048576.0,
      "growth_mb", (after - before) / 1048576.0, "faults_per_s", faults / seconds);
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private static void run(Context context, long faults, AtomicLong handled) throws Exception {
    for (long done = 0; done < faults; done += BATCH) {
      long count = Math.min(BATCH, faults - done);
      Promise<Void> batch = Promise.promise();
      context.runOnContext(v -> {
        for (long i = 0; i < count; i++) {
          Domain domain = Domain.create();
          domain.errorHandler(error -> handled.incrementAndGet());
          domain.run(() -> {
            throw new IllegalStateException("fault");
          });
        }
        batch.complete();
      });
      batch.future().await(60, TimeUnit.SECONDS);
    }
  }

  private static long usedAfterGc() throws InterruptedException {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100); // let the collector and finalization settle between the forced collections
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
