package dev.vertxdomains.examples;

import dev.vertxdomains.web.HttpDomains;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerRequest;

/**
 * Part 1 of the seed talk, a basic web server, on a core Vert.x {@code HttpServer} with a domain per request.
 * <ul>
 *   <li>{@code GET /} → 200 {@code ok}</li>
 *   <li>{@code GET /error} → a timer throws → 500</li>
 *   <li>{@code GET /crash} → the handler throws synchronously → 500</li>
 *   <li>{@code GET /slow?ms=N} → 200 {@code ok} after N ms</li>
 * </ul>
 * Config: {@code http.port} (default 8080), {@code http.host} (default 0.0.0.0).
 * Run: {@code java -jar target/vertx-domains.jar run supervised:dev.vertxdomains.examples.HelloServer -instances 2}.
 */
public class HelloServer extends VerticleBase {

  @Override
  public Future<?> start() {
    int port = config().getInteger("http.port", 8080);
    String host = config().getString("http.host", "0.0.0.0");
    return HttpDomains.serve(vertx.createHttpServer(), this::handle).listen(port, host);
  }

  private void handle(HttpServerRequest request) {
    switch (request.path()) {
      case "/" -> request.response().end("ok");
      case "/error" -> vertx.setTimer(1, id -> {
        throw new IllegalStateException("GET /error: a timer failed");
      });
      case "/crash" -> throw new IllegalStateException("GET /crash: the handler failed");
      case "/slow" -> {
        long ms = Math.max(1, parseMillis(request.getParam("ms")));
        vertx.setTimer(ms, id -> request.response().end("ok"));
      }
      default -> request.response().setStatusCode(404).end("not found\n");
    }
  }

  static long parseMillis(String value) {
    try {
      return value == null ? 1 : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return 1;
    }
  }
}
