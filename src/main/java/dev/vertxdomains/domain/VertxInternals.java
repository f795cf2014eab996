package dev.vertxdomains.domain;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.impl.future.FutureImpl;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.Completable;

/**
 * The one place where vertx-domains touches Vert.x internals. Vert.x 5.0 has no public API to create a duplicated
 * context, to make a context current for a synchronous call, or to observe listener registration on a future, so
 * those three things are wrapped here and nowhere else.
 */
final class VertxInternals {

  private VertxInternals() {
  }

  /** The context current on this thread, or {@code null}. */
  static Context current() {
    return ContextInternal.current();
  }

  /** The root (verticle instance) context of {@code context}. */
  static Context root(Context context) {
    return ((ContextInternal) context).unwrap();
  }

  static boolean isDuplicate(Context context) {
    return ((ContextInternal) context).isDuplicate();
  }

  /** A new duplicated context of {@code context}'s root, with empty locals. */
  static Context duplicate(Context context) {
    return ((ContextInternal) context).unwrap().duplicate();
  }

  /** Makes {@code context} current on this thread; returns the context to restore with {@link #end}. */
  static Context begin(Context context) {
    return ((ContextInternal) context).beginDispatch();
  }

  /** Restores {@code previous} as the current context after {@link #begin}. */
  static void end(Context context, Context previous) {
    ((ContextInternal) context).endDispatch((ContextInternal) previous);
  }

  /** Whether the calling thread is one on which {@code context} runs its tasks. */
  static boolean inThread(Context context) {
    return ((ContextInternal) context).inThread();
  }

  /**
   * A future completed by {@code source} that reports its failure to {@code onUnhandled} when, by the end of the
   * event in which it failed, nobody has attached a listener to it (Node's unhandled-rejection rule).
   */
  static <T> Future<T> watch(Context context, Future<T> source, io.vertx.core.Handler<Throwable> onUnhandledFailure) {
    WatchedFuture<T> watched = new WatchedFuture<>((ContextInternal) context, onUnhandledFailure);
    source.onComplete(watched::complete);
    return watched;
  }

  private static final class WatchedFuture<T> extends FutureImpl<T> {

    private volatile boolean handled;

    WatchedFuture(ContextInternal context, io.vertx.core.Handler<Throwable> onUnhandledFailure) {
      super(context);
      super.addListener((value, err) -> {
        if (err != null && !handled) {
          // Listeners attached later in this same event still count as handling it.
          context.runOnContext(v -> {
            if (!handled) {
              onUnhandledFailure.handle(err);
            }
          });
        }
      });
    }

    void complete(T value, Throwable err) {
      if (err != null) {
        tryFail(err);
      } else {
        tryComplete(value);
      }
    }

    @Override
    public void addListener(Completable<? super T> listener) {
      handled = true;
      super.addListener(listener);
    }
  }

  /**
   * Whether the error being reported to a context's exception handler right now comes from a stream that reported
   * its own failure ({@code AsyncFileImpl.handleException} without an exception handler set) rather than from a
   * throw that Vert.x caught while dispatching a handler or a future listener. Call it from the exception handler
   * only: it walks the few frames above {@code reportException}.
   */
  static boolean reportedByStream() {
    return STACK.walk(frames -> frames
      .filter(frame -> !frame.getClassName().startsWith("dev.vertxdomains.domain.")
        && !frame.getMethodName().equals("reportException"))
      .limit(1)
      .anyMatch(frame -> frame.getClassName().startsWith("io.vertx.") && frame.getMethodName().equals("handleException")));
  }

  private static final StackWalker STACK = StackWalker.getInstance();
}
