package dev.vertxdomains.web;

import dev.vertxdomains.supervisor.spi.Drain;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The drain of one HTTP server of a supervised instance: its connections, and the drain participant. */
final class HttpServerDrain {

  /**
   * Vert.x closes the connections still open when its grace period ends; it ends this long after the kill deadline,
   * so that the generations answer their unfinished requests (503) before any connection is cut.
   */
  private static final long CLOSE_AFTER_DEADLINE_MS = 1_000;

  private final HttpServer server;
  private final Vertx vertx;
  private final long idleMillis;
  private final Map<HttpConnection, ConnectionDrain> connections = new ConcurrentHashMap<>();
  private volatile boolean draining;
  private volatile boolean closeIdleAtOnce;

  HttpServerDrain(HttpServer server, Vertx vertx, long idleMillis) {
    this.server = server;
    this.vertx = vertx;
    this.idleMillis = idleMillis;
  }

  boolean draining() {
    return draining;
  }

  boolean closeIdleAtOnce() {
    return closeIdleAtOnce;
  }

  void track(HttpConnection connection) {
    ConnectionDrain drain = ConnectionDrain.install(this, connection);
    if (drain != null) {
      connections.put(connection, drain);
      connection.closeHandler(v -> connections.remove(connection));
    }
  }

  /** The drain participant: leave the shared port, let each connection finish, close idle ones. */
  Future<?> drain(Drain request) {
    draining = true;
    // Idle keep-alive connections close once idle for idleMillis, not at once: a client that sends on one at the
    // instant it closes loses its request, and the longer a connection has been idle, the less likely that is.
    closeIdleAtOnce = idleMillis == 0;
    long period = Math.max(10, Math.min(idleMillis / 4, 250));
    long timer = closeIdleAtOnce ? -1 : vertx.setPeriodic(period, id -> closeIdle());
    // Leaves the balancer now; connections get the shutdown event, which ConnectionDrain turns into a graceful
    // drain; whatever is still open at the deadline is closed by Vert.x.
    Context context = vertx.getOrCreateContext();
    Promise<Void> done = Promise.promise();
    SharedPortLeave.shutdown(server, Math.max(1, request.remainingMillis()) + CLOSE_AFTER_DEADLINE_MS).onComplete(ar -> context.runOnContext(v -> {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      done.complete();
    }));
    return done.future();
  }

  private void closeIdle() {
    for (ConnectionDrain drain : connections.values()) {
      long idle = drain.idleMillis();
      if (idle >= idleMillis) {
        drain.close();
      }
    }
  }
}
