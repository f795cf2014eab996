package dev.vertxdomains.web;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.ShutdownEvent;

/**
 * Graceful draining of one HTTP/1.x connection, as a Netty handler placed just before Vert.x's own.
 * <p>
 * This is the one place the web package touches Vert.x internals: Vert.x 5.0 has no public way to reach a
 * connection's channel, and its {@code HttpServer.shutdown} closes idle keep-alive connections at once, which
 * resets any client sending on them at that moment. Here the shutdown event is swallowed instead, so the server
 * only leaves the shared port; then every response written while draining carries {@code Connection: close} and
 * its connection is closed right after it, and a connection idle for the configured time is closed by
 * {@link HttpServerDrain}. Clients never see a reset from a draining instance.
 */
final class ConnectionDrain extends ChannelDuplexHandler {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ConnectionDrain.class);

  private static final String NAME = "vertx-domains-drain";

  private final HttpServerDrain server;
  private final Channel channel;
  private volatile int inFlight;
  private volatile long lastActivity = System.nanoTime();
  private boolean closeAfterResponse;

  private ConnectionDrain(HttpServerDrain server, Channel channel) {
    this.server = server;
    this.channel = channel;
  }

  /** The Netty channel of {@code connection}, or {@code null} when it has none Vert.x lets us reach. */
  static Channel channel(HttpConnection connection) {
    return connection instanceof ConnectionBase base ? base.channel() : null;
  }

  /** Installs the handler on an HTTP/1.x connection; returns {@code null} for other protocols (HTTP/2 drains with GOAWAY). */
  static ConnectionDrain install(HttpServerDrain server, HttpConnection connection) {
    if (!(connection instanceof ConnectionBase base)) {
      return null;
    }
    Channel channel = base.channel();
    ChannelPipeline pipeline = channel.pipeline();
    if (pipeline.get("httpEncoder") == null || pipeline.get("handler") == null || pipeline.get(NAME) != null) {
      return null;
    }
    ConnectionDrain drain = new ConnectionDrain(server, channel);
    pipeline.addBefore("handler", NAME, drain);
    return drain;
  }

  /** Whether no request is in progress on the connection, and for how long (ms); -1 when busy. */
  long idleMillis() {
    return inFlight == 0 ? (System.nanoTime() - lastActivity) / 1_000_000 : -1;
  }

  /**
   * Closes the connection if it is still idle for at least {@code threshold} ms, decided on its event loop: a request
   * that has arrived by then is read first (Netty reads before it runs tasks), and is answered.
   */
  void closeIfIdle(long threshold) {
    channel.eventLoop().execute(() -> {
      if (idleMillis() >= threshold) {
        LOG.debug("Closing idle connection {} of a draining instance", channel);
        channel.close();
      }
    });
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof HttpRequest) {
      inFlight++;
      lastActivity = System.nanoTime();
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof ShutdownEvent) {
      // The server is leaving the shared port: the connection stays up and drains itself (see write()).
      if (inFlight == 0 && server.closeIdleAtOnce()) {
        LOG.debug("Closing idle connection {} of an undeploying instance", channel);
        ctx.close();
      }
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    if (msg instanceof HttpResponse response && server.draining()) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      closeAfterResponse = true;
    }
    if (msg instanceof LastHttpContent) {
      inFlight = Math.max(0, inFlight - 1);
      lastActivity = System.nanoTime();
      if (closeAfterResponse && inFlight == 0) {
        ctx.write(msg, promise).addListener(ChannelFutureListener.CLOSE);
        return;
      }
    }
    super.write(ctx, msg, promise);
  }
}
