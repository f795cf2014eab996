package dev.vertxdomains.web;

import dev.vertxdomains.supervisor.spi.Integrations;
import dev.vertxdomains.domain.Domain;
import dev.vertxdomains.domain.DomainError;
import dev.vertxdomains.supervisor.ErrorPolicy;
import dev.vertxdomains.supervisor.spi.Generation;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * One line that gives every request of a core Vert.x {@link HttpServer} its own {@link Domain}:
 * <pre>{@code
 * HttpDomains.serve(vertx.createHttpServer(), request -> ...).listen(8080);
 * }</pre>
 * The request's domain rides on the context Vert.x made for the request, with the request and response added to
 * it. An error anywhere in the request's work answers it with a 500 (once, no stack trace, the connection kept), and
 * then follows the error policy: {@link ErrorPolicy#RECYCLE} passes the error to the instance's supervisor, which
 * replaces the instance; {@link ErrorPolicy#CONTINUE} keeps it. The connection is closed only when it must be: the
 * response had already started (the stream is reset), or the request's body was not fully read (HTTP/1.x).
 * A client that goes away or sends a broken body is not the application's error: it is logged at DEBUG, answered
 * 400 when still possible, and recycles nothing.
 * <p>
 * <b>In a supervised instance</b> the listener belongs to the instance's slot, not to the instance: the server
 * returned here registers this instance's handlers with the slot's listener for that address, which lives as long as
 * the slot. The listener is the server the slot's first instance passed in, listening on the slot's context: it
 * keeps exactly the options it was created with (host, port, TLS, compression, everything); the servers later
 * instances pass in are never bound. When the instance is recycled, its replacement takes the next requests on the
 * same connections (each request runs on a duplicate of the context of the instance serving when it arrived), the
 * old one finishes its requests in flight, and at the kill timer what it still has is answered 503. Call
 * {@code listen}, {@code close} and {@code shutdown} on the returned server, never on the one passed in, and set
 * connection-level handlers ({@code connectionHandler}, {@code invalidRequestHandler}, {@code exceptionHandler},
 * {@code webSocketHandler}) on the returned server too; the WebSocket handler of the server passed in is carried
 * over. WebSocket support is fixed by the slot's first instance.
 */
public final class HttpDomains {

  private static final Logger LOG = LoggerFactory.getLogger(HttpDomains.class);

  private HttpDomains() {
  }

  /**
   * Sets {@code handler} as the server's request handler, every request in its own domain; in a supervised
   * instance, the returned server listens through the instance's slot (see above). Call it where the server is
   * created (in {@code start()}), and {@code listen} the returned server.
   *
   * @param server  the server, as made by {@code vertx.createHttpServer(options)}
   * @param handler the application (a {@code Router} works too)
   * @return the server to {@code listen}: {@code server} itself outside a supervised instance
   * @throws IllegalStateException in a supervised instance, when the running Vert.x lacks an internal the slot's
   *                               listener needs (the message names the Vert.x version and what is missing), which
   *                               fails the instance's start and so the deployment
   */
  public static HttpServer serve(HttpServer server, Handler<HttpServerRequest> handler) {
    Objects.requireNonNull(server, "server");
    Handler<HttpServerRequest> wrapped = handler(handler);
    Generation worker = Generation.current();
    if (worker == null) {
      return server.requestHandler(wrapped);
    }
    HttpInternals.requireAll();
    GenerationHttpServer generation = new GenerationHttpServer(worker, server);
    if (server.webSocketHandler() != null) {
      generation.webSocketHandler(server.webSocketHandler());
    }
    return generation.requestHandler(wrapped);
  }

  /**
   * Wraps a request handler so that every request runs in its own domain, answered 500 on error. Prefer
   * {@link #serve}, which also keeps the listener with a supervised instance's slot.
   *
   * @param handler the application
   * @return the wrapping handler
   */
  public static Handler<HttpServerRequest> handler(Handler<HttpServerRequest> handler) {
    Objects.requireNonNull(handler, "handler");
    return request -> {
      Domain domain = Domain.create().attach(Vertx.currentContext());
      domain.add(request);
      domain.add(request.response());
      domain.errorHandler(error -> onError(domain, request, error));
      handler.handle(request);
    };
  }

  private static void onError(Domain domain, HttpServerRequest request, DomainError error) {
    if (isClientError(request, error)) {
      LOG.debug("{} {}: the client's connection failed ({}); nothing to recycle", request.method(), request.path(),
        error.cause().toString());
      answer(request, 400, "Bad Request\n", 0);
      return;
    }
    answer(request, 500, "Internal Server Error\n", 0);
    Integrations.afterAnswer(domain, error, request.method() + " " + request.path());
  }

  /**
   * A request not answered within {@code requestTimeoutMs}: 503 now, then a {@link RequestTimeoutException} to its
   * domain, on the request's context, which follows the error policy.
   */
  static void timedOut(HttpServerRequest request, long timeoutMs) {
    answer(request, 503, "Service Unavailable\n", 0);
    Context context = HttpInternals.context(request);
    if (context == null) {
      return;
    }
    context.runOnContext(v -> {
      Domain domain = Domain.active();
      if (domain != null && !domain.isTopLevel()) {
        domain.report(new RequestTimeoutException(request.method() + " " + request.path(), timeoutMs));
      }
    });
  }

  /**
   * An error the request or response stream itself raised (the connection closed or reset, a malformed body): the
   * client's doing, not the application's, which throws or reports its errors.
   */
  static boolean isClientError(HttpServerRequest request, DomainError error) {
    Object emitter = error.emitter();
    return ClientErrors.isClients(error.cause())
      || !error.thrown() && emitter != null && (emitter == request || emitter == request.response());
  }

  /**
   * Answers a request with {@code status}, at most once and without a stack trace. The connection stays open
   * unless it must close: a response already started is reset, and on HTTP/1.x a request whose body was not fully
   * read gets {@code Connection: close} (its remaining bytes cannot be told from the next request). Never sends
   * connection-specific headers over HTTP/2.
   *
   * @param retryAfterSeconds a {@code Retry-After} value, or 0 for none
   */
  static void answer(HttpServerRequest request, int status, String body, long retryAfterSeconds) {
    HttpServerResponse response = request.response();
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      response.reset();
      return;
    }
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
    if (retryAfterSeconds > 0) {
      response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds));
    }
    boolean http1 = request.version() != HttpVersion.HTTP_2;
    boolean close = http1 && !request.isEnded() && hasBody(request);
    if (!close) {
      response.end(body);
      return;
    }
    response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    response.end(body).onComplete(ar -> request.connection().close());
  }

  private static boolean hasBody(HttpServerRequest request) {
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null || (length != null && !length.trim().equals("0"));
  }
}
