package dev.vertxdomains.bench;

import dev.vertxdomains.domain.Domain;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The cost of running a task in a domain, and of a domain-bound handler, against a plain {@code runOnContext}: each
 * invocation queues {@value #TASKS} tasks on one event loop and waits for the last, so the per-task figure includes
 * the hop; the difference between the variants is the domain's cost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DomainBenchmark {

  static final int TASKS = 1_000;

  private Vertx vertx;
  private Context context;
  private Domain domain;
  private Handler<Void> bound;
  private volatile CountDownLatch latch;
  private final Handler<Void> count = v -> latch.countDown();

  /** Starts Vert.x, one event-loop context and a domain on it. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    Promise<Domain> created = Promise.promise();
    context.runOnContext(v -> created.complete(Domain.create()));
    domain = created.future().await(10, TimeUnit.SECONDS);
    bound = domain.bind(count);
  }

  /** Closes Vert.x. */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  /** Baseline: {@code runOnContext}. */
  @Benchmark
  @OperationsPerInvocation(TASKS)
  public void plainRunOnContext() throws InterruptedException {
    latch = new CountDownLatch(TASKS);
    for (int i = 0; i < TASKS; i++) {
      context.runOnContext(count);
    }
    latch.await();
  }

  /** {@code runOnContext} whose task runs in a domain ({@code domain.run}). */
  @Benchmark
  @OperationsPerInvocation(TASKS)
  public void runInDomain() throws InterruptedException {
    latch = new CountDownLatch(TASKS);
    for (int i = 0; i < TASKS; i++) {
      context.runOnContext(v -> domain.run(() -> latch.countDown()));
    }
    latch.await();
  }

  /** {@code runOnContext} with a domain-bound handler ({@code domain.bind}). */
  @Benchmark
  @OperationsPerInvocation(TASKS)
  public void boundHandler() throws InterruptedException {
    latch = new CountDownLatch(TASKS);
    for (int i = 0; i < TASKS; i++) {
      context.runOnContext(bound);
    }
    latch.await();
  }
}
