package dev.vertxdomains.web;

import dev.vertxdomains.domain.InternalReach;
import dev.vertxdomains.domain.VertxLine;
import io.vertx.core.Context;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The Vert.x internals the slot-owned HTTP listener needs, declared for each {@link VertxLine} and checked when a
 * supervised instance first serves ({@link #requireAll}). From the exported SPI: a new duplicated context, and the
 * context of a request. By reflection, where no API exists: which context a connection creates its requests on
 * ({@link #REQUEST_CONTEXT}), a connection's Netty channel and shutdown event ({@link #CONNECTION_DRAIN}, used by
 * {@link ConnectionDrain}), and the shared-port balancer ({@link #SHARED_PORT}, used by {@link SharedPortLeave}).
 * <p>
 * The listener itself is the server the application created, with its own options: nothing here reads them.
 * (The reaches are not final so that a test can point one at a class without the field.)
 */
final class HttpInternals {

  private static final Logger LOG = LoggerFactory.getLogger(HttpInternals.class);
  private static final VertxLine LINE = VertxLine.running();

  /** The connection classes that create each request's context from a supplier, on this line. */
  private static final List<String> CONNECTIONS = LINE.atLeast(VertxLine.V5_1)
    ? List.of("io.vertx.core.http.impl.http1.Http1ServerConnection",
        "io.vertx.core.http.impl.http2.codec.Http2ServerConnectionImpl",
        "io.vertx.core.http.impl.http2.multiplex.Http2MultiplexServerConnection")
    : List.of("io.vertx.core.http.impl.Http1xServerConnection",
        "io.vertx.core.http.impl.Http2ServerConnection");

  /** The HTTP/1.x server connection class of this line, which {@link ConnectionDrain} drains. */
  private static final String HTTP1_CONNECTION = CONNECTIONS.get(0);

  /** Requests created on the serving generation's context. */
  static volatile InternalReach REQUEST_CONTEXT = InternalReach.fields(
    "supervised HTTP (requests on the serving generation's context)", InternalReach.Need.BEHAVIOUR,
    "a recycle could not hand the next request on a connection to the new generation",
    CONNECTIONS.stream().map(name -> name + "#streamContextSupplier").toArray(String[]::new));

  /**
   * A connection's channel, Vert.x's shutdown event and a server's group of channels, for the graceful drain of a
   * leaving slot.
   */
  static volatile InternalReach CONNECTION_DRAIN = InternalReach.of(
    "supervised HTTP (graceful drain of a leaving slot's connections)", InternalReach.Need.BEHAVIOUR,
    "idle keep-alive connections of a leaving slot would be closed at once, resetting clients that send on them",
    () -> {
      String missing = InternalReach.missingMembers(java.util.stream.Stream.concat(
        java.util.stream.Stream.of("io.vertx.core.net.impl.ConnectionBase#channel()",
          "io.vertx.core.net.impl.ShutdownEvent"), channelGroupMembers().stream()).toArray(String[]::new));
      if (missing != null) {
        return missing;
      }
      Class<?> base = InternalReach.vertxClass("io.vertx.core.net.impl.ConnectionBase");
      Class<?> http1 = InternalReach.vertxClass(HTTP1_CONNECTION);
      return http1 != null && base.isAssignableFrom(http1) ? null : HTTP1_CONNECTION + " as a ConnectionBase";
    });

  /** The shared-port balancer, for a leave that drops no connection being accepted, and a stuck slot's pause. */
  static volatile InternalReach SHARED_PORT = InternalReach.fields(
    "supervised HTTP (leaving a shared port)", InternalReach.Need.SPEED,
    "a slot leaving a shared port can drop a connection accepted at that instant, and a stuck slot's listener keeps "
      + "being handed new connections until its loop runs again",
    sharedPortMembers());

  /** Per connection class, its request-context supplier field (looked up once per class, not per connection). */
  private static final ClassValue<java.util.Optional<Field>> STREAM_CONTEXT_SUPPLIER = new ClassValue<>() {
    @Override
    protected java.util.Optional<Field> computeValue(Class<?> type) {
      return java.util.Optional.ofNullable(InternalReach.findField(type, "streamContextSupplier"));
    }
  };

  /** Connection classes whose request context could not be set (each warned once). */
  private static final java.util.Set<Class<?>> UNSUPPORTED = ConcurrentHashMap.newKeySet();

  private HttpInternals() {
  }

  /** Checks every reach a supervised HTTP server needs: fails for a missing behaviour reach, warns for the others. */
  static void requireAll() {
    InternalReach.requireAll(List.of(REQUEST_CONTEXT, CONNECTION_DRAIN, SHARED_PORT));
  }

  /** The fields from an application's {@code HttpServer} to the group of its channels, on this line. */
  private static List<String> channelGroupMembers() {
    String net = LINE.atLeast(VertxLine.V5_1) ? "io.vertx.core.net.impl.tcp." : "io.vertx.core.net.impl.";
    List<String> group = LINE.atLeast(VertxLine.V5_2)
      ? List.of(net + "NetServerImpl#channelHandler", net + "NetServerImpl$ChannelHandler#group")
      : List.of(net + "NetServerImpl#channelGroup");
    return java.util.stream.Stream.concat(serverMembers().stream(), group.stream()).toList();
  }

  private static List<String> serverMembers() {
    return LINE.atLeast(VertxLine.V5_1)
      ? List.of("io.vertx.core.http.impl.CleanableHttpServer#server", "io.vertx.core.http.impl.tcp.TcpHttpServer#tcpServer")
      : List.of("io.vertx.core.http.impl.HttpServerImpl#tcpServer");
  }

  /**
   * The channels Vert.x has accepted for {@code server} and not yet closed, among them those that are not an HTTP
   * connection yet (no request has arrived to tell HTTP/1.x from HTTP/2), which no connection handler has seen.
   */
  @SuppressWarnings("unchecked")
  static Iterable<io.netty.channel.Channel> channels(Object server) throws ReflectiveOperationException {
    Object tcpServer = tcpServer(server);
    Object holder = tcpServer == null ? null : LINE.atLeast(VertxLine.V5_2) ? field(tcpServer, "channelHandler")
      : tcpServer;
    Object group = holder == null ? null : field(holder, LINE.atLeast(VertxLine.V5_2) ? "group" : "channelGroup");
    return group == null ? List.of() : (Iterable<io.netty.channel.Channel>) group;
  }

  private static String[] sharedPortMembers() {
    String net = LINE.atLeast(VertxLine.V5_1) ? "io.vertx.core.net.impl.tcp." : "io.vertx.core.net.impl.";
    List<String> server = serverMembers();
    // 5.2 keeps a server's share of the port in a ChannelHandler and the port's balancer in a TcpServer.
    List<String> shares = LINE.atLeast(VertxLine.V5_2)
      ? List.of(net + "NetServerImpl#channelHandler", net + "NetServerImpl$ChannelHandler#server",
          net + "NetServerImpl$ChannelHandler#eventLoop", net + "NetServerImpl$TcpServer#channelBalancer",
          net + "NetServerImpl$TcpServer#bindFuture")
      : List.of(net + "NetServerImpl#actualServer", net + "NetServerImpl#eventLoop", net + "NetServerImpl#worker",
          net + "NetServerImpl#channelBalancer", net + "NetServerImpl#bindFuture");
    List<String> rest = List.of(
      net + "ServerChannelLoadBalancer#workers()", net + "ServerChannelLoadBalancer#addWorker(EventLoop,Handler)",
      net + "ServerChannelLoadBalancer#removeWorker(EventLoop,Handler)");
    // 5.0 and 5.1 can take a loop out of the acceptor's choice on its own; 5.2's balancer cannot (SharedPortLeave).
    List<String> loops = LINE.atLeast(VertxLine.V5_2) ? List.of()
      : List.of("io.vertx.core.net.impl.VertxEventLoopGroup#removeWorker(EventLoop)",
        "io.vertx.core.net.impl.VertxEventLoopGroup#addWorker(EventLoop)",
        "io.vertx.core.net.impl.VertxEventLoopGroup#workerCount()");
    return java.util.stream.Stream.of(server, shares, rest, loops).flatMap(List::stream).toArray(String[]::new);
  }

  /**
   * The Vert.x server behind the {@code HttpServer} an application holds, which has the shared-port fields: the
   * server itself on 5.0; on 5.1 and later, the server a {@code CleanableHttpServer} wraps.
   */
  static Object tcpServer(Object server) throws ReflectiveOperationException {
    Object inner = LINE.atLeast(VertxLine.V5_1) ? field(server, "server") : server;
    return field(inner, "tcpServer");
  }

  /** A new duplicate of {@code context}, with empty context-local data. */
  static Context duplicate(Context context) {
    return ((ContextInternal) context).duplicate();
  }

  /** The context a request's events are delivered on, or {@code null}. */
  static Context context(HttpServerRequest request) {
    return request instanceof HttpServerRequestInternal internal ? internal.context() : null;
  }

  /**
   * Makes {@code connection} create each new request (or HTTP/2 stream) on the context {@code supplier} gives at
   * that moment, instead of a duplicate of the listening context. {@link #REQUEST_CONTEXT} is checked before the slot
   * listens; a connection of a kind it does not list (a protocol this line added) keeps the listening context, and its
   * requests are handed to the serving generation one context hop later, with one WARN line per kind.
   *
   * @return {@code false} when the connection cannot be changed
   */
  static boolean createRequestsOn(HttpConnection connection, Supplier<Context> supplier) {
    Field field = STREAM_CONTEXT_SUPPLIER.get(connection.getClass()).orElse(null);
    if (field != null) {
      try {
        Supplier<ContextInternal> contexts = () -> (ContextInternal) supplier.get();
        field.set(connection, contexts);
        return true;
      } catch (IllegalAccessException | RuntimeException e) {
        // warned below
      }
    }
    if (UNSUPPORTED.add(connection.getClass())) {
      LOG.warn("vertx-domains on Vert.x {}: connections of type {} keep the listener's request context; their requests "
        + "are handed to the serving generation one context hop later", VertxLine.version(),
        connection.getClass().getName());
    }
    return false;
  }

  /** A private field of {@code target} or its superclasses (the one reflective reader of this package). */
  static Object field(Object target, String name) throws ReflectiveOperationException {
    Field field = InternalReach.findField(target.getClass(), name);
    if (field == null) {
      throw new NoSuchFieldException(target.getClass().getName() + "." + name);
    }
    return field.get(target);
  }
}
