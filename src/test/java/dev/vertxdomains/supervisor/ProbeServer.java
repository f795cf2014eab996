package dev.vertxdomains.supervisor;

import dev.vertxdomains.supervisor.spi.Generation;
import dev.vertxdomains.web.HttpDomains;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerRequest;

import java.util.ArrayList;
import java.util.List;

/**
 * A test server whose requests the test controls: {@code GET /hold} announces itself on {@link #HELD} and is answered
 * only when the test publishes on {@link #RELEASE}; {@code GET /crash} throws; {@code GET /} answers at once. No
 * test has to guess with a sleep when a request is in flight.
 */
public class ProbeServer extends VerticleBase {

  static final String HELD = "probe.held";
  static final String RELEASE = "probe.release";

  private final List<HttpServerRequest> held = new ArrayList<>();

  @Override
  public Future<?> start() {
    vertx.eventBus().consumer(RELEASE, msg -> {
      held.forEach(request -> request.response().end("released"));
      held.clear();
    });
    int port = config().getInteger("http.port");
    return HttpDomains.serve(vertx.createHttpServer(), this::handle).listen(port, "127.0.0.1");
  }

  private void handle(HttpServerRequest request) {
    switch (request.path()) {
      case "/hold" -> {
        held.add(request);
        vertx.eventBus().publish(HELD, Generation.current().workerId());
      }
      case "/crash" -> throw new IllegalStateException("GET /crash: the handler failed");
      default -> request.response().end("ok");
    }
  }
}
