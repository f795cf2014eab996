package dev.vertxdomains.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Blocking cluster reads asked for while one runs share it instead of each holding a worker thread. */
class SingleFlightTest {

  @Test
  @DisplayName("callers while a read runs share it; the next caller after it ends starts a new one")
  void sharesTheRunningRead() {
    SingleFlight<String> flight = new SingleFlight<>();
    AtomicInteger started = new AtomicInteger();
    Promise<String> first = Promise.promise();
    Future<String> a = flight.run(() -> {
      started.incrementAndGet();
      return first.future();
    });
    Future<String> b = flight.run(() -> {
      started.incrementAndGet();
      return Future.succeededFuture("second");
    });
    assertEquals(1, started.get(), "one read while the first runs");
    assertSame(a, b);
    first.complete("first");
    assertEquals("first", b.result());
    Future<String> c = flight.run(() -> {
      started.incrementAndGet();
      return Future.succeededFuture("third");
    });
    assertEquals(2, started.get());
    assertEquals("third", c.result());
  }

  @Test
  @DisplayName("a read that fails, or throws when started, ends its flight like one that succeeds")
  void failuresEndTheFlight() {
    SingleFlight<String> flight = new SingleFlight<>();
    Future<String> thrown = flight.run(() -> {
      throw new IllegalStateException("cannot start");
    });
    assertTrue(thrown.failed());
    assertEquals("next", flight.run(() -> Future.succeededFuture("next")).result());
  }
}
