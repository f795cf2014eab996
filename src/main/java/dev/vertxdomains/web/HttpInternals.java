package dev.vertxdomains.web;

import io.vertx.core.Context;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.function.Supplier;

/**
 * The Vert.x 5.0 internals the slot-owned HTTP listener needs, where no public API exists: the options a server was
 * created with, the context of a request, and which context a connection creates its requests on. If a Vert.x
 * version lacks them, it logs once and the callers fall back (see {@link SlotHttpServer}).
 * ({@link SharedPortLeave} and {@link ConnectionDrain} hold the two other internal touch points of this package:
 * the shared-port balancer and a connection's Netty channel.)
 */
final class HttpInternals {

  private static final Logger LOG = LoggerFactory.getLogger(HttpInternals.class);
  private static volatile boolean warned;

  private HttpInternals() {
  }

  /** The options {@code server} was created with, or defaults when they cannot be read. */
  static HttpServerOptions options(HttpServer server) {
    try {
      Object options = field(server, "options");
      if (options instanceof HttpServerOptions found) {
        return new HttpServerOptions(found);
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      warnOnce("the options of an HttpServer", e);
    }
    return new HttpServerOptions();
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
   * that moment, instead of a duplicate of the listening context.
   *
   * @return {@code false} when the connection cannot be changed (its requests keep the listening context)
   */
  static boolean createRequestsOn(HttpConnection connection, Supplier<Context> supplier) {
    try {
      Field field = find(connection.getClass(), "streamContextSupplier");
      field.setAccessible(true);
      Supplier<ContextInternal> contexts = () -> (ContextInternal) supplier.get();
      field.set(connection, contexts);
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      warnOnce("the request context of an HTTP connection", e);
      return false;
    }
  }

  private static void warnOnce(String what, Exception e) {
    if (!warned) {
      warned = true;
      LOG.warn("Cannot reach {} in this Vert.x version ({}); requests are handed to the current generation one "
        + "context hop later", what, e.toString());
    }
  }

  /** A private field of {@code target} or its superclasses (the one reflective reader of this package). */
  static Object field(Object target, String name) throws ReflectiveOperationException {
    Field field = find(target.getClass(), name);
    field.setAccessible(true);
    return field.get(target);
  }

  private static Field find(Class<?> type, String name) throws NoSuchFieldException {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      try {
        return c.getDeclaredField(name);
      } catch (NoSuchFieldException ignored) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(type.getName() + "." + name);
  }
}
