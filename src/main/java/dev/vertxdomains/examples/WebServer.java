package dev.vertxdomains.examples;

import dev.vertxdomains.domain.Domain;
import dev.vertxdomains.web.HttpDomains;
import dev.vertxdomains.web.WebDomains;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Part 2 of the seeds, the Express server, on vertx-web: every request in its own domain, errors through the
 * router's failure handling, output that follows {@code Accept}.
 * <ul>
 *   <li>{@code GET /}: 200 {@code ok};</li>
 *   <li>{@code GET /error}: a timer throws, 500;</li>
 *   <li>{@code GET /crash}: the handler throws, 500;</li>
 *   <li>{@code GET /slow?ms=N}: 200 after N ms;</li>
 *   <li>{@code GET /crashy}: the seed's route with its own explicit domain, whose async throw it turns into
 *       {@code ctx.fail(500)}.</li>
 * </ul>
 * Errors answer in JSON, HTML or plain text following {@code Accept}, with the {@code X-Request-Id}, no details.
 * Config: {@code http.port} (default 8080), {@code http.host} (default 0.0.0.0).
 * Run: {@code java -jar target/vertx-domains.jar run supervised:dev.vertxdomains.examples.WebServer -instances 2}.
 */
public class WebServer extends VerticleBase {

  @Override
  public Future<?> start() {
    Router router = WebDomains.install(Router.router(vertx));
    router.get("/").handler(ctx -> ctx.response().end("ok"));
    router.get("/error").handler(ctx -> vertx.setTimer(1, id -> {
      throw new IllegalStateException("GET /error: a timer failed");
    }));
    router.get("/crash").handler(ctx -> {
      throw new IllegalStateException("GET /crash: the handler failed");
    });
    router.get("/slow").handler(ctx -> {
      long ms = Math.max(1, HelloServer.parseMillis(ctx.request().getParam("ms")));
      vertx.setTimer(ms, id -> ctx.response().end("ok"));
    });
    router.get("/crashy").handler(this::crashy);
    int port = config().getInteger("http.port", 8080);
    String host = config().getString("http.host", "0.0.0.0");
    return HttpDomains.serve(vertx.createHttpServer(), router).listen(port, host);
  }

  /** The seed's explicit domain: created in the route, its error handler answers the request. */
  private void crashy(RoutingContext ctx) {
    Domain domain = Domain.create();
    domain.errorHandler(error -> ctx.fail(500, error.cause()));
    domain.run(() -> vertx.setTimer(1, id -> {
      throw new IllegalStateException("oops");
    }));
  }
}
