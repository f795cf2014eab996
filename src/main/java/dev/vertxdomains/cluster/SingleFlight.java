package dev.vertxdomains.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * At most one run of a blocking cluster-wide read at a time; whoever asks while it runs shares its result.
 * <p>
 * A read over every partition (a map's entry set, "is the cluster safe") waits for every migrating partition, about
 * 10 s after a member merged back on 2 cores. Each such read holds a thread of Vert.x's worker pool meanwhile, and
 * polled ones (the management endpoint, the periodic reconcile) used to pile up until the pool was full: measured in
 * {@code ClusterIT.repeatedFreezes}, 20 of 20 worker threads were waiting in them, and a failover's redeploy, which
 * needs a worker thread for its claim and its subscription, waited 10 s for one. Each caller applies its own timeout
 * to the shared result; the read itself is never started twice.
 *
 * @param <T> the read's result
 */
public final class SingleFlight<T> {

  private final AtomicReference<Future<T>> running = new AtomicReference<>();

  /**
   * The running read's result, or the result of one started now.
   *
   * @param start starts the read (called only when none runs)
   * @return the read's result, shared with every caller while it runs
   */
  public Future<T> run(Supplier<Future<T>> start) {
    while (true) {
      Future<T> current = running.get();
      if (current != null) {
        return current;
      }
      Promise<T> promise = Promise.promise();
      if (running.compareAndSet(null, promise.future())) {
        Future<T> started;
        try {
          started = start.get();
        } catch (RuntimeException e) {
          started = Future.failedFuture(e);
        }
        started.onComplete(ar -> {
          running.set(null);
          promise.handle(ar);
        });
        return promise.future();
      }
    }
  }
}
