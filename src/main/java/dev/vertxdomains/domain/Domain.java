package dev.vertxdomains.domain;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetServer;
import io.vertx.core.streams.StreamBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * An error domain: Node.js's {@code domain} on the Vert.x context.
 * <p>
 * A domain rides on a duplicated Vert.x context that carries it in context-local data. Code run in the domain,
 * and everything that code starts on that context (timers, future callbacks, event-bus replies, HTTP client
 * responses, {@code executeBlocking}, file-system callbacks), belongs to the domain: an error thrown there reaches
 * the domain's {@linkplain #errorHandler error handler} instead of the verticle's, with no extra code at the call
 * sites. Two Vert.x calls leave the context behind and need {@link #bind}: {@code vertx.setPeriodic} (every tick
 * runs on a fresh context; {@link #setPeriodic} does it for you) and callbacks attached to a future that was created
 * on another context (they run on that future's context).
 * <p>
 * Errors go up by explicit parent link: a domain without a handler, or whose handler throws, passes the error to its
 * {@linkplain #parent parent}; a domain without a parent passes it to the {@linkplain #topLevel top-level domain} of
 * the verticle instance where it happened, which is where a supervisor listens to recycle the instance. Without one,
 * the top-level domain hands the error to the context's own exception handler, then to
 * {@code Vertx.exceptionHandler()}, and otherwise logs it.
 * <p>
 * A domain is confined like other Vert.x objects: create it, run it and change its members from Vert.x threads;
 * {@link #report} and bound handlers may be called from any thread.
 */
public final class Domain {

  private static final Logger LOG = LoggerFactory.getLogger(Domain.class);
  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final ErrorRouter topLevelOf;
  private volatile Domain parent;
  private volatile Handler<DomainError> errorHandler;
  private String id;
  /** This domain's duplicated context on the root where it first ran; reused by later runs there. */
  private Context context;
  private List<Object> members;

  private Domain(Domain parent) {
    this.parent = parent;
    this.topLevelOf = null;
  }

  Domain(ErrorRouter topLevelOf) {
    this.topLevelOf = topLevelOf;
  }

  /**
   * Creates a domain whose parent is the {@linkplain #active() active} domain, if any.
   *
   * @return the new domain
   */
  public static Domain create() {
    return new Domain(active());
  }

  /**
   * Creates a domain with an explicit parent.
   *
   * @param parent the domain that receives the errors this one does not handle, or {@code null} for none
   * @return the new domain
   */
  public static Domain create(Domain parent) {
    return new Domain(parent);
  }

  /**
   * The domain of the code running now (Node's {@code process.domain}).
   *
   * @return the active domain, or {@code null} outside any domain or off Vert.x threads
   */
  public static Domain active() {
    Context current = VertxInternals.current();
    return current == null ? null : current.getLocal(DomainServiceProvider.DOMAIN);
  }

  /**
   * The top-level domain of the verticle instance that owns {@code context}: it receives every error that no
   * domain handled, and errors thrown outside any domain. Calling this installs the domain error routing on the
   * instance if it was not installed yet.
   *
   * @param context any context of the instance (its root or a duplicate)
   * @return the instance's top-level domain
   */
  public static Domain topLevel(Context context) {
    Objects.requireNonNull(context, "context");
    return ErrorRouter.of(context).topLevel();
  }

  /**
   * A short id for logs ({@code domain-17}, or {@code instance-3} for a top-level domain).
   *
   * @return this domain's id
   */
  public String id() {
    String value = id;
    if (value == null) {
      value = (topLevelOf != null ? "instance-" : "domain-") + SEQUENCE.incrementAndGet();
      id = value;
    }
    return value;
  }

  /**
   * The domain that receives the errors this one does not handle.
   *
   * @return the parent, or {@code null}
   */
  public Domain parent() {
    return parent;
  }

  /**
   * Whether this is the top-level domain of a verticle instance.
   *
   * @return {@code true} for a top-level domain
   */
  public boolean isTopLevel() {
    return topLevelOf != null;
  }

  /**
   * Sets the error handler (Node's {@code domain.on('error')}). It runs outside this domain: while it runs, the
   * active domain is the parent (or none). If it throws, the new error goes to the parent. Set {@code null} to pass
   * every error to the parent.
   *
   * @param handler the handler, or {@code null}
   * @return this domain
   */
  public Domain errorHandler(Handler<DomainError> handler) {
    this.errorHandler = handler;
    return this;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Running code in the domain

  /**
   * Runs {@code task} in this domain, now, on the calling thread. A throw reaches the error handler (with
   * {@code thrown == true}) instead of the caller.
   *
   * @param task the code to run
   * @throws IllegalStateException when called outside a Vert.x context
   */
  public void run(Runnable task) {
    Objects.requireNonNull(task, "task");
    Context on = enterOn(requireContext("run"));
    Context previous = VertxInternals.begin(on);
    try {
      task.run();
    } catch (Throwable thrown) {
      deliver(new DomainError(thrown, this, null, null, true));
    } finally {
      VertxInternals.end(on, previous);
    }
  }

  /**
   * Runs {@code task} in this domain and returns its value (Node's {@code domain.run} returning {@code fn}'s value).
   *
   * @param task the code to run; it may throw checked exceptions
   * @param <T>  the value's type
   * @return the task's value, or {@code null} when it threw (the error went to the domain)
   * @throws IllegalStateException when called outside a Vert.x context
   */
  public <T> T call(Callable<T> task) {
    Objects.requireNonNull(task, "task");
    Context on = enterOn(requireContext("call"));
    Context previous = VertxInternals.begin(on);
    try {
      return task.call();
    } catch (Throwable thrown) {
      deliver(new DomainError(thrown, this, null, null, true));
      return null;
    } finally {
      VertxInternals.end(on, previous);
    }
  }

  /**
   * Runs {@code function} on {@code argument} in this domain and returns its value (Node's
   * {@code domain.run(fn, ...args)}).
   *
   * @param function the code to run
   * @param argument passed to the function unchanged
   * @param <A>      the argument's type
   * @param <T>      the value's type
   * @return the function's value, or {@code null} when it threw (the error went to the domain)
   * @throws IllegalStateException when called outside a Vert.x context
   */
  public <A, T> T call(Function<A, T> function, A argument) {
    Objects.requireNonNull(function, "function");
    return call(() -> function.apply(argument));
  }

  /**
   * Enters this domain (Node's {@code domain.enter()}): until {@link #exit()}, or until the current event ends,
   * this domain is active and everything started belongs to it.
   *
   * @throws IllegalStateException when called outside a Vert.x context
   */
  public void enter() {
    DomainStack.push(this, enterOn(requireContext("enter")));
  }

  /**
   * Exits this domain (Node's {@code domain.exit()}): pops it and every domain entered after it. Does nothing when
   * this domain is not on the stack of the current event.
   */
  public void exit() {
    DomainStack.pop(this);
  }

  /**
   * Makes a duplicated context that Vert.x created for one request or message carry this domain, so the handler
   * already running on it, and everything it starts, belongs to the domain without another context. This is how
   * the HTTP and event-bus integrations give each request a domain for free.
   *
   * A context on which {@link #add} put this domain's parent (one message of an added event-bus consumer, an added
   * request) may be given this domain instead: the domain nests in the one there, as a per-message domain of the
   * event-bus integration does inside a consumer added to a domain.
   *
   * @param context a duplicated context that carries no other domain
   * @return this domain
   * @throws IllegalArgumentException when {@code context} is a root context, or carries another domain (other than
   *                                  the parent, put there by {@code add})
   */
  public Domain attach(Context context) {
    Objects.requireNonNull(context, "context");
    if (!VertxInternals.isDuplicate(context)) {
      throw new IllegalArgumentException("context: must be a duplicated context (one per request or message), "
        + "not a verticle's root context");
    }
    Domain existing = context.getLocal(DomainServiceProvider.DOMAIN);
    if (existing != null && existing != this && (existing != parent || existing.context == context)) {
      throw new IllegalArgumentException("context: already carries " + existing.id());
    }
    context.putLocal(DomainServiceProvider.DOMAIN, this);
    ErrorRouter.of(context);
    if (this.context == null) {
      this.context = context;
    }
    return this;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Explicit binding

  /**
   * Wraps {@code handler} so that it always runs in this domain, wherever it is called from (Node's
   * {@code domain.bind}). On a Vert.x thread it runs at once; on any other thread it is sent to this domain's
   * context. A throw reaches this domain with {@code thrown == true}.
   *
   * @param handler the handler to wrap
   * @param <T>     the event type
   * @return the bound handler
   */
  public <T> Handler<T> bind(Handler<T> handler) {
    Objects.requireNonNull(handler, "handler");
    Context home = VertxInternals.current();
    return event -> invokeBound(home, handler, event, null);
  }

  /**
   * Wraps a plain {@link Runnable} (for executors and other non-Vert.x callbacks) like {@link #bind(Handler)}.
   *
   * @param task the task to wrap
   * @return the bound task
   */
  public Runnable bind(Runnable task) {
    Objects.requireNonNull(task, "task");
    Handler<Void> bound = bind(ignored -> task.run());
    return () -> bound.handle(null);
  }

  /**
   * Node's {@code domain.intercept}: Node's {@code (err, data)} callback is Vert.x's {@link AsyncResult}. A failed
   * result goes to this domain (with {@link DomainError#bound()} set to {@code handler} and {@code thrown == false})
   * and the handler is skipped; a succeeded one calls the handler, bound to this domain, with the value.
   *
   * @param handler what to do with a successful value
   * @param <T>     the value's type
   * @return a handler for {@code future.onComplete(...)} and other {@code AsyncResult} callbacks
   */
  public <T> Handler<AsyncResult<T>> intercept(Handler<T> handler) {
    Objects.requireNonNull(handler, "handler");
    Context home = VertxInternals.current();
    return result -> {
      if (result.failed()) {
        deliver(new DomainError(result.cause(), this, null, handler, false));
      } else {
        invokeBound(home, handler, result.result(), null);
      }
    };
  }

  /**
   * {@link #intercept(Handler)} for a future: {@code domain.intercept(fs.readFile(path), data -> ...)}.
   *
   * @param future  the future to watch
   * @param handler what to do with its value, in this domain
   * @param <T>     the value's type
   * @return {@code future}, for chaining
   */
  public <T> Future<T> intercept(Future<T> future, Handler<T> handler) {
    Objects.requireNonNull(future, "future");
    future.onComplete(intercept(handler));
    return future;
  }

  /**
   * Opt-in unhandled-failure reporting (Node's unhandled rejections in a domain). Returns a future that completes
   * like {@code future}; if it fails and nobody has attached a listener to the returned future by the end of the
   * event in which it failed, the failure goes to this domain with {@code thrown == false}. Attach your handlers to
   * the returned future, not to {@code future}.
   *
   * @param future the future to watch
   * @param <T>    the value's type
   * @return the watched future
   * @throws IllegalStateException when called outside a Vert.x context and this domain has never run
   */
  public <T> Future<T> watch(Future<T> future) {
    Objects.requireNonNull(future, "future");
    Context current = VertxInternals.current();
    Context on = current != null ? enterOn(current) : context;
    if (on == null) {
      throw new IllegalStateException("Domain.watch() needs a Vert.x context: call it from a verticle, a handler "
        + "or vertx.runOnContext(...)");
    }
    return VertxInternals.watch(on, future, cause -> deliver(new DomainError(cause, this, null, null, false)));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Members

  /**
   * Adds a stream (an HTTP request or response, a WebSocket, a {@code NetSocket}, an {@code AsyncFile}, an event-bus
   * consumer, any {@code ReadStream} or {@code WriteStream}) (Node's {@code domain.add(emitter)}). Its exceptions
   * reach this domain with {@link DomainError#emitter()} set and {@code thrown == false}; setting the stream's own
   * exception handler afterwards takes them back (own listener wins). Adding a member twice does nothing.
   * <p>
   * Throws from the stream's handlers reach this domain with {@code emitter()} set and {@code thrown == true}, as
   * far as Vert.x lets us:
   * <ul>
   *   <li>an HTTP server request, its response and its file uploads, and a server WebSocket, run all their handlers
   *       on a context of their own (one per request or WebSocket): unless that context already carries another
   *       domain, it is put in this domain, so every handler, set before or after {@code add}, runs in this domain
   *       (and so does the rest of the code on that context, the request handler included);</li>
   *   <li>an event-bus consumer runs each message on a fresh context: its current handler is wrapped so that each
   *       message runs in this domain. A handler set after {@code add} is not wrapped: set it first;</li>
   *   <li>an {@code AsyncFile}: throws from its data and end handlers (which Vert.x 5.0.10 otherwise drops) reach
   *       this domain; its other handlers run on the context that opened it;</li>
   *   <li>an HTTP client request or response, a client WebSocket and a {@code NetSocket} run their handlers on the
   *       context that created them (or, for an accepted socket, the server's), shared with other code: their throws
   *       go to that context's domain. Create them inside {@link #run}, or {@link #bind} their handlers.</li>
   * </ul>
   *
   * @param stream the emitter
   * @param <S>    its type
   * @return {@code stream}
   * @throws IllegalStateException when the running Vert.x lacks an internal this kind of emitter needs (the message
   *                               names the Vert.x version and the emitter; see {@link InternalReach})
   */
  public <S extends StreamBase> S add(S stream) {
    Objects.requireNonNull(stream, "stream");
    requireReach(stream);
    if (addMember(stream)) {
      stream.exceptionHandler(emitterHandler(stream));
      bindHandlers(stream);
    }
    return stream;
  }

  /**
   * Adds an HTTP server: its connection-level exceptions reach this domain.
   *
   * @param server the server
   * @return {@code server}
   */
  public HttpServer add(HttpServer server) {
    if (addMember(server)) {
      server.exceptionHandler(emitterHandler(server));
    }
    return server;
  }

  /**
   * Adds a TCP server: its exceptions reach this domain.
   *
   * @param server the server
   * @return {@code server}
   */
  public NetServer add(NetServer server) {
    if (addMember(server)) {
      server.exceptionHandler(emitterHandler(server));
    }
    return server;
  }

  /**
   * Adds an HTTP connection: its exceptions reach this domain.
   *
   * @param connection the connection
   * @return {@code connection}
   */
  public HttpConnection add(HttpConnection connection) {
    if (addMember(connection)) {
      connection.exceptionHandler(emitterHandler(connection));
    }
    return connection;
  }

  /**
   * Makes {@code child} a child of this domain (Node's {@code parent.add(child)}): the errors the child does not
   * handle, or that its handler throws, come here.
   *
   * @param child the child domain
   * @return {@code child}
   */
  public Domain add(Domain child) {
    Objects.requireNonNull(child, "child");
    if (child == this || child.isTopLevel()) {
      throw new IllegalArgumentException("child: a domain cannot be its own child, and a top-level domain has no parent");
    }
    if (addMember(child)) {
      child.parent = this;
    }
    return child;
  }

  /**
   * A one-shot timer owned by this domain: its id is a {@linkplain #members member} until it fires, and its
   * handler runs in this domain.
   *
   * @param delay   milliseconds, at least 1
   * @param handler called with the timer id
   * @return the timer id
   */
  public long setTimer(long delay, Handler<Long> handler) {
    Objects.requireNonNull(handler, "handler");
    Context on = enterOn(requireContext("setTimer"));
    Context previous = VertxInternals.begin(on);
    try {
      long timerId = on.owner().setTimer(delay, fired -> {
        removeMember(fired);
        handler.handle(fired);
      });
      addMember(timerId);
      return timerId;
    } finally {
      VertxInternals.end(on, previous);
    }
  }

  /**
   * A periodic timer owned by this domain: every tick runs in this domain (plain {@code vertx.setPeriodic} runs each
   * tick on a fresh context, outside any domain). Its id stays a member until {@link #remove removed}, which
   * cancels it.
   *
   * @param delay   milliseconds between ticks, at least 1
   * @param handler called with the timer id on every tick
   * @return the timer id
   */
  public long setPeriodic(long delay, Handler<Long> handler) {
    Context current = requireContext("setPeriodic");
    long timerId = current.owner().setPeriodic(delay, bind(handler));
    addMember(timerId);
    return timerId;
  }

  /**
   * Removes a member (Node's {@code domain.remove}): a stream, server or connection gets its exception handler
   * cleared, so its later errors no longer reach this domain, and a stream's handlers leave the domain as {@link #add}
   * put them there (its own context leaves the domain if {@code add} had put it there, a consumer gets its handler
   * back unwrapped, a file's read buffer loses its exception handler); a timer owned by this domain is cancelled; a
   * child domain loses its parent.
   *
   * @param member the member to remove
   * @return whether it was a member
   */
  public boolean remove(Object member) {
    if (!removeMember(member)) {
      return false;
    }
    if (member instanceof StreamBase stream) {
      stream.exceptionHandler(null);
      unbindHandlers(stream);
    } else if (member instanceof HttpServer server) {
      server.exceptionHandler(null);
    } else if (member instanceof NetServer server) {
      server.exceptionHandler(null);
    } else if (member instanceof HttpConnection connection) {
      connection.exceptionHandler(null);
    } else if (member instanceof Domain child) {
      child.parent = null;
    } else if (member instanceof Long timerId) {
      Context on = context != null ? context : VertxInternals.current();
      if (on != null) {
        on.owner().cancelTimer(timerId);
      }
    }
    return true;
  }

  /**
   * The members, in the order they were added (Node's {@code domain.members}).
   *
   * @return a snapshot of the members
   */
  public List<Object> members() {
    List<Object> current = members;
    return current == null ? List.of() : List.copyOf(current);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Errors

  /**
   * Reports an error to this domain as if an emitter had raised it (Node's {@code domain.emit('error', err)}):
   * {@code thrown == false}. May be called from any thread.
   *
   * @param error the error
   */
  public void report(Throwable error) {
    Objects.requireNonNull(error, "error");
    deliver(new DomainError(error, this, null, null, false));
  }

  /**
   * Passes {@code error} on as if this domain had no handler: to the parent, or to the top-level domain of the
   * instance. For error handlers that answer the failure themselves and still want it known above, which is how
   * the HTTP and event-bus integrations tell the supervisor to recycle an instance.
   *
   * @param error the error, usually the one the handler received
   */
  public void escalate(DomainError error) {
    Objects.requireNonNull(error, "error");
    Domain target = escalationTarget(VertxInternals.current());
    if (target != null) {
      target.deliver(error);
    } else {
      logUnhandled(error);
    }
  }

  @Override
  public String toString() {
    return "Domain[" + id() + "]";
  }

  /** Delivers {@code error} to this domain's handler, or up the parent chain. */
  void deliver(DomainError error) {
    Context current = VertxInternals.current();
    Context home = context;
    if (current == null && home != null && !VertxInternals.inThread(home)) {
      home.runOnContext(ignored -> deliver(error));
      return;
    }
    Handler<DomainError> handler = errorHandler;
    if (handler == null) {
      if (topLevelOf != null) {
        unhandledAtTopLevel(error);
      } else {
        Domain target = escalationTarget(current);
        if (target != null) {
          target.deliver(error);
        } else {
          logUnhandled(error);
        }
      }
      return;
    }
    try {
      handleOutside(current, handler, error);
    } catch (Throwable thrownByHandler) {
      if (topLevelOf != null) {
        LOG.error("The top-level error handler of {} threw while handling {}", id(), error, thrownByHandler);
        return;
      }
      Domain target = escalationTarget(current);
      if (target != null) {
        target.deliver(new DomainError(thrownByHandler, target, null, null, true));
      } else {
        logUnhandled(new DomainError(thrownByHandler, this, null, null, true));
      }
    }
  }

  private void handleOutside(Context current, Handler<DomainError> handler, DomainError error) {
    if (current == null) {
      handler.handle(error);
      return;
    }
    Domain up = parent;
    Context outside = up != null ? up.enterOn(current) : VertxInternals.root(current);
    Context previous = VertxInternals.begin(outside);
    try {
      handler.handle(error);
    } finally {
      VertxInternals.end(outside, previous);
    }
  }

  private Domain escalationTarget(Context current) {
    Domain up = parent;
    if (up != null) {
      return up;
    }
    Context where = current != null ? current : context;
    return where != null ? ErrorRouter.of(where).topLevel() : null;
  }

  /**
   * The last resort without a top-level handler: the context's own exception handler, else
   * {@code vertx.exceptionHandler()}. Like a domain's error handler, it runs outside any domain (Node runs
   * {@code process.on('uncaughtException')} with no active domain): on the instance's root context, so that what it
   * schedules does not belong to the failed domain either.
   */
  private void unhandledAtTopLevel(DomainError error) {
    Handler<Throwable> fallback = topLevelOf.previous();
    if (fallback == null) {
      logUnhandled(error);
      return;
    }
    Context outside = VertxInternals.current() != null ? topLevelOf.root() : null;
    Context previous = outside != null ? VertxInternals.begin(outside) : null;
    try {
      fallback.handle(error.cause());
    } catch (Throwable t) {
      LOG.error("The exception handler of the context threw while handling {}", error, t);
    } finally {
      if (outside != null) {
        VertxInternals.end(outside, previous);
      }
    }
  }

  private static void logUnhandled(DomainError error) {
    LOG.error("Unhandled error in {} (thrown: {})", error.domain().id(), error.thrown(), error.cause());
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Internals

  /** This domain's context on the root of {@code current}, created (and the router installed) if needed. */
  Context enterOn(Context current) {
    Context root = VertxInternals.root(current);
    ErrorRouter.of(root);
    Context mine = context;
    if (mine != null && VertxInternals.root(mine) == root) {
      return mine;
    }
    Context created = VertxInternals.duplicate(root);
    created.putLocal(DomainServiceProvider.DOMAIN, this);
    if (mine == null) {
      context = created;
    }
    return created;
  }

  private <A> void invoke(Context on, Object bound, Handler<A> handler, A argument) {
    Context previous = VertxInternals.begin(on);
    try {
      handler.handle(argument);
    } catch (Throwable thrown) {
      deliver(new DomainError(thrown, this, null, bound, true));
    } finally {
      VertxInternals.end(on, previous);
    }
  }

  private <A> void invokeBound(Context home, Handler<A> handler, A argument, Object bound) {
    Context current = VertxInternals.current();
    if (current != null) {
      invoke(enterOn(current), bound, handler, argument);
      return;
    }
    Context base = home != null ? home : context;
    if (base != null) {
      enterOn(base).runOnContext(ignored -> invokeBound(home, handler, argument, bound));
      return;
    }
    try {
      handler.handle(argument);
    } catch (Throwable thrown) {
      deliver(new DomainError(thrown, this, null, bound, true));
    }
  }

  private Handler<Throwable> emitterHandler(Object emitter) {
    return error -> deliver(new DomainError(error, this, emitter, null, false));
  }

  /** Checks the Vert.x internals that binding {@code emitter}'s handlers needs, before anything is changed. */
  private static void requireReach(StreamBase emitter) {
    if (emitter instanceof io.vertx.core.http.HttpServerResponse || emitter instanceof io.vertx.core.http.ServerWebSocket
      || emitter instanceof io.vertx.core.http.HttpServerFileUpload) {
      VertxInternals.EMITTER_CONTEXT.require();
    } else if (emitter instanceof MessageConsumer<?>) {
      VertxInternals.CONSUMER_HANDLER.require();
    } else if (emitter instanceof io.vertx.core.file.AsyncFile) {
      VertxInternals.FILE_READ_BUFFER.require();
    }
  }

  /** Makes throws from {@code emitter}'s handlers reach this domain, as far as Vert.x lets us (see {@link #add}). */
  private void bindHandlers(StreamBase emitter) {
    Context own = VertxInternals.ownContext(emitter);
    if (own != null) {
      bindContext(own, emitter);
    } else if (emitter instanceof MessageConsumer<?> consumer) {
      wrapConsumer(consumer);
    } else {
      VertxInternals.readBufferExceptionHandler(emitter,
        thrown -> deliver(new DomainError(thrown, this, emitter, null, true)));
    }
  }

  private void unbindHandlers(StreamBase emitter) {
    Context own = VertxInternals.ownContext(emitter);
    if (own != null) {
      EmitterBinding binding = own.getLocal(DomainServiceProvider.EMITTER);
      if (binding == null || binding.domain != this || binding.emitter != emitter) {
        return;
      }
      Object next = null;
      List<Object> list = members;
      for (int i = 0; list != null && i < list.size() && next == null; i++) {
        Object other = list.get(i);
        if (other instanceof StreamBase && VertxInternals.ownContext(other) == own) {
          next = other;
        }
      }
      if (next != null) {
        binding.emitter = next;
      } else {
        own.removeLocal(DomainServiceProvider.EMITTER);
        if (binding.domainByAdd && own.getLocal(DomainServiceProvider.DOMAIN) == this) {
          own.removeLocal(DomainServiceProvider.DOMAIN);
        }
      }
    } else if (emitter instanceof MessageConsumer<?> consumer) {
      unwrapConsumer(consumer);
    } else {
      VertxInternals.readBufferExceptionHandler(emitter, null);
    }
  }

  /**
   * Puts the emitter's own context in this domain (unless it carries another one) and names the emitter there, so
   * that the {@link ErrorRouter} gives throws on that context this domain and this emitter.
   */
  private void bindContext(Context own, Object emitter) {
    Domain existing = own.getLocal(DomainServiceProvider.DOMAIN);
    if (existing != null && existing != this) {
      LOG.debug("{} runs its handlers on a context of {}: they stay there, only its exceptions come to {}",
        emitter.getClass().getSimpleName(), existing.id(), id());
      return;
    }
    if (existing == null) {
      own.putLocal(DomainServiceProvider.DOMAIN, this);
    }
    ErrorRouter.of(own);
    EmitterBinding binding = own.getLocal(DomainServiceProvider.EMITTER);
    if (binding == null || binding.domain != this) {
      own.putLocal(DomainServiceProvider.EMITTER, new EmitterBinding(this, emitter, existing == null));
    } else if (binding.emitter == null) {
      binding.emitter = emitter;
    }
  }

  private <T> void wrapConsumer(MessageConsumer<T> consumer) {
    Handler<Message<T>> handler = VertxInternals.consumerHandler(consumer);
    if (handler == null || handler instanceof MemberHandler<?>) {
      LOG.debug("{} has no handler to bind (or it cannot be read): set the handler before adding the consumer",
        consumer);
      return;
    }
    consumer.handler(new MemberHandler<>(this, consumer, handler));
  }

  private <T> void unwrapConsumer(MessageConsumer<T> consumer) {
    Handler<Message<T>> handler = VertxInternals.consumerHandler(consumer);
    if (handler instanceof MemberHandler<Message<T>> member && member.domain == this) {
      consumer.handler(member.handler);
    }
  }

  /**
   * The handler of an added emitter that runs each event on a fresh duplicated context (an event-bus consumer): puts
   * that context in the domain, naming the emitter, before calling the handler, so that a throw, and everything the
   * handler starts, belongs to the domain. A context that already carries a domain keeps it.
   */
  private static final class MemberHandler<T> implements Handler<T> {

    private final Domain domain;
    private final Object emitter;
    private final Handler<T> handler;

    MemberHandler(Domain domain, Object emitter, Handler<T> handler) {
      this.domain = domain;
      this.emitter = emitter;
      this.handler = handler;
    }

    @Override
    public void handle(T event) {
      Context current = VertxInternals.current();
      if (current != null && VertxInternals.isDuplicate(current)
        && current.getLocal(DomainServiceProvider.DOMAIN) == null) {
        current.putLocal(DomainServiceProvider.DOMAIN, domain);
        current.putLocal(DomainServiceProvider.EMITTER, new EmitterBinding(domain, emitter, true));
        ErrorRouter.of(current);
      }
      try {
        handler.handle(event);
      } catch (Throwable thrown) {
        // Routed here rather than left to Vert.x: 5.0 and 5.1 report it to the context, 5.2 swallows it.
        if (current != null) {
          ErrorRouter.of(current).route(thrown, true);
        } else {
          domain.deliver(new DomainError(thrown, domain, emitter, null, true));
        }
      }
    }
  }

  private boolean addMember(Object member) {
    Objects.requireNonNull(member, "member");
    List<Object> list = members;
    if (list == null) {
      list = new ArrayList<>(2);
      members = list;
    } else {
      for (Object existing : list) {
        if (existing == member || (member instanceof Long && member.equals(existing))) {
          return false;
        }
      }
    }
    list.add(member);
    return true;
  }

  private boolean removeMember(Object member) {
    List<Object> list = members;
    if (list == null) {
      return false;
    }
    for (int i = 0; i < list.size(); i++) {
      Object existing = list.get(i);
      if (existing == member || (member instanceof Long && member.equals(existing))) {
        list.remove(i);
        return true;
      }
    }
    return false;
  }

  private static Context requireContext(String operation) {
    Context current = VertxInternals.current();
    if (current == null) {
      throw new IllegalStateException("Domain." + operation + "() needs a Vert.x context: call it from a verticle, "
        + "a handler or vertx.runOnContext(...)");
    }
    return current;
  }
}
