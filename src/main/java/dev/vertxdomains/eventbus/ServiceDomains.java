package dev.vertxdomains.eventbus;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ProxyHandler;
import io.vertx.serviceproxy.ServiceException;
import io.vertx.serviceproxy.ServiceExceptionMessageCodec;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Registers an event-bus service the way vertx-service-proxy users write one (a {@code @ProxyGen} interface, its
 * implementation, callers using the generated proxy), with a domain per call:
 * <pre>{@code
 * ServiceDomains.register(vertx, "accounts", Accounts.class, new AccountsImpl(vertx));
 * }</pre>
 * It is {@code new ServiceBinder(vertx).setAddress(address).register(type, service)}, with these differences:
 * <ul>
 *   <li>An error anywhere in a call's work (a throw in the method, in a timer or callback it started) answers the
 *   proxy's caller at once with a {@link ServiceException} of code {@value #FAILURE_CODE} and the message
 *   {@value #FAILURE_MESSAGE}, never the exception's text; the caller's {@code Future} fails without waiting for its
 *   timeout. Then the instance's error policy applies, as for {@link EventBusDomains} consumers.</li>
 *   <li>A call naming no method of the interface is answered {@value #BAD_CALL_CODE} and costs no recycle.</li>
 *   <li>In a supervised instance the registration belongs to the slot: a recycle neither unregisters nor
 *   re-registers, calls in flight finish on the old generation, and new calls go to the new one (each generation
 *   registers its own implementation in its {@code start()}).</li>
 * </ul>
 * A failure the implementation returns itself (a failed {@code Future}) reaches the caller as vertx-service-proxy
 * answers it, unchanged. Interceptors and debug information are not supported here; use {@code ServiceBinder} for those.
 */
public final class ServiceDomains {

  /** The {@link ServiceException#failureCode()} of the answer to a call whose work failed. */
  public static final int FAILURE_CODE = 500;
  /** The message of the answer to a call whose work failed. */
  public static final String FAILURE_MESSAGE = "Internal Server Error";
  /** The {@link ServiceException#failureCode()} of the answer to a call that names no method of the service. */
  public static final int BAD_CALL_CODE = 400;
  /** How long an idle service lives, as {@code ServiceBinder}'s default; a top-level service is never closed. */
  private static final long TIMEOUT_SECONDS = 5 * 60;

  private ServiceDomains() {
  }

  /**
   * Registers {@code service} at {@code address}, every call in its own domain. Call it where the service is created
   * (in {@code start()}).
   *
   * @param vertx   the Vert.x instance
   * @param address the service's address
   * @param type    the {@code @ProxyGen} interface (its generated {@code VertxProxyHandler} must be on the class path)
   * @param service the implementation
   * @param <T>     the service type
   * @return the consumer
   */
  public static <T> MessageConsumer<JsonObject> register(Vertx vertx, String address, Class<T> type, T service) {
    return register(vertx, address, false, type, service);
  }

  /**
   * As {@link #register}, for a service only callers on this Vert.x instance reach.
   *
   * @param vertx   the Vert.x instance
   * @param address the service's address
   * @param type    the {@code @ProxyGen} interface
   * @param service the implementation
   * @param <T>     the service type
   * @return the consumer
   */
  public static <T> MessageConsumer<JsonObject> registerLocal(Vertx vertx, String address, Class<T> type, T service) {
    return register(vertx, address, true, type, service);
  }

  private static <T> MessageConsumer<JsonObject> register(Vertx vertx, String address, boolean local, Class<T> type,
                                                          T service) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(service, "service");
    if (!type.isInterface() || !type.isInstance(service)) {
      throw new IllegalArgumentException("type: must be the service's interface, which service implements; got "
        + type.getName());
    }
    try {
      vertx.eventBus().registerDefaultCodec(ServiceException.class, new ServiceExceptionMessageCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // the proxy handler's constructor, or a proxy, registered it first
    }
    ServiceCalls calls = new ServiceCalls(handlerOf(vertx, type, service), actions(type));
    return EventBusDomains.register(vertx, address, local, calls);
  }

  /** The generated handler, built as {@code ServiceBinder} builds it (its public constructor). */
  private static <T> ProxyHandler handlerOf(Vertx vertx, Class<T> type, T service) {
    String name = type.getName() + "VertxProxyHandler";
    try {
      Class<?> handler = Class.forName(name, true, type.getClassLoader());
      Constructor<?> constructor = handler.getConstructor(Vertx.class, type, boolean.class, long.class, boolean.class);
      return (ProxyHandler) constructor.newInstance(vertx, service, true, TIMEOUT_SECONDS, false);
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("type: no generated " + name + "; is " + type.getName() + " annotated "
        + "@ProxyGen and compiled with the vertx-codegen processor and vertx-service-proxy?", e);
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw new IllegalArgumentException("type: " + name + " is not a vertx-service-proxy handler: " + e, e);
    }
  }

  /** The actions a proxy sends: the names of the interface's abstract methods. */
  private static Set<String> actions(Class<?> type) {
    Set<String> actions = new HashSet<>();
    for (Method method : type.getMethods()) {
      if (Modifier.isAbstract(method.getModifiers())) {
        actions.add(method.getName());
      }
    }
    return Set.copyOf(actions);
  }

  /** The consumer's handler: checks the action, then runs the generated handler, holding what it answers (below). */
  static final class ServiceCalls implements Handler<Message<JsonObject>>, FailureAnswer {

    private final ProxyHandler proxy;
    private final Set<String> actions;

    ServiceCalls(ProxyHandler proxy, Set<String> actions) {
      this.proxy = proxy;
      this.actions = actions;
    }

    @Override
    public void handle(Message<JsonObject> message) {
      String action = message.headers().get("action");
      if (action == null || !actions.contains(action)) {
        message.reply(new ServiceException(BAD_CALL_CODE, action == null ? "no action given"
          : "unknown action '" + (action.length() > 64 ? action.substring(0, 64) + "..." : action) + "'"));
        return;
      }
      // The generated handler answers a throw with the exception's text, then throws on: that answer is held until
      // the call returns, and dropped if it throws, so that the domain answers the caller without the text.
      HeldReply call = new HeldReply(message);
      boolean returned = false;
      try {
        proxy.handle(call);
        returned = true;
      } finally {
        call.release(returned);
      }
    }

    /** The answer to a call whose work failed. */
    @Override
    public void fail(Message<?> message) {
      message.reply(new ServiceException(FAILURE_CODE, FAILURE_MESSAGE));
    }
  }
}
