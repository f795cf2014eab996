package dev.vertxdomains.domain;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.impl.future.FutureImpl;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.Completable;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.streams.impl.InboundBuffer;

import java.io.IOException;
import java.lang.reflect.Field;
import java.util.Optional;

/**
 * The one place where the domain core touches Vert.x internals. Vert.x 5 has no public API to create a duplicated
 * context, to make a context current for a synchronous call, or to observe listener registration on a future; the
 * first two come from the exported {@code io.vertx.core.internal} SPI ({@link ContextInternal}), the third extends
 * Vert.x's {@code FutureImpl}.
 * <p>
 * {@link Domain#add} needs what no API exposes: the context on which an emitter runs its handlers, an event-bus
 * consumer's handler, and the internal read buffer of an {@code AsyncFile} (which drops a throw from the file's data
 * and end handlers unless it has an exception handler, and Vert.x never gives it one). Those are private fields, read
 * by reflection, declared per {@link VertxLine} below and checked ({@link InternalReach}) when first used: on a
 * Vert.x where one is missing, {@code add} fails with a message that says so instead of binding less in silence.
 * (The reaches are not final so that a test can point one at a class without the field.)
 */
final class VertxInternals {

  private static final VertxLine LINE = VertxLine.running();

  /** {@link #consumerHandler}: the handler an event-bus consumer runs (5.2 wraps it in a processor). */
  static volatile InternalReach CONSUMER_HANDLER = InternalReach.fields("Domain.add(MessageConsumer)",
    InternalReach.Need.BEHAVIOUR, "throws from the consumer's handler would not reach the domain",
    LINE.atLeast(VertxLine.V5_2)
      ? new String[] {"io.vertx.core.eventbus.impl.MessageConsumerImpl#processor",
          "io.vertx.core.eventbus.impl.MessageConsumerImpl$HandlerAdapter#h"}
      : new String[] {"io.vertx.core.eventbus.impl.MessageConsumerImpl#handler"});

  /** {@link #ownContext}: the context of an HTTP server response, server WebSocket and file upload. */
  static volatile InternalReach EMITTER_CONTEXT = InternalReach.fields(
    "Domain.add of an HTTP server response, server WebSocket or file upload", InternalReach.Need.BEHAVIOUR,
    "the emitter's handlers would not run in the domain",
    LINE.atLeast(VertxLine.V5_1)
      ? new String[] {"io.vertx.core.http.impl.http1.Http1ServerResponse#context",
          "io.vertx.core.http.impl.HttpServerResponseImpl#context",
          "io.vertx.core.http.impl.websocket.ServerWebSocketImpl#context",
          "io.vertx.core.http.impl.HttpServerFileUploadImpl#context"}
      : new String[] {"io.vertx.core.http.impl.Http1xServerResponse#context",
          "io.vertx.core.http.impl.Http2ServerResponse#stream",
          "io.vertx.core.http.impl.VertxHttp2Stream#context",
          "io.vertx.core.http.impl.ServerWebSocketImpl#context",
          "io.vertx.core.http.impl.HttpServerFileUploadImpl#context"});

  /** {@link #readBufferExceptionHandler}: an {@code AsyncFile}'s read buffer, the same on every line. */
  static volatile InternalReach FILE_READ_BUFFER = InternalReach.fields("Domain.add(AsyncFile)",
    InternalReach.Need.BEHAVIOUR, "throws from the file's data and end handlers would be dropped",
    "io.vertx.core.file.impl.AsyncFileImpl#queue",
    "io.vertx.core.streams.impl.InboundBuffer#exceptionHandler(Handler)");

  /** {@link #watch}: a future that sees its listeners being added, the same on every line. */
  static volatile InternalReach WATCHED_FUTURE = InternalReach.fields("Domain.watch(Future)",
    InternalReach.Need.BEHAVIOUR, "an unhandled failure of a watched future could not be told",
    "io.vertx.core.impl.future.FutureImpl#addListener(Completable)",
    "io.vertx.core.impl.future.FutureImpl#tryFail(Throwable)",
    "io.vertx.core.impl.future.FutureImpl#tryComplete(Object)");

  /** Per class, the field holding the named value, or empty when the class has none. */
  private static final ClassValue<Optional<Field>> CONTEXT_FIELD = fieldsNamed("context");
  private static final ClassValue<Optional<Field>> STREAM_FIELD = fieldsNamed("stream");
  private static final ClassValue<Optional<Field>> HANDLER_FIELD = fieldsNamed(
    LINE.atLeast(VertxLine.V5_2) ? "processor" : "handler");
  private static final ClassValue<Optional<Field>> ADAPTED_FIELD = fieldsNamed("h");
  private static final ClassValue<Optional<Field>> QUEUE_FIELD = fieldsNamed("queue");

  private VertxInternals() {
  }

  /** The context current on this thread, or {@code null}. */
  static Context current() {
    return ContextInternal.current();
  }

  /** A promise bound to {@code context}: its listeners run there, and what they throw is reported there. */
  static <T> io.vertx.core.Promise<T> promise(Context context) {
    return ((ContextInternal) context).promise();
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
    WATCHED_FUTURE.require();
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

  // ---------------------------------------------------------------------------------------------------------------
  // Emitters (for Domain.add)

  /**
   * The duplicated context on which {@code emitter} runs all its handlers, when Vert.x gives every emitter of its
   * kind a context of its own: an HTTP server request, its response and its file uploads (one context per request,
   * per stream on HTTP/2) and a server WebSocket (the context of its upgrade request). {@code null} for every other
   * emitter: an HTTP client request or response, a {@code NetSocket}, a client WebSocket and an {@code AsyncFile} run
   * their handlers on the context that created them, which they share with other code; an event-bus consumer runs
   * each message on a fresh context.
   */
  static Context ownContext(Object emitter) {
    ContextInternal context = null;
    if (emitter instanceof HttpServerRequestInternal request) {
      context = request.context();
    } else if (emitter instanceof io.vertx.core.http.HttpServerResponse
      || emitter instanceof io.vertx.core.http.ServerWebSocket
      || emitter instanceof io.vertx.core.http.HttpServerFileUpload) {
      Object value = read(CONTEXT_FIELD, emitter);
      if (value == null) {
        // HTTP/2: the response keeps its context in its stream.
        Object stream = read(STREAM_FIELD, emitter);
        value = stream != null ? read(CONTEXT_FIELD, stream) : null;
      }
      context = value instanceof ContextInternal found ? found : null;
    }
    return context != null && context.isDuplicate() ? context : null;
  }

  /**
   * The handler of an event-bus consumer, or {@code null} when it has none (on 5.2, also when it runs a
   * {@code processor} set by the application rather than a handler).
   */
  @SuppressWarnings("unchecked")
  static <T> Handler<Message<T>> consumerHandler(MessageConsumer<T> consumer) {
    Object value = read(HANDLER_FIELD, consumer);
    if (value != null && LINE.atLeast(VertxLine.V5_2)) {
      // 5.2: handler(h) stores a private HandlerAdapter(h) as the consumer's processor.
      value = read(ADAPTED_FIELD, value);
    }
    return value instanceof Handler<?> handler ? (Handler<Message<T>>) handler : null;
  }

  /**
   * Gives the internal read buffer of an {@code AsyncFile} the exception handler Vert.x 5.0.10 never sets: the
   * buffer catches a throw from the file's data or end handler and, without one, drops it.
   *
   * @return whether the stream has such a buffer and it was set
   */
  static boolean readBufferExceptionHandler(Object stream, Handler<Throwable> handler) {
    Object buffer = read(QUEUE_FIELD, stream);
    if (buffer instanceof InboundBuffer<?> inbound) {
      inbound.exceptionHandler(handler);
      return true;
    }
    return false;
  }

  /**
   * Whether the error being reported to a context's exception handler right now comes from a stream that reported
   * its own failure ({@code AsyncFileImpl.handleException} without an exception handler set) rather than from a
   * throw that Vert.x caught while dispatching a handler or a future listener. Call it from the exception handler
   * only: it walks the few frames above {@code reportException}.
   *
   * <p>A stream reports only the failure of a read or write of the JDK's {@code AsynchronousFileChannel}, and that is
   * always an {@link IOException}: any other error is a throw, told apart without the walk (it costs a failing
   * request more than the rest of the routing).
   *
   * @param error the error being reported
   */
  static boolean reportedByStream(Throwable error) {
    if (!(error instanceof IOException)) {
      return false;
    }
    return STACK.walk(frames -> frames
      .filter(frame -> !frame.getClassName().startsWith("dev.vertxdomains.domain.")
        && !frame.getMethodName().equals("reportException"))
      .limit(1)
      .anyMatch(frame -> frame.getClassName().startsWith("io.vertx.")
        && frame.getMethodName().equals("handleException")));
  }

  private static final StackWalker STACK = StackWalker.getInstance();

  private static Object read(ClassValue<Optional<Field>> fields, Object target) {
    Optional<Field> field = fields.get(target.getClass());
    if (field.isEmpty()) {
      return null;
    }
    try {
      return field.get().get(target);
    } catch (IllegalAccessException | RuntimeException e) {
      return null;
    }
  }

  /** Per class, its field {@code name} declared by Vert.x (the class's first {@code io.vertx} ancestor or above). */
  private static ClassValue<Optional<Field>> fieldsNamed(String name) {
    return new ClassValue<>() {
      @Override
      protected Optional<Field> computeValue(Class<?> type) {
        Class<?> c = type;
        while (c != null && !c.getName().startsWith("io.vertx.")) {
          c = c.getSuperclass();
        }
        return c == null ? Optional.empty() : Optional.ofNullable(InternalReach.findField(c, name));
      }
    };
  }
}
