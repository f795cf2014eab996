package dev.vertxdomains.eventbus;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The caller's opt-in for requests that may be sent more than once: while the address has no handler
 * ({@link ReplyFailure#NO_HANDLERS}) or a request times out ({@link ReplyFailure#TIMEOUT}), the request is sent again,
 * with a doubling delay, until it is answered or the deadline passes. That is what a failover looks like from the
 * caller: the holder died (its requests time out, or the address has no handler until the new holder's consumer
 * is known), and a moment later another node serves the address. A failure the service answered
 * ({@link ReplyFailure#RECIPIENT_FAILURE}, which includes a service proxy's {@code ServiceException}) is never
 * retried.
 * <p>
 * <b>Only for idempotent requests.</b> A timed-out request may have been handled (the holder died after doing the
 * work, before its answer arrived, or it was only slow), so a retry may do the work twice: use it for reads, and for
 * writes that carry their own identity (an id the service deduplicates on, a set-to-value rather than an
 * increment). A request that failed with {@code NO_HANDLERS} was never delivered, so its retry is always safe.
 */
public final class IdempotentCalls {

  private final Vertx vertx;
  private final long deadlineMillis;
  private final long firstDelayMillis;
  private final long maxDelayMillis;

  private IdempotentCalls(Vertx vertx, long deadlineMillis, long firstDelayMillis, long maxDelayMillis) {
    this.vertx = vertx;
    this.deadlineMillis = deadlineMillis;
    this.firstDelayMillis = firstDelayMillis;
    this.maxDelayMillis = maxDelayMillis;
  }

  /**
   * Retries for up to 10 s, the first after 10 ms, the delay doubling up to 500 ms.
   *
   * @param vertx the Vert.x instance whose timers space the retries
   * @return the retries
   */
  public static IdempotentCalls of(Vertx vertx) {
    return of(vertx, 10_000, 10, 500);
  }

  /**
   * Retries until {@code deadlineMillis} after the first send.
   *
   * @param vertx            the Vert.x instance whose timers space the retries
   * @param deadlineMillis   how long after the first send a request may still be sent again, at least 1
   * @param firstDelayMillis the delay before the first retry, at least 1
   * @param maxDelayMillis   the longest delay between two sends, at least {@code firstDelayMillis}
   * @return the retries
   */
  public static IdempotentCalls of(Vertx vertx, long deadlineMillis, long firstDelayMillis, long maxDelayMillis) {
    Objects.requireNonNull(vertx, "vertx");
    if (deadlineMillis < 1) {
      throw new IllegalArgumentException("deadlineMillis: must be at least 1, got " + deadlineMillis);
    }
    if (firstDelayMillis < 1) {
      throw new IllegalArgumentException("firstDelayMillis: must be at least 1, got " + firstDelayMillis);
    }
    if (maxDelayMillis < firstDelayMillis) {
      throw new IllegalArgumentException("maxDelayMillis: must be at least firstDelayMillis (" + firstDelayMillis
        + "), got " + maxDelayMillis);
    }
    return new IdempotentCalls(vertx, deadlineMillis, firstDelayMillis, maxDelayMillis);
  }

  /**
   * {@code vertx.eventBus().request(address, body, options)}, sent again as described above.
   *
   * @param address the address
   * @param body    the body
   * @param options the delivery options (each send has its own send timeout)
   * @param <T>     the reply's body type
   * @return the reply, or the last failure
   */
  public <T> Future<Message<T>> request(String address, Object body, DeliveryOptions options) {
    Objects.requireNonNull(address, "address");
    DeliveryOptions sendOptions = options == null ? new DeliveryOptions() : options;
    return call(() -> vertx.eventBus().request(address, body, sendOptions));
  }

  /**
   * Wraps a service proxy (a generated {@code @ProxyGen} proxy, or any interface whose methods return
   * {@link Future}s): every call of a method that returns a {@code Future} is sent again as described above; other
   * methods pass through. Use it for a service whose methods are idempotent, or wrap a second proxy for those that
   * are.
   *
   * @param type  the service interface
   * @param proxy the proxy to call
   * @param <S>   the service type
   * @return the retrying proxy
   */
  @SuppressWarnings("unchecked")
  public <S> S proxy(Class<S> type, S proxy) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(proxy, "proxy");
    if (!type.isInterface()) {
      throw new IllegalArgumentException("type: must be an interface, got " + type.getName());
    }
    InvocationHandler handler = (self, method, args) -> {
      if (method.getDeclaringClass() == Object.class) {
        return method.getName().equals("toString") ? "retrying " + proxy : invoke(method, proxy, args);
      }
      if (!Future.class.isAssignableFrom(method.getReturnType())) {
        return invoke(method, proxy, args);
      }
      return call(() -> {
        try {
          return (Future<Object>) invoke(method, proxy, args);
        } catch (Throwable t) {
          return Future.failedFuture(t);
        }
      });
    };
    return (S) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler);
  }

  private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /**
   * Whether a failure is one a retry may cure: the address had no handler, or the request timed out.
   *
   * @param failure a request's failure
   * @return {@code true} for {@code NO_HANDLERS} and {@code TIMEOUT}; never for a failure the recipient answered
   */
  public static boolean retryable(Throwable failure) {
    return failure instanceof ReplyException reply
      && (reply.failureType() == ReplyFailure.NO_HANDLERS || reply.failureType() == ReplyFailure.TIMEOUT);
  }

  private <R> Future<R> call(Supplier<Future<R>> send) {
    Promise<R> result = Promise.promise();
    attempt(send, System.nanoTime() + deadlineMillis * 1_000_000, firstDelayMillis, result);
    return result.future();
  }

  private <R> void attempt(Supplier<Future<R>> send, long deadline, long delay, Promise<R> result) {
    Future<R> sent;
    try {
      sent = send.get();
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e);
    }
    sent.onComplete(ar -> {
      if (ar.succeeded()) {
        result.complete(ar.result());
      } else if (retryable(ar.cause()) && System.nanoTime() + delay * 1_000_000 < deadline) {
        vertx.setTimer(delay, id -> attempt(send, deadline, Math.min(delay * 2, maxDelayMillis), result));
      } else {
        result.fail(ar.cause());
      }
    });
  }
}
