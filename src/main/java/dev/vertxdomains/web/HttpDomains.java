package dev.vertxdomains.web;

import dev.vertxdomains.domain.Domain;
import dev.vertxdomains.domain.DomainError;
import dev.vertxdomains.supervisor.ErrorPolicy;
import dev.vertxdomains.supervisor.Worker;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * One line that gives every request of a core Vert.x {@link HttpServer} its own {@link Domain}:
 * <pre>{@code
 * HttpDomains.serve(vertx.createHttpServer(), request -> ...).listen(8080);
 * }</pre>
 * The request's domain rides on the context Vert.x made for the request, with the request and response added to
 * it. An error anywhere in the request's work answers it with a 500 (once, no stack trace; if the response had
 * already started, the connection is closed instead, the only way left to signal the failure), and then follows the
 * error policy: {@link ErrorPolicy#RECYCLE} passes the error to the instance's supervisor, which replaces and drains
 * the instance; {@link ErrorPolicy#CONTINUE} keeps it.
 * <p>
 * In a supervised instance the server also drains gracefully: it leaves the shared port at once, every response
 * written while draining carries {@code Connection: close} and its connection closes after it, in-flight requests
 * finish, and keep-alive connections left idle are closed after {@code drainIdleMs}.
 */
public final class HttpDomains {

  private static final Logger LOG = LoggerFactory.getLogger(HttpDomains.class);

  private HttpDomains() {
  }

  /**
   * Sets {@code handler} as the server's request handler, every request in its own domain, and makes the server
   * drain with its supervised instance. Call it where the server is created (in {@code start()}).
   *
   * @param server  the server
   * @param handler the application (a {@code Router} works too)
   * @return the server, to {@code listen}
   */
  public static HttpServer serve(HttpServer server, Handler<HttpServerRequest> handler) {
    Objects.requireNonNull(server, "server");
    Worker worker = Worker.current();
    if (worker != null) {
      Vertx vertx = Vertx.currentContext().owner();
      HttpServerDrain drain = new HttpServerDrain(server, vertx, worker.options().drainIdleMs());
      server.connectionHandler(drain::track);
      worker.onDrain(drain::drain);
    }
    return server.requestHandler(handler(handler));
  }

  /**
   * Wraps a request handler so that every request runs in its own domain, answered 500 on error. Prefer
   * {@link #serve}, which also drains the server with its instance.
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
    ErrorPolicy policy = ErrorPolicy.current();
    answer(request.response(), request.connection(), policy == ErrorPolicy.RECYCLE && Worker.current() != null);
    if (policy == ErrorPolicy.RECYCLE) {
      domain.escalate(error);
    } else {
      LOG.warn("Request {} {} failed in {} (instance kept, policy continue)", request.method(), request.path(),
        domain.id(), error.cause());
    }
  }

  /** Answers a failed request 500, at most once; closes the connection if the response had already started. */
  static void answer(HttpServerResponse response, HttpConnection connection, boolean closeConnection) {
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      response.reset();
      return;
    }
    response.setStatusCode(500).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
    if (!closeConnection) {
      response.end("Internal Server Error\n");
      return;
    }
    // The instance is about to drain: tell the client, and (as RFC 9112 requires of a server sending it) close the
    // connection after the response instead of leaving it to a client that might reuse it.
    response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    response.end("Internal Server Error\n").onComplete(ar -> connection.close());
  }
}
