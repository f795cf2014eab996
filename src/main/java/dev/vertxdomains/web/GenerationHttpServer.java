package dev.vertxdomains.web;

import dev.vertxdomains.supervisor.spi.Drain;
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
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.core.net.TrafficShapingOptions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The {@link HttpServer} a supervised generation gets from {@link HttpDomains#serve}: it holds the generation's
 * handlers, and listening registers them with the slot's listener for that address ({@link SlotHttpServer}), which
 * listens once for the whole life of the slot (with the server the first generation created). Closing it only
 * unregisters this generation; the socket and the connections stay with the slot. It implements every method of
 * {@code HttpServer} on every Vert.x line, including 5.1's {@code shutdown(Duration)}.
 */
final class GenerationHttpServer implements HttpServer {

  private static final int MIN_SWEEP = 64;

  private final Generation worker;
  /** The server the application created: the slot's listener if this generation is the one that listens. */
  private final HttpServer created;
  /** Requests in flight, with the time they arrived (epoch ms); guarded by itself. */
  private final List<Open> open = new ArrayList<>();
  private final Set<ServerWebSocket> sockets = ConcurrentHashMap.newKeySet();
  private volatile Handler<HttpServerRequest> requestHandler;
  private volatile Handler<HttpServerRequest> invalidRequestHandler;
  private volatile Handler<ServerWebSocket> webSocketHandler;
  private volatile Handler<ServerWebSocketHandshake> webSocketHandshakeHandler;
  private volatile Handler<HttpConnection> connectionHandler;
  private volatile Handler<Throwable> exceptionHandler;
  private volatile SlotHttpServer slotServer;
  private int sweepAt = MIN_SWEEP;

  GenerationHttpServer(Generation worker, HttpServer created) {
    this.worker = worker;
    this.created = created;
  }

  Generation worker() {
    return worker;
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Called by the slot server on a duplicate of this generation's context

  /** A request created on this generation's context. */
  void handle(HttpServerRequest request) {
    track(request);
    requestHandler.handle(request);
  }

  /**
   * A request created elsewhere (held while no generation was ready, or pipelined behind a request of the previous
   * generation): it runs here, and its request context carries the same domain, so errors of its body callbacks
   * reach the request's domain too.
   */
  void handleHandedOver(HttpServerRequest request) {
    track(request);
    request.resume();
    // The request's domain also takes its request's own context (Domain.add(request) puts it there).
    requestHandler.handle(request);
  }

  void handleInvalid(HttpServerRequest request) {
    Handler<HttpServerRequest> handler = invalidRequestHandler;
    (handler != null ? handler : HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER).handle(request);
  }

  void handleWebSocket(ServerWebSocket socket) {
    Handler<ServerWebSocket> handler = webSocketHandler;
    if (handler == null) {
      socket.close((short) 1003);
      return;
    }
    sockets.add(socket);
    handler.handle(socket);
  }

  void handleWebSocketHandshake(ServerWebSocketHandshake handshake) {
    Handler<ServerWebSocketHandshake> handler = webSocketHandshakeHandler;
    if (handler == null) {
      handshake.accept();
    } else {
      handler.handle(handshake);
    }
  }

  Handler<HttpConnection> connectionHandlerOrNull() {
    return connectionHandler;
  }

  Handler<Throwable> exceptionHandlerOrNull() {
    return exceptionHandler;
  }

  boolean hasWebSocketHandlers() {
    return webSocketHandler != null || webSocketHandshakeHandler != null;
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Requests in flight, for the drain. Responses have no multi-listener end event (vertx-web takes the response's
  // end and close handlers), so finished requests are swept: on every doubling of the set, and while draining.

  /** A request in flight and when it arrived. */
  private record Open(HttpServerRequest request, long arrived) {
  }

  private void track(HttpServerRequest request) {
    // A list, not a set: no identity hash per request (measured: a concurrent set cost ~2.6 % of the CPU under load).
    synchronized (open) {
      open.add(new Open(request, System.currentTimeMillis()));
      if (open.size() >= sweepAt) {
        sweepRequests();
      }
    }
  }

  /** Drops the finished requests; call holding {@link #open}. */
  private void sweepRequests() {
    open.removeIf(entry -> finished(entry.request));
    sweepAt = Math.max(MIN_SWEEP, open.size() * 2);
  }

  private static boolean finished(HttpServerRequest request) {
    return request.response().ended() || request.response().closed();
  }

  /** Sweeps; whether nothing is left in flight (requests and WebSockets). */
  private boolean sweptEmpty() {
    sockets.removeIf(ServerWebSocket::isClosed);
    synchronized (open) {
      sweepRequests();
      return open.isEmpty() && sockets.isEmpty();
    }
  }

  /** Removes and returns the requests in flight for which {@code which} holds. */
  private List<HttpServerRequest> take(java.util.function.Predicate<Open> which) {
    List<HttpServerRequest> taken = new ArrayList<>();
    synchronized (open) {
      open.removeIf(entry -> {
        if (which.test(entry)) {
          taken.add(entry.request);
          return true;
        }
        return false;
      });
    }
    return taken;
  }

  /** The generation's drain: wait for its requests and WebSockets; at the deadline answer 503 and close 1001. */
  private Future<?> drain(Drain drain) {
    Promise<Void> done = Promise.promise();
    Vertx vertx = worker.context().owner();
    if (sweptEmpty()) {
      done.complete();
    } else {
      long timer = vertx.setPeriodic(5, id -> {
        if (sweptEmpty()) {
          vertx.cancelTimer(id);
          done.tryComplete();
        }
      });
      if (drain.expired() != null) {
        drain.expired().onComplete(v -> {
          vertx.cancelTimer(timer);
          for (HttpServerRequest request : take(entry -> true)) {
            HttpDomains.answer(request, 503, "Service Unavailable\n", 0);
          }
          for (ServerWebSocket socket : sockets) {
            socket.close((short) 1001, "going away");
          }
          done.tryComplete();
        });
      }
    }
    return done.future().onComplete(v -> unregister());
  }

  /** The per-request deadline ({@code requestTimeoutMs}): checked for every request in flight a few times per period. */
  private void watchDeadlines(long timeoutMs) {
    Vertx vertx = worker.context().owner();
    long period = Math.max(10, Math.min(timeoutMs / 4, 1_000));
    vertx.setPeriodic(period, id -> {
      long now = System.currentTimeMillis();
      for (HttpServerRequest request : take(entry -> now - entry.arrived >= timeoutMs && !finished(entry.request))) {
        HttpDomains.timedOut(request, timeoutMs);
      }
    });
  }

  private void unregister() {
    SlotHttpServer server = slotServer;
    if (server != null) {
      server.unregister(this);
    }
  }

  // ----------------------------------------------------------------------------------------------------------------
  // HttpServer

  @Override
  public HttpServer requestHandler(Handler<HttpServerRequest> handler) {
    requestHandler = handler;
    return this;
  }

  @Override
  public Handler<HttpServerRequest> requestHandler() {
    return requestHandler;
  }

  @Override
  public HttpServer invalidRequestHandler(Handler<HttpServerRequest> handler) {
    invalidRequestHandler = handler;
    return this;
  }

  @Override
  public HttpServer connectionHandler(Handler<HttpConnection> handler) {
    connectionHandler = handler;
    return this;
  }

  @Override
  public HttpServer webSocketHandshakeHandler(Handler<ServerWebSocketHandshake> handler) {
    webSocketHandshakeHandler = handler;
    return this;
  }

  @Override
  public HttpServer exceptionHandler(Handler<Throwable> handler) {
    exceptionHandler = handler;
    return this;
  }

  @Override
  public HttpServer webSocketHandler(Handler<ServerWebSocket> handler) {
    webSocketHandler = handler;
    return this;
  }

  @Override
  public Handler<ServerWebSocket> webSocketHandler() {
    return webSocketHandler;
  }

  @Override
  public Future<Boolean> updateSSLOptions(ServerSSLOptions options, boolean force) {
    SlotHttpServer server = slotServer;
    return server == null ? Future.failedFuture("not listening") : server.server().updateSSLOptions(options, force);
  }

  @Override
  public Future<Boolean> updateTrafficShapingOptions(TrafficShapingOptions options) {
    SlotHttpServer server = slotServer;
    return server == null ? Future.failedFuture("not listening") : server.server().updateTrafficShapingOptions(options);
  }

  /**
   * Listens on the address of the server's own options, through the slot's listener for this generation's
   * {@code n}-th {@code listen()} (see {@link SlotHttpServer.Key}).
   */
  @Override
  public Future<HttpServer> listen() {
    return listen(SlotHttpServer.Key.configured(nextConfiguredListen(worker)));
  }

  @Override
  public Future<HttpServer> listen(SocketAddress address) {
    return listen(SlotHttpServer.Key.of(java.util.Objects.requireNonNull(address, "address")));
  }

  private Future<HttpServer> listen(SlotHttpServer.Key key) {
    if (requestHandler == null && webSocketHandler == null && webSocketHandshakeHandler == null) {
      throw new IllegalStateException("Set request or WebSocket handler first");
    }
    if (slotServer != null) {
      throw new IllegalStateException("already listening");
    }
    SlotHttpServer server = worker.slot().resource(key, scope ->
      new SlotHttpServer(scope, worker.options().drainIdleMs(), hasWebSocketHandlers()));
    slotServer = server;
    worker.onDrain(this::drain);
    server.register(this);
    long timeout = worker.options().requestTimeoutMs();
    if (timeout > 0) {
      // A periodic timer of the generation's own: it ends when the generation is undeployed.
      worker.context().runOnContext(v -> watchDeadlines(timeout));
    }
    Context caller = Vertx.currentContext();
    Promise<HttpServer> result = Promise.promise();
    server.listen(key, created).onComplete(ar -> {
      Runnable complete = () -> {
        if (ar.succeeded()) {
          result.complete(this);
        } else {
          server.unregister(this);
          slotServer = null;
          result.fail(ar.cause());
        }
      };
      if (caller != null && caller != Vertx.currentContext()) {
        caller.runOnContext(v -> complete.run());
      } else {
        complete.run(); // already on the caller's context (a later generation: the slot listens already)
      }
    });
    return result.future();
  }

  /** How many {@code listen()} calls (without an address) each generation made: the key of its next one. */
  private static final Map<Generation, Integer> CONFIGURED_LISTENS = java.util.Collections.synchronizedMap(
    new java.util.WeakHashMap<>());

  private static int nextConfiguredListen(Generation worker) {
    synchronized (CONFIGURED_LISTENS) {
      int n = CONFIGURED_LISTENS.getOrDefault(worker, 0);
      CONFIGURED_LISTENS.put(worker, n + 1);
      return n;
    }
  }

  @Override
  public Future<Void> shutdown(long timeout, TimeUnit unit) {
    // The socket and its connections belong to the slot: this generation only stops taking new requests.
    unregister();
    return Future.succeededFuture();
  }

  /**
   * Vert.x 5.1's abstract {@code HttpServer.shutdown(Duration)}, to which 5.1's {@code close()}, {@code shutdown()}
   * and {@code shutdown(long, TimeUnit)} delegate; declared without {@code @Override} so that the same class file
   * serves 5.0, where the method does not exist.
   *
   * @param timeout ignored: the slot drains its connections
   * @return a completed future
   */
  public Future<Void> shutdown(Duration timeout) {
    return shutdown(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public int actualPort() {
    SlotHttpServer server = slotServer;
    return server == null ? 0 : server.server().actualPort();
  }

  @Override
  public boolean isMetricsEnabled() {
    SlotHttpServer server = slotServer;
    return server != null && server.server().isMetricsEnabled();
  }
}
