package dev.vertxdomains.domain;

import io.vertx.core.Context;
import io.vertx.core.Handler;

/**
 * The exception handler of one root (verticle instance) context. Vert.x reports every uncaught error of the root
 * and of all its duplicated contexts here, while the context whose handler threw is still current; the router
 * hands the error to that context's domain, or to the instance's {@linkplain Domain#topLevel top-level domain}
 * when the code ran outside any domain. It tells a throw ({@code thrown == true}) from a stream reporting its own
 * failure for want of an exception handler ({@code thrown == false}), and names the emitter when the context is the
 * own context of an emitter added to the domain.
 */
final class ErrorRouter implements Handler<Throwable> {

  private final Context root;
  private final Domain topLevel;
  /** The handler the context had before the router, or one the user set after it; gets errors no domain took. */
  private volatile Handler<Throwable> previous;

  private ErrorRouter(Context root, Handler<Throwable> previous) {
    this.root = root;
    this.previous = previous;
    this.topLevel = new Domain(this);
  }

  /** The router of {@code context}'s root, installed (or re-installed over a user's handler) if needed. */
  static ErrorRouter of(Context context) {
    Context root = VertxInternals.root(context);
    ErrorRouter router = root.getLocal(DomainServiceProvider.ROUTER);
    if (router == null) {
      router = root.getLocal(DomainServiceProvider.ROUTER, () -> new ErrorRouter(root, root.exceptionHandler()));
    }
    Handler<Throwable> installed = root.exceptionHandler();
    if (installed != router) {
      if (installed != null && installed != router.previous) {
        router.previous = installed;
      }
      root.exceptionHandler(router);
    }
    return router;
  }

  Context root() {
    return root;
  }

  Domain topLevel() {
    return topLevel;
  }

  Handler<Throwable> previous() {
    Handler<Throwable> handler = previous;
    return handler != null ? handler : root.owner().exceptionHandler();
  }

  @Override
  public void handle(Throwable error) {
    // A stream without an exception handler reports its own failure here too (an AsyncFile whose read fails): that is
    // an emitter's error, not a throw.
    route(error, !VertxInternals.reportedByStream(error));
  }

  /**
   * Hands {@code error} to the domain of the current context (its emitter named), or to the top level.
   *
   * @param thrown whether it was thrown by a handler rather than reported by a stream
   */
  void route(Throwable error, boolean thrown) {
    // The event that threw is over: Vert.x restores the thread's context, so any frames it entered are gone.
    DomainStack.discard();
    Context current = VertxInternals.current();
    Domain domain = current != null ? current.getLocal(DomainServiceProvider.DOMAIN) : null;
    Object emitter = null;
    if (domain == null) {
      domain = topLevel;
    } else {
      EmitterBinding binding = current.getLocal(DomainServiceProvider.EMITTER);
      if (binding != null && binding.domain == domain) {
        emitter = binding.emitter;
      }
    }
    domain.deliver(new DomainError(error, domain, emitter, null, thrown));
  }
}
