package dev.vertxdomains.domain;

import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.spi.VertxServiceProvider;
import io.vertx.core.spi.context.storage.ContextLocal;

/**
 * Registers the context-local keys that carry a {@link Domain} on a Vert.x context.
 * <p>
 * Vert.x sizes a context's locals when the {@code Vertx} instance is built, so the keys must exist before then.
 * This provider is listed in {@code META-INF/services/io.vertx.core.spi.VertxServiceProvider}: Vert.x loads it
 * while it builds every instance, which runs the static registration below first. Users never call it.
 */
public final class DomainServiceProvider implements VertxServiceProvider {

  /** The domain a duplicated context belongs to. */
  static final ContextLocal<Domain> DOMAIN = ContextLocal.registerLocal(Domain.class);

  /** The added emitter whose handlers run on a duplicated context (see {@link Domain#add}), with its domain. */
  static final ContextLocal<EmitterBinding> EMITTER = ContextLocal.registerLocal(EmitterBinding.class);

  /** The error router installed on a root (verticle instance) context. */
  static final ContextLocal<ErrorRouter> ROUTER = ContextLocal.registerLocal(ErrorRouter.class);

  /** Creates the provider; called by Vert.x through {@link java.util.ServiceLoader}. */
  public DomainServiceProvider() {
  }

  @Override
  public void init(VertxBootstrap builder) {
    // Registration happened when this class was initialised, before Vert.x sized its context locals.
  }
}
