package dev.vertxdomains.launcher;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.transport.Transport;

/**
 * The launchers' Vert.x builder: reports a failed cluster join in one line (before Vert.x's launcher logs it with a
 * trace and carries on), and takes a metrics factory only when metrics are enabled. Vert.x's legacy launcher hands
 * any {@code VertxMetricsFactory} on the class path to the builder, which then creates metrics even when they are
 * disabled: with vertx-micrometer-metrics in the fat jar, every process would pay for metrics nobody asked for.
 */
final class LauncherVertxBuilder implements VertxBuilder {
  private final VertxBuilder delegate;
  private final VertxOptions options;

  LauncherVertxBuilder(VertxBuilder delegate, VertxOptions options) {
    this.delegate = delegate;
    this.options = options;
  }

  @Override
  public VertxBuilder with(VertxOptions options) {
    delegate.with(options);
    return this;
  }

  @Override
  public VertxBuilder withMetrics(VertxMetricsFactory factory) {
    if (options.getMetricsOptions() != null && options.getMetricsOptions().isEnabled()) {
      delegate.withMetrics(factory);
    }
    return this;
  }

  @Override
  public VertxBuilder withTracer(VertxTracerFactory factory) {
    delegate.withTracer(factory);
    return this;
  }

  @Override
  public VertxBuilder withTransport(Transport transport) {
    delegate.withTransport(transport);
    return this;
  }

  @Override
  public VertxBuilder withClusterManager(ClusterManager clusterManager) {
    delegate.withClusterManager(clusterManager);
    return this;
  }

  @Override
  public Vertx build() {
    return delegate.build();
  }

  @Override
  public Future<Vertx> buildClustered() {
    Future<Vertx> result;
    try {
      result = delegate.buildClustered();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.onFailure(ProcessServices::joinFailed);
  }
}
