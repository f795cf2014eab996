package dev.vertxdomains.domain;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * A resource shared by many requests (an {@code HttpClient}, a {@code WorkerExecutor}, a SQL pool) kept in its own
 * domain: the pattern the Node seeds describe for connection pools, as one call.
 * <pre>{@code
 * SharedResource<WorkerExecutor> pool = SharedResource.create("pow-pool", vertx.createSharedWorkerExecutor("pow"));
 * ...
 * pool.call(executor -> executor.executeBlocking(() -> work()))    // in a request
 *     .onSuccess(result -> request.response().end(result));        // runs in the request's domain
 * }</pre>
 * <ul>
 *   <li>The operation passed to {@link #call} runs in the resource's domain, and so does everything it starts: an
 *       error there is the resource's, not the request's. The resource's domain then fails every call in progress
 *       with a {@link ResourceFailedException} (so their requests are answered instead of hanging) and passes the
 *       error up to its parent, by default the instance's top-level domain: in a supervised instance the instance is
 *       drained and replaced, Node's "clean shutdown" without the process exit.</li>
 *   <li>The future {@link #call} returns completes on the caller's context, in the caller's domain: a bug in one
 *       request's callback fails that request only.</li>
 * </ul>
 *
 * @param <R> the resource's type
 */
public final class SharedResource<R> {

  private static final Logger LOG = LoggerFactory.getLogger(SharedResource.class);

  private final String name;
  private final R resource;
  private final Domain domain;
  private final Set<Promise<?>> inProgress = new HashSet<>();
  private volatile boolean failed;

  private SharedResource(String name, R resource, Domain domain) {
    this.name = name;
    this.resource = resource;
    this.domain = domain;
  }

  /**
   * Puts {@code resource} in a new domain, a child of the active domain (the instance's top-level domain when called
   * from {@code start()}). Call it on a Vert.x context.
   *
   * @param name     a name for logs and errors
   * @param resource the shared resource
   * @param <R>      its type
   * @return the shared resource
   */
  public static <R> SharedResource<R> create(String name, R resource) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(resource, "resource");
    Domain parent = Domain.active();
    if (parent == null) {
      Context context = Vertx.currentContext();
      if (context == null) {
        throw new IllegalStateException("SharedResource.create must be called on a Vert.x context");
      }
      parent = Domain.topLevel(context);
    }
    SharedResource<R> shared = new SharedResource<>(name, resource, Domain.create(parent));
    shared.domain.errorHandler(shared::onError);
    return shared;
  }

  /**
   * Runs {@code operation} on the resource in the resource's domain; its result is delivered in the caller's domain.
   *
   * @param operation what to do with the resource
   * @param <T>       the result's type
   * @return the result, completed on the caller's context; failed with {@link ResourceFailedException} if the
   *         resource's domain failed meanwhile
   */
  public <T> Future<T> call(Function<R, Future<T>> operation) {
    Objects.requireNonNull(operation, "operation");
    Context caller = Vertx.currentContext();
    if (caller == null) {
      throw new IllegalStateException("SharedResource.call must be called on a Vert.x context");
    }
    if (failed) {
      return Future.failedFuture(new ResourceFailedException(name, null));
    }
    Promise<T> result = Promise.promise();
    synchronized (inProgress) {
      inProgress.add(result);
    }
    domain.run(() -> operation.apply(resource).onComplete(ar -> {
      synchronized (inProgress) {
        inProgress.remove(result);
      }
      if (ar.succeeded()) {
        result.tryComplete(ar.result());
      } else {
        result.tryFail(ar.cause());
      }
    }));
    // Delivered through a promise of the caller's context: its callbacks run there, in the caller's domain, and what
    // they throw is reported to that context on every Vert.x line (a context-less future's listener that throws is
    // not reported to the current context on 5.1 and later).
    Promise<T> onCaller = VertxInternals.promise(caller);
    result.future().onComplete(onCaller);
    return onCaller.future();
  }

  /**
   * The resource's domain, to bind or add more to it.
   *
   * @return the domain
   */
  public Domain domain() {
    return domain;
  }

  /**
   * The resource itself, for use outside calls (e.g. closing it).
   *
   * @return the resource
   */
  public R resource() {
    return resource;
  }

  private void onError(DomainError error) {
    failed = true;
    LOG.error("Shared resource '{}' failed; failing its calls in progress and passing the error up", name,
      error.cause());
    Set<Promise<?>> pending;
    synchronized (inProgress) {
      pending = new HashSet<>(inProgress);
      inProgress.clear();
    }
    ResourceFailedException failure = new ResourceFailedException(name, error.cause());
    for (Promise<?> promise : pending) {
      promise.tryFail(failure);
    }
    domain.escalate(error);
  }

  /** A call failed because the shared resource's domain failed. */
  public static final class ResourceFailedException extends RuntimeException {

    ResourceFailedException(String name, Throwable cause) {
      super("shared resource '" + name + "' failed", cause);
    }
  }
}
