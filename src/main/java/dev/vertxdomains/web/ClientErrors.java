package dev.vertxdomains.web;

import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.StreamResetException;

import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Tells the errors a client causes (it went away, reset its stream, sent a body the codec rejects) from the
 * application's own. Only the latter recycle an instance. Vert.x reports a connection's errors to the server's
 * exception handler before it hands the same throwable to the request in progress, so the slot's server marks them
 * there; vertx-web then sees them as a routing failure, which is why a mark is needed at all.
 */
final class ClientErrors {

  private static final Set<Throwable> MARKED = Collections.synchronizedSet(
    Collections.newSetFromMap(new WeakHashMap<Throwable, Boolean>()));

  private ClientErrors() {
  }

  /** Records that the connection, not the application, raised {@code error}. */
  static void mark(Throwable error) {
    MARKED.add(error);
  }

  /** Whether {@code error} is a client's doing. */
  static boolean isClients(Throwable error) {
    return error instanceof HttpClosedException || error instanceof StreamResetException || MARKED.contains(error);
  }
}
