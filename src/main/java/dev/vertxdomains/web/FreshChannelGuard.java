package dev.vertxdomains.web;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.vertx.core.net.impl.ShutdownEvent;

/**
 * Holds Vert.x's shutdown event back from a channel of a leaving server that is not an HTTP connection yet, until it
 * is one.
 * <p>
 * From Vert.x 5.1 on, a newly accepted channel starts as a plain TCP socket while it waits for its first bytes (to
 * tell HTTP/1.x from HTTP/2 with prior knowledge). If the server's shutdown reaches it then, the socket closes at once,
 * and the client that has just connected, and is sending its request, sees "connection closed". This handler, put
 * first on each such channel when its server leaves, keeps the event; once the channel is an HTTP connection, the
 * event goes on to it (an HTTP/1.x connection is drained by {@link ConnectionDrain} anyway; an HTTP/2 one answers
 * with GOAWAY). A channel that never becomes one is closed by {@link HttpServerDrain} once idle.
 */
final class FreshChannelGuard extends ChannelInboundHandlerAdapter {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FreshChannelGuard.class);

  static final String NAME = "vertx-domains-fresh";

  private final HttpServerDrain server;
  private final long since = System.nanoTime();
  private ChannelHandlerContext context;
  private Object held;

  FreshChannelGuard(HttpServerDrain server) {
    this.server = server;
  }

  /** Puts a guard first on {@code channel} (from any thread); the event loop runs its events after that. */
  static FreshChannelGuard install(HttpServerDrain server, Channel channel) {
    FreshChannelGuard guard = new FreshChannelGuard(server);
    try {
      channel.pipeline().addFirst(NAME, guard);
    } catch (IllegalArgumentException alreadyThere) {
      return null;
    }
    return guard;
  }

  /** How long ago the guard was put on, in ms. */
  long ageMillis() {
    return (System.nanoTime() - since) / 1_000_000;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    context = ctx;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof ShutdownEvent && !server.isConnection(ctx.channel())) {
      LOG.debug("Holding the shutdown of {} until it is an HTTP connection", ctx.channel());
      held = evt;
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  /** The channel is now an HTTP connection: passes a held event on to it (on the channel's event loop). */
  void released() {
    ChannelHandlerContext ctx = context;
    Channel channel = ctx != null ? ctx.channel() : null;
    if (channel != null) {
      channel.eventLoop().execute(() -> {
        Object event = held;
        held = null;
        if (event != null) {
          ctx.fireUserEventTriggered(event);
        }
      });
    }
  }
}
