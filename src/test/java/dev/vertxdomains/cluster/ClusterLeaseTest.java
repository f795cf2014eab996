package dev.vertxdomains.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Leases between three real clustered Vert.x nodes (quorum 2) in this JVM, over the event bus. */
class ClusterLeaseTest {

  private LocalCluster cluster;

  @AfterEach
  void close() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @DisplayName("one holder at a time: a second node gets the lease when the first releases it, and at once when its "
    + "holder's process is gone")
  void oneHolderAtATime() throws Exception {
    ClusterClaims[] claims = new ClusterClaims[3];
    cluster = LocalCluster.start(3, true, (i, vertx, manager) -> claims[i] = ClusterClaims.install(vertx, manager, 2));
    ClusterLease first = claims[0].lease();
    ClusterLease second = claims[1].lease();
    ClusterLease third = claims[2].lease();

    first.acquire("svc").await(10, TimeUnit.SECONDS);
    assertTrue(first.serving("svc"));
    Future<Void> waiting = second.acquire("svc");
    // Longer than a whole term and margin (2.75 s with the 5 s bound): the holder renews, so nobody else gets it.
    elapse(cluster.nodes.get(1), 4_000);
    assertFalse(waiting.isComplete(), "a second holder while the first renews: " + waiting);
    assertTrue(first.serving("svc"), "the holder kept its lease");

    first.release("svc");
    waiting.await(5, TimeUnit.SECONDS);
    assertTrue(second.serving("svc"));
    assertFalse(first.serving("svc"));

    // The holder's process goes (its Hazelcast port closes, as after kill -9): the others need not wait out its term.
    Future<Void> taking = third.acquire("svc");
    cluster.managers.get(1).getHazelcastInstance().getLifecycleService().terminate();
    taking.await(2, TimeUnit.SECONDS);
    assertTrue(third.serving("svc"));
    // The node whose cluster membership ended (its process lives on) takes no work under the lease it had.
    awaitTrue(() -> !second.serving("svc"), 2_000, "the node that left the cluster stops serving");
  }

  @Test
  @DisplayName("a node that has just started promises nothing for a promise's length: it may have forgotten one")
  void aStartingNodePromisesNothing() throws Exception {
    ClusterClaims[] claims = new ClusterClaims[3];
    cluster = LocalCluster.start(3, true, (i, vertx, manager) -> claims[i] = ClusterClaims.install(vertx, manager, 3));
    // A quorum of 3 needs every node's vote, the youngest's too: not before it has run for a term and a margin.
    long asked = System.nanoTime();
    claims[0].lease().acquire("svc").await(10, TimeUnit.SECONDS);
    assertTrue(claims[0].lease().serving("svc"));
    long youngest = claims[2].lease().startedAt();
    assertTrue(System.nanoTime() - youngest >= LeaseBook.Terms.forBound(5_000).promiseNanos(),
      "granted only once the youngest node had run a promise's length (asked " + (asked - youngest) / 1_000_000
        + " ms after it started)");
  }

  /** Polls a condition (the watch thread's work has no event to wait on) for at most {@code millis}. */
  private static void awaitTrue(java.util.function.BooleanSupplier condition, long millis, String what)
    throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(what + ": not within " + millis + " ms");
      }
      Thread.sleep(10);
    }
  }

  /** Completes after {@code millis} on a Vert.x timer: for an assertion that something did not happen meanwhile. */
  private static void elapse(Vertx vertx, long millis) throws Exception {
    Promise<Void> elapsed = Promise.promise();
    vertx.setTimer(millis, id -> elapsed.complete());
    elapsed.future().await(millis + 5_000, TimeUnit.MILLISECONDS);
  }
}
