package dev.vertxdomains.testing;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;

import java.util.concurrent.atomic.AtomicInteger;

/** A Vert.x whose event-bus metrics count the consumers registered and unregistered at one address. */
public final class RegistrationCounts {

  /** Consumers registered at the address so far. */
  public final AtomicInteger registered = new AtomicInteger();
  /** Consumers unregistered from the address so far. */
  public final AtomicInteger unregistered = new AtomicInteger();
  /** The Vert.x that counts them; the caller closes it. */
  public final Vertx vertx;

  /**
   * Starts a Vert.x counting the registrations at {@code address}.
   *
   * @param address the address
   */
  public RegistrationCounts(String address) {
    VertxMetricsFactory metrics = options -> new VertxMetrics() {
      @Override
      public EventBusMetrics<?> createEventBusMetrics() {
        return new EventBusMetrics<String>() {
          @Override
          public String handlerRegistered(String where) {
            if (address.equals(where)) {
              registered.incrementAndGet();
            }
            return where;
          }

          @Override
          public void handlerUnregistered(String where) {
            if (address.equals(where)) {
              unregistered.incrementAndGet();
            }
          }
        };
      }
    };
    vertx = Vertx.builder().with(new VertxOptions().setMetricsOptions(new MetricsOptions().setEnabled(true)))
      .withMetrics(metrics).build();
  }
}
