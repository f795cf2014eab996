package dev.vertxdomains.web;

import dev.vertxdomains.supervisor.spi.Drain;
import io.netty.channel.Channel;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The drain of one HTTP server of a supervised instance: its connections, and the drain participant. */
final class HttpServerDrain {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HttpServerDrain.class);

  /**
   * Vert.x closes the connections still open when its grace period ends; it ends this long after the kill deadline,
   * so that the generations answer their unfinished requests (503) before any connection is cut.
   */
  private static final long CLOSE_AFTER_DEADLINE_MS = 1_000;

  /**
   * How long a server that has left its shared port keeps serving its keep-alive connections as before, until its
   * responses ask the clients to reconnect. The instances of a deployment leave together, each on its own event loop;
   * without the pause, the first one's clients reconnect while the others are leaving, and on Vert.x 5.2 a connection
   * accepted at the instant its event loop's last server leaves is closed unread (the balancer picks the loop and the
   * server in two steps). After it, their reconnects go to the servers that stay.
   */
  static final long SETTLE_MS = 100;

  private final HttpServer server;
  private final Vertx vertx;
  private final long idleMillis;
  private final Map<HttpConnection, ConnectionDrain> connections = new ConcurrentHashMap<>();
  /** The channels that are HTTP connections (of any protocol), seen by {@link #track}. */
  private final Set<Channel> httpChannels = ConcurrentHashMap.newKeySet();
  /** The channels that were not HTTP connections yet when the server left, each with its guard. */
  private final Map<Channel, FreshChannelGuard> fresh = new ConcurrentHashMap<>();
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

  /** Whether {@code channel} is an HTTP connection this drain has seen. */
  boolean isConnection(Channel channel) {
    return httpChannels.contains(channel);
  }

  void track(HttpConnection connection) {
    Channel channel = ConnectionDrain.channel(connection);
    if (channel != null && httpChannels.add(channel)) {
      channel.closeFuture().addListener(f -> httpChannels.remove(channel));
      FreshChannelGuard guard = fresh.remove(channel);
      if (guard != null) {
        guard.released();
      }
    }
    ConnectionDrain drain = ConnectionDrain.install(this, connection);
    if (drain != null) {
      connections.put(connection, drain);
      connection.closeHandler(v -> connections.remove(connection));
    }
  }

  /** The drain participant: leave the shared port, let each connection finish, close idle ones. */
  Future<?> drain(Drain request) {
    // Idle keep-alive connections close once idle for idleMillis, not at once: a client that sends on one at the
    // instant it closes loses its request, and the longer a connection has been idle, the less likely that is.
    closeIdleAtOnce = idleMillis == 0;
    long period = Math.max(10, Math.min(idleMillis / 4, 250));
    long timer = closeIdleAtOnce ? -1 : vertx.setPeriodic(period, id -> closeIdle());
    // Leaves the balancer; responses ask their clients to reconnect (Connection: close) only SETTLE_MS later (see
    // there). Connections get the shutdown event, which ConnectionDrain turns into a graceful drain; whatever is still
    // open at the deadline is closed by Vert.x.
    Context context = vertx.getOrCreateContext();
    Promise<Void> done = Promise.promise();
    SharedPortLeave.shutdown(server, Math.max(1, request.remainingMillis()) + CLOSE_AFTER_DEADLINE_MS, () -> {
      if (!closeIdleAtOnce) {
        guardFreshChannels();
      }
      vertx.setTimer(SETTLE_MS, id -> {
        draining = true;
        // From now on every response closes its connection; the connections idle now close at once if the idle
        // time is 0 (the periodic sweep is off then), or once idle that long.
        closeIdle();
      });
    }).onComplete(ar -> context.runOnContext(v -> {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      done.complete();
    }));
    return done.future();
  }

  /**
   * Guards the server's channels that are not HTTP connections yet against Vert.x's shutdown event (see
   * {@link FreshChannelGuard}). Runs once the server gets no new channels, just before Vert.x's shutdown.
   */
  private void guardFreshChannels() {
    Iterable<Channel> channels;
    try {
      channels = HttpInternals.channels(server);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // The members are checked before a supervised server first serves; this is not expected.
      LOG.warn("Could not reach a leaving server's channels ({}); a client connecting at this instant may see its "
        + "connection closed", e.toString());
      return;
    }
    for (Channel channel : channels) {
      if (!httpChannels.contains(channel) && channel.isActive()) {
        FreshChannelGuard guard = FreshChannelGuard.install(this, channel);
        if (guard != null) {
          fresh.put(channel, guard);
          channel.closeFuture().addListener(f -> fresh.remove(channel));
        }
      }
    }
  }

  private void closeIdle() {
    if (!draining) {
      return;
    }
    for (ConnectionDrain drain : connections.values()) {
      if (drain.idleMillis() >= idleMillis) {
        drain.closeIfIdle(idleMillis);
      }
    }
    // A client that connected but has sent nothing for as long: the same rule, decided on the channel's own loop.
    fresh.forEach((channel, guard) -> {
      if (guard.ageMillis() >= idleMillis) {
        channel.eventLoop().execute(() -> {
          if (!httpChannels.contains(channel) && fresh.remove(channel) != null) {
            LOG.debug("Closing connection {} of a draining instance: no request since it left", channel);
            channel.close();
          }
        });
      }
    });
  }
}
