package dev.vertxdomains.launcher;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.transport.Transport;

/** Reports a failed cluster join in one line, before Vert.x's launcher logs it with a trace and carries on. */
final class JoinReportingBuilder implements VertxBuilder {
  private final VertxBuilder delegate;

  JoinReportingBuilder(VertxBuilder delegate) {
    this.delegate = delegate;
  }

  @Override
  public VertxBuilder with(VertxOptions options) {
    delegate.with(options);
    return this;
  }

  @Override
  public VertxBuilder withMetrics(VertxMetricsFactory factory) {
    delegate.withMetrics(factory);
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
