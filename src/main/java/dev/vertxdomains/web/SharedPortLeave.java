package dev.vertxdomains.web;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServer;
import dev.vertxdomains.domain.VertxLine;
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
 * runs the normal shutdown. Vert.x has no public API for this; the private fields it needs are declared per Vert.x
 * line in {@link HttpInternals#SHARED_PORT}, checked when a supervised instance first serves (one WARN line if they
 * are missing), and read here and only here. Without them a server leaves with the plain shutdown.
 */
final class SharedPortLeave {

  private static final Logger LOG = LoggerFactory.getLogger(SharedPortLeave.class);
  /** Servers taken off their balancer while their loop is blocked: they leave with a plain shutdown. */
  private static final java.util.Set<HttpServer> PAUSED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private SharedPortLeave() {
  }

  /**
   * Leaves the shared port and starts Vert.x's graceful shutdown of {@code server} with the given grace period;
   * completes when that shutdown completes. {@code beforeShutdown} runs once the server is handed no new channel, just
   * before Vert.x's shutdown sends its event to the channels it has, in the same task.
   */
  static Future<Void> shutdown(HttpServer server, long timeoutMillis, Runnable beforeShutdown) {
    Hooks hooks = HttpInternals.SHARED_PORT.present() ? Hooks.tryOf(server) : null;
    if (hooks == null) {
      beforeShutdown.run();
      return server.shutdown(timeoutMillis, TimeUnit.MILLISECONDS);
    }
    Promise<Void> done = Promise.promise();
    if (!Hooks.LOOP_ALONE) {
      // 5.2: Vert.x's own shutdown takes the handler off the balancer (and closes the port only if it finds it
      // there); run it on the server's loop, where the balancer picks a handler for each new channel, so that no
      // channel is handed to this server after it. A paused server's handler goes back on first.
      boolean paused = PAUSED.remove(server);
      (paused ? hooks.acceptor : hooks.loop).execute(() -> {
        if (paused) {
          hooks.addHandler();
        }
        beforeShutdown.run();
        server.shutdown(timeoutMillis, TimeUnit.MILLISECONDS).onComplete(done);
      });
      return done.future();
    }
    if (PAUSED.contains(server)) {
      beforeShutdown.run();
      return server.shutdown(timeoutMillis, TimeUnit.MILLISECONDS);
    }
    hooks.acceptor.execute(() -> {
      if (!hooks.leaveLoop()) {
        // Other servers keep this event loop, so the acceptor keeps choosing it. Take this server's handler out on
        // the loop itself, where the balancer picks a handler for each new channel: no channel can be handed to
        // this server after that, so Vert.x's shutdown sees every connection it has (the snapshot race in facts).
        hooks.loop.execute(() -> {
          hooks.removeHandler();
          beforeShutdown.run();
          server.shutdown(timeoutMillis, TimeUnit.MILLISECONDS).onComplete(done);
        });
        return;
      }
      // The loop is no longer chosen. Let the connections already registered on it be set up (two hops: Netty
      // registers, then initialises, in queued tasks), then leave for real on the acceptor thread.
      hooks.loop.execute(() -> hooks.loop.execute(() -> hooks.acceptor.execute(() -> {
        hooks.rejoinLoop();
        hooks.removeHandler();
        beforeShutdown.run();
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
    if (!HttpInternals.SHARED_PORT.present()) {
      return; // warned at start-up: the stuck slot's listener keeps being handed connections
    }
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
      LOG.warn("Could not {} a server on the balancer: {}", paused ? "pause" : "resume", e.toString());
    }
  }

  /**
   * The private parts of Vert.x's shared server this needs: the same fields on every line from the TCP server on;
   * on 5.0 and 5.1 the acceptor's group of event loops can also take one loop out of its choice while its handlers
   * stay ({@code removeWorker(loop)}), which 5.2's copy-on-write balancer no longer has.
   */
  private record Hooks(Object group, EventLoop loop, EventExecutor acceptor, Object balancer, Object handler) {

    private static final boolean LOOP_ALONE = !VertxLine.running().atLeast(VertxLine.V5_2);

    /** On 5.0 and 5.1, takes this server's loop out of the acceptor's choice; whether it was the last on it. */
    boolean leaveLoop() {
      int before = (Integer) invoke(group, "workerCount");
      invoke(group, "removeWorker", loop);
      boolean last = (Integer) invoke(group, "workerCount") < before;
      if (!last) {
        invoke(group, "addWorker", loop);
      }
      return last;
    }

    /** Undoes {@link #leaveLoop} (the handler removal that follows takes the loop out for good). */
    void rejoinLoop() {
      invoke(group, "addWorker", loop);
    }

    /** Puts this server's channel handler back on the balancer. */
    void addHandler() {
      invoke(balancer, "addWorker", loop, handler);
    }

    /** Takes this server's channel handler out of the balancer (Vert.x's shutdown then finds it gone). */
    void removeHandler() {
      invoke(balancer, "removeWorker", loop, handler);
    }

    /** As {@link #of}, with a WARN line and {@code null} when the fields cannot be read after all. */
    static Hooks tryOf(HttpServer server) {
      try {
        return of(server);
      } catch (ReflectiveOperationException | RuntimeException e) {
        LOG.warn("Could not take a server off its shared port's balancer ({}); it leaves with a plain shutdown",
          e.toString());
        return null;
      }
    }

    /** Returns {@code null} when the server is not listening on a shared port. */
    static Hooks of(HttpServer server) throws ReflectiveOperationException {
      Object tcpServer = HttpInternals.tcpServer(server);
      if (tcpServer == null) {
        return null;
      }
      // Where this server's share of the port is: its handler and loop, and the port's balancer and bound channel.
      Object handler;
      Object port;
      if (LOOP_ALONE) {
        handler = HttpInternals.field(tcpServer, "worker");
        port = HttpInternals.field(tcpServer, "actualServer");
      } else {
        handler = HttpInternals.field(tcpServer, "channelHandler");
        port = handler == null ? null : HttpInternals.field(handler, "server");
      }
      EventLoop loop = (EventLoop) HttpInternals.field(LOOP_ALONE ? tcpServer : handler, "eventLoop");
      if (handler == null || port == null || loop == null) {
        return null;
      }
      Object balancer = HttpInternals.field(port, "channelBalancer");
      Future<?> bound = (Future<?>) HttpInternals.field(port, "bindFuture");
      if (balancer == null || bound == null || !bound.succeeded()) {
        return null;
      }
      Object group = invoke(balancer, "workers");
      Channel serverChannel = (Channel) bound.result();
      return new Hooks(group, loop, serverChannel.eventLoop(), balancer, handler);
    }
  }

  /** Calls the public method {@code name} of a Vert.x implementation class (checked by {@link HttpInternals#SHARED_PORT}). */
  private static Object invoke(Object target, String name, Object... args) {
    for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
      for (Method method : c.getDeclaredMethods()) {
        if (method.getName().equals(name) && method.getParameterCount() == args.length) {
          try {
            method.setAccessible(true);
            return method.invoke(target, args);
          } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("shared-port balancer: " + name, e);
          }
        }
      }
    }
    throw new IllegalStateException("shared-port balancer: no method " + name + " on " + target.getClass().getName());
  }
}
