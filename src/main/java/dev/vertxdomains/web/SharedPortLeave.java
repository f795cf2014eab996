package dev.vertxdomains.web;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.impl.VertxEventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Method;
import java.util.concurrent.TimeUnit;

/**
 * Takes one HTTP server off a port it shares with other servers (other instances of the same verticle) without
 * dropping a connection that is being accepted at that moment.
 * <p>
 * Vert.x shares a port between servers through one acceptor and a balancer that first picks an event loop for a new
 * connection and then, on that event loop, picks a server handler registered for it. When the last server of an
 * event loop leaves ({@code HttpServer.shutdown}) between those two steps, Vert.x closes the freshly accepted
 * connection before reading it: the client sees "connection closed" for a request no server ever saw. Under
 * keep-alive load with recycling this hits a few connections per thousand recycles (measured: 1 to 8 per run of the
 * supervised load test).
 * <p>
 * The leave here closes that window: on the acceptor thread it first stops the balancer choosing this server's event
 * loop, waits for connections already sent to that event loop to be set up (they are served, and drained like all
 * others), and only then, again on the acceptor thread so that no new choice can interleave, restores the count and
 * runs the normal shutdown. Vert.x 5.0 has no public API for this; the private fields are read here and only here.
 * If they are not found (another Vert.x version), it logs once and falls back to the plain shutdown.
 */
final class SharedPortLeave {

  private static final Logger LOG = LoggerFactory.getLogger(SharedPortLeave.class);
  private static volatile boolean warned;
  /** Servers taken off their balancer while their loop is blocked: they leave with a plain shutdown. */
  private static final java.util.Set<HttpServer> PAUSED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private SharedPortLeave() {
  }

  /**
   * Leaves the shared port and starts Vert.x's graceful shutdown of {@code server} with the given grace period;
   * completes when that shutdown completes.
   */
  static Future<Void> shutdown(HttpServer server, long timeoutMillis) {
    Hooks hooks;
    try {
      hooks = Hooks.of(server);
    } catch (ReflectiveOperationException | RuntimeException e) {
      if (!warned) {
        warned = true;
        LOG.warn("Cannot reach the shared-port balancer of this Vert.x version ({}); servers leave with a plain "
          + "shutdown, which can drop a connection accepted at that instant", e.toString());
      }
      return server.shutdown(timeoutMillis, TimeUnit.MILLISECONDS);
    }
    if (hooks == null || PAUSED.contains(server)) {
      return server.shutdown(timeoutMillis, TimeUnit.MILLISECONDS);
    }
    Promise<Void> done = Promise.promise();
    hooks.acceptor.execute(() -> {
      int before = hooks.group.workerCount();
      hooks.group.removeWorker(hooks.loop);
      boolean lastOnLoop = hooks.group.workerCount() < before;
      if (!lastOnLoop) {
        // Other servers keep this event loop, so the acceptor keeps choosing it. Take this server's handler out on
        // the loop itself, where the balancer picks a handler for each new channel: no channel can be handed to
        // this server after that, so Vert.x's shutdown sees every connection it has (the snapshot race in facts).
        hooks.group.addWorker(hooks.loop);
        hooks.loop.execute(() -> {
          hooks.removeHandler();
          server.shutdown(timeoutMillis, TimeUnit.MILLISECONDS).onComplete(done);
        });
        return;
      }
      // The loop is no longer chosen. Let the connections already registered on it be set up (two hops: Netty
      // registers, then initialises, in queued tasks), then leave for real on the acceptor thread.
      hooks.loop.execute(() -> hooks.loop.execute(() -> hooks.acceptor.execute(() -> {
        hooks.group.addWorker(hooks.loop);
        hooks.removeHandler();
        server.shutdown(timeoutMillis, TimeUnit.MILLISECONDS).onComplete(done);
      })));
    });
    return done.future();
  }

  /**
   * Stops the port's balancer handing new connections to {@code server} (its event loop is blocked), or, with
   * {@code paused == false}, lets it take them again. Runs on the acceptor thread, never on the server's own loop.
   */
  static void pause(HttpServer server, boolean paused) {
    try {
      Hooks hooks = Hooks.of(server);
      if (hooks == null) {
        return;
      }
      hooks.acceptor.execute(() -> {
        if (paused && PAUSED.add(server)) {
          hooks.removeHandler();
        } else if (!paused && PAUSED.remove(server)) {
          hooks.addHandler();
        }
      });
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.debug("Could not {} a server on the balancer: {}", paused ? "pause" : "resume", e.toString());
    }
  }

  /** The private parts of Vert.x 5.0's shared server this needs. */
  private record Hooks(VertxEventLoopGroup group, EventLoop loop, EventExecutor acceptor, Object balancer,
                       Object handler, Method remove) {

    /** Puts this server's channel handler back on the balancer. */
    void addHandler() {
      try {
        Method add = balancer.getClass().getDeclaredMethod("addWorker", EventLoop.class, io.vertx.core.Handler.class);
        add.setAccessible(true);
        add.invoke(balancer, loop, handler);
      } catch (ReflectiveOperationException e) {
        LOG.debug("Could not put a server's handler back on the balancer: {}", e.toString());
      }
    }

    /** Takes this server's channel handler out of the balancer (Vert.x's shutdown then finds it gone). */
    void removeHandler() {
      try {
        remove.invoke(balancer, loop, handler);
      } catch (ReflectiveOperationException e) {
        LOG.debug("Could not take a server's handler off the balancer: {}", e.toString());
      }
    }

    /** Returns {@code null} when the server is not listening on a shared port. */
    static Hooks of(HttpServer server) throws ReflectiveOperationException {
      Object tcpServer = HttpInternals.field(server, "tcpServer");
      if (tcpServer == null) {
        return null;
      }
      Object actual = HttpInternals.field(tcpServer, "actualServer");
      EventLoop loop = (EventLoop) HttpInternals.field(tcpServer, "eventLoop");
      if (actual == null || loop == null) {
        return null;
      }
      Object balancer = HttpInternals.field(actual, "channelBalancer");
      Future<?> bound = (Future<?>) HttpInternals.field(actual, "bindFuture");
      if (balancer == null || bound == null || !bound.succeeded()) {
        return null;
      }
      Method workers = balancer.getClass().getDeclaredMethod("workers");
      workers.setAccessible(true);
      VertxEventLoopGroup group = (VertxEventLoopGroup) workers.invoke(balancer);
      Object handler = HttpInternals.field(tcpServer, "worker");
      Method remove = balancer.getClass().getDeclaredMethod("removeWorker", EventLoop.class, io.vertx.core.Handler.class);
      remove.setAccessible(true);
      Channel serverChannel = (Channel) bound.result();
      return new Hooks(group, loop, serverChannel.eventLoop(), balancer, handler, remove);
    }
  }
}
