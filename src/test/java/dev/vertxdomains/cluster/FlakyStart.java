package dev.vertxdomains.cluster;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * A service that cannot start on a node run with {@code -Dflaky.fail=true} (think: a missing local resource), and
 * elsewhere answers {@code config.address} with the node's {@code -Dnode.name}.
 */
public class FlakyStart extends VerticleBase {

  @Override
  public Future<?> start() {
    if (Boolean.getBoolean("flaky.fail")) {
      return Future.failedFuture(new IllegalStateException("FlakyStart cannot start on "
        + System.getProperty("node.name")));
    }
    String name = System.getProperty("node.name", "?");
    return vertx.eventBus().<String>consumer(config().getString("address"), msg -> msg.reply(name)).completion();
  }
}
