package dev.vertxdomains.web;

import dev.vertxdomains.supervisor.spi.GenerationHandlers;
import dev.vertxdomains.supervisor.spi.SlotScope;
import dev.vertxdomains.supervisor.spi.Generation;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * The HTTP listener of one supervised worker slot for one address: the server the application created (so its own
 * options), listening on the slot's context once, for the whole life of the slot. It hands every request to the generation serving at the moment the
 * request arrives. Each connection creates its requests on a duplicate of the serving generation's context, so a
 * request, its body and response callbacks, and everything its handler starts (timers, clients, futures) belong to
 * that generation and are closed with it, while the connection itself stays. A recycle therefore closes no
 * connection; keep-alive and pipelined clients never notice it.
 * <p>
 * When the slot itself goes (undeploy, scale-down, shutdown) the server leaves its shared port and drains its
 * connections gracefully ({@link HttpServerDrain}).
 */
final class SlotHttpServer {

  private static final Logger LOG = LoggerFactory.getLogger(SlotHttpServer.class);

  /**
   * What identifies a slot's server: the address given to {@code listen}, or, for {@code listen()} (the address of
   * the server's own options), the how-manieth such listen of its generation (from 0). As with Vert.x's own shared
   * ports, the first server to listen is the listener, with its options; later generations of the same verticle make
   * the same servers in the same order.
   */
  record Key(SocketAddress address, int configured) {

    /** The key of {@code listen(address)}. */
    static Key of(SocketAddress address) {
      return new Key(address, -1);
    }

    /** The key of the {@code n}-th {@code listen()} of a generation. */
    static Key configured(int n) {
      return new Key(null, n);
    }
  }

  private final SlotScope scope;
  private final long drainIdleMs;
  private final boolean webSockets;
  private final GenerationHandlers<GenerationHttpServer> generations;
  private final Supplier<Context> requestContexts;
  private volatile HttpServer server;
  private volatile HttpServerDrain connectionDrain;
  private Future<HttpServer> listening;

  SlotHttpServer(SlotScope scope, long drainIdleMs, boolean webSockets) {
    this.scope = scope;
    this.drainIdleMs = drainIdleMs;
    this.webSockets = webSockets;
    this.generations = new GenerationHandlers<>(scope);
    Context home = scope.context();
    this.requestContexts = () -> {
      Generation serving = scope.serving();
      return HttpInternals.duplicate(serving != null ? serving.context() : home);
    };
  }

  HttpServer server() {
    return server;
  }

  void register(GenerationHttpServer generation) {
    generations.register(generation.worker(), generation);
  }

  void unregister(GenerationHttpServer generation) {
    generations.unregister(generation.worker(), generation);
  }

  /**
   * Listens once, on the slot's context, with the server the calling generation created (so with the application's
   * own options: address, TLS, compression, everything); later calls (later generations) get the same result and
   * their servers are never used. After a failed listen, the next generation's server is tried.
   *
   * @param key     the address to listen on, or the server's own options' address
   * @param created the server the generation created
   */
  synchronized Future<HttpServer> listen(Key key, HttpServer created) {
    if (listening != null) {
      return listening;
    }
    Promise<HttpServer> result = Promise.promise();
    listening = result.future();
    Context home = scope.context();
    home.runOnContext(v -> {
      Vertx vertx = home.owner();
      created.requestHandler(this::request)
        .invalidRequestHandler(this::invalidRequest)
        .connectionHandler(this::connection)
        .exceptionHandler(this::exception);
      if (webSockets) {
        created.webSocketHandler(this::webSocket).webSocketHandshakeHandler(this::webSocketHandshake);
      }
      HttpServerDrain drain = new HttpServerDrain(created, vertx, drainIdleMs);
      connectionDrain = drain;
      SocketAddress address = key.address();
      Future<HttpServer> bound = address != null ? created.listen(address) : created.listen();
      if (joinsStuckSlot(key)) {
        // Vert.x joins this server to the stuck slot's listener at once, but completes the listen on that slot's
        // blocked loop: the port is bound already, so serve now.
        listening(created, drain);
        result.complete(created);
        bound.onFailure(err -> LOG.warn("A stand-in's listener on {} failed: {}", address != null ? address
          : "its configured address", err.toString()));
        return;
      }
      bound.onComplete(ar -> {
        if (ar.succeeded()) {
          listening(created, drain);
          result.complete(created);
        } else {
          synchronized (this) {
            listening = null;
          }
          result.fail(ar.cause());
        }
      });
    });
    return result.future();
  }

  private void listening(HttpServer created, HttpServerDrain drain) {
    server = created;
    scope.onClose(drain::drain);
    // A blocked loop would hold every connection the balancer gives it: stop taking them until it runs.
    scope.onStuck(stuck -> SharedPortLeave.pause(created, stuck));
  }

  /** Whether this slot stands in for a stuck slot that listens with the same key (so the port is bound). */
  private boolean joinsStuckSlot(Key key) {
    SlotScope stuck = scope.standsInFor();
    SlotHttpServer theirs = stuck == null ? null : stuck.resource(key, absent -> null);
    return theirs != null && theirs.server() != null;
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Dispatch, on the request's context

  private void request(HttpServerRequest request) {
    GenerationHttpServer generation = generations.current();
    if (generation != null) {
      generation.handle(request);
      return;
    }
    // Created while no generation was ready, or (pipelined) under a generation replaced since: hand it over.
    request.pause();
    generations.dispatch(now -> now.handleHandedOver(request),
      retryAfter -> HttpDomains.answer(request, 503, "Service Unavailable\n", retryAfter));
  }

  private void invalidRequest(HttpServerRequest request) {
    GenerationHttpServer generation = generations.current();
    if (generation != null) {
      generation.handleInvalid(request);
    } else {
      HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
    }
  }

  private void webSocket(ServerWebSocket socket) {
    GenerationHttpServer generation = generations.current();
    if (generation != null) {
      generation.handleWebSocket(socket);
      return;
    }
    socket.pause();
    generations.dispatch(now -> {
      socket.resume();
      now.handleWebSocket(socket);
    }, retryAfter -> socket.close((short) 1013, "try again later"));
  }

  private void webSocketHandshake(ServerWebSocketHandshake handshake) {
    GenerationHttpServer generation = generations.current();
    if (generation != null) {
      generation.handleWebSocketHandshake(handshake);
    } else {
      handshake.accept();
    }
  }

  private void connection(HttpConnection connection) {
    HttpInternals.createRequestsOn(connection, requestContexts);
    HttpServerDrain drain = connectionDrain;
    if (drain != null) {
      drain.track(connection);
    }
    GenerationHttpServer generation = generations.serving();
    Handler<HttpConnection> handler = generation == null ? null : generation.connectionHandlerOrNull();
    if (handler != null) {
      scope.dispatch(worker -> handler.handle(connection), retryAfter -> { });
    }
  }

  private void exception(Throwable error) {
    ClientErrors.mark(error);
    GenerationHttpServer generation = generations.serving();
    Handler<Throwable> handler = generation == null ? null : generation.exceptionHandlerOrNull();
    if (handler != null) {
      scope.dispatch(worker -> handler.handle(error), retryAfter -> { });
    } else {
      // A client's doing (a reset, a bad TLS handshake, garbage before a request): not the application's.
      LOG.debug("Connection error on slot {}: {}", scope.id(), error.toString());
    }
  }
}
