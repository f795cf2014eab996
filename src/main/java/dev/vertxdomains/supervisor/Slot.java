package dev.vertxdomains.supervisor;

import dev.vertxdomains.domain.DomainError;
import dev.vertxdomains.domain.InternalReach;
import dev.vertxdomains.supervisor.spi.Drain;
import dev.vertxdomains.supervisor.spi.FaultLog;
import dev.vertxdomains.supervisor.spi.Generation;
import dev.vertxdomains.supervisor.spi.SlotScope;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * One verticle instance of a supervised deployment (a worker), deployed as one instance of it. It runs the user's
 * verticle as a series of generations, each on a context of its own on the slot's event loop: when a generation's
 * top-level domain receives an error, the next generation starts at once and takes the new work, while the old one
 * finishes its work in flight and is undeployed; a crash or a failed start restarts with backoff. What outlives
 * generations (listeners, consumers) lives in the slot, which is their {@link SlotScope}.
 * <p>
 * The slot's life is one value, {@link SlotState}, changed only by {@link #fire}, which applies
 * {@link SlotState#next} and publishes the transition's event. The slot's own work runs on its event-loop context
 * ({@link #home()}); the watchdog fires {@link SlotState.Blocked} from its own thread, because the blocked loop cannot
 * take it, so {@link #fire} is serialized rather than confined. The loop's watch and the stand-in are in
 * {@link StuckLoop}; the give-up action is the deployment's ({@link SupervisedDeployment#giveUp}).
 */
final class Slot implements Deployable, SlotScope {

  private static final Logger LOG = LoggerFactory.getLogger(Slot.class);

  final SupervisedDeployment group;
  private final Promise<Void> firstStart = Promise.promise();
  /** Replaced generations finishing their work in flight. */
  private final Retiring retiring = new Retiring(this);
  private final Map<Object, Object> resources = new ConcurrentHashMap<>();
  private final List<Function<Drain, Future<?>>> closeParticipants = new CopyOnWriteArrayList<>();
  /** Told to stop ({@code true}) or resume taking new work: when the loop is stuck, or the intake paused. */
  private final List<Handler<Boolean>> intakeListeners = new CopyOnWriteArrayList<>();
  private final Object intakeLock = new Object();
  /** What the intake listeners were last told: open or not (guarded by {@link #intakeLock}). */
  private boolean intakeOpen = true;
  private final HoldQueue held = new HoldQueue(this);
  final StuckLoop loop;
  /** The slot's life: written by {@link #fire} only. */
  private volatile SlotState state = SlotState.INITIAL;
  /** The context Vert.x gave the slot (the user's threading model); generations are built from it. */
  Context slotContext;
  /** The slot's event-loop context, where its work runs. */
  private Context home;
  Vertx vertx;
  private int index;
  private int generations;
  private int backoffAttempt;
  private volatile long restarts;
  /** The last error of any generation of this slot (type and message), shown for its replacement too. */
  volatile String lastError;

  Slot(SupervisedDeployment group) {
    this(group, null);
  }

  Slot(SupervisedDeployment group, Slot standsInFor) {
    this.group = group;
    this.loop = new StuckLoop(this, standsInFor);
  }

  @Override
  public String id() {
    return group.deploymentId() + "/" + index;
  }

  long restarts() {
    return restarts;
  }

  Context home() {
    return home;
  }

  SlotState state() {
    return state;
  }

  @Override
  public Context context() {
    return home;
  }

  @Override
  public SlotGeneration serving() {
    return state.serving();
  }

  @Override
  public Slot standsInFor() {
    return loop.standsInFor();
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T resource(Object key, Function<SlotScope, T> factory) {
    return (T) resources.computeIfAbsent(key, k -> factory.apply(this));
  }

  @Override
  public Slot onClose(Function<Drain, Future<?>> participant) {
    closeParticipants.add(java.util.Objects.requireNonNull(participant, "participant"));
    return this;
  }

  @Override
  public Slot onStuck(Handler<Boolean> listener) {
    intakeListeners.add(java.util.Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /** Places the slot on {@code context} (Vert.x's, or a free loop's for a stand-in) and joins its deployment. */
  void place(Context context) {
    this.slotContext = context;
    this.home = SupervisorInternals.eventLoopContext(context);
    this.vertx = context.owner();
    this.index = group.join(this, context);
  }

  // ----------------------------------------------------------------------------------------------------------------
  // The one writer of the slot's state

  /**
   * Applies {@code event} to the slot's state ({@link SlotState#next}) and, when the transition changes what the slot
   * reports for its generation, publishes the one event that says so. Serialized: the slot's context and the
   * watchdog's thread both fire.
   *
   * @return whether the state changed
   */
  synchronized boolean fire(SlotState.Event event, Throwable error, JsonObject extra) {
    SlotState before = state;
    SlotState after = SlotState.next(before, event);
    if (after == before) {
      return false;
    }
    state = after;
    SlotGeneration generation = after.phase().generation();
    WorkerState shown = SlotState.shown(after);
    if (generation == null || shown == null) {
      return true;
    }
    // A replaced generation's own state is its retirement's; the slot still reports its backoff and its give-up.
    boolean own = !generation.retired() || event instanceof SlotState.GiveUp;
    if (own) {
      generation.state(shown);
    }
    boolean changed = generation != before.phase().generation() || shown != SlotState.shown(before);
    if ((own || event instanceof SlotState.BackOff) && (changed || error != null)) {
      publish(generation.info(shown), error, extra);
    }
    return true;
  }

  private boolean fire(SlotState.Event event) {
    return fire(event, null, null);
  }

  /**
   * Tells the intake listeners (listeners, consumers) to take new work again or to stop taking it, as the slot's
   * state says now, when that is not what they were last told. Serialized and read under one lock: of two transitions
   * that race (a pause from the cluster's watch thread, a resume on the slot's context), the listeners end with the
   * state of the later one.
   */
  void syncIntake() {
    synchronized (intakeLock) {
      boolean open = state.intake().open();
      if (open != intakeOpen) {
        intakeOpen = open;
        intakeListeners.forEach(listener -> listener.handle(!open));
      }
    }
  }

  /** Tells the intake listeners to stop taking new work before the state says so (see {@link StuckLoop}). */
  void closeIntake() {
    synchronized (intakeLock) {
      if (intakeOpen) {
        intakeOpen = false;
        intakeListeners.forEach(listener -> listener.handle(true));
      }
    }
  }

  /**
   * Stops ({@code true}) or resumes the slot's intake of new work, as for a stuck loop but without a stand-in: its
   * listeners leave their ports and its consumers their addresses. Resuming waits for the loop, and for it to run.
   */
  void pauseIntake(boolean pause) {
    if (pause) {
      if (fire(new SlotState.Pause(true))) {
        syncIntake();
      }
      return;
    }
    Context on = home;
    if (on != null) {
      on.runOnContext(v -> {
        if (fire(new SlotState.Pause(false))) {
          syncIntake();
        }
      });
    }
  }

  /** Snapshots of the slot's generation and of those still draining. */
  List<WorkerInfo> infos() {
    List<WorkerInfo> infos = new ArrayList<>(2);
    SlotState now = state;
    SlotGeneration generation = now.phase().generation();
    boolean failed = now.phase() instanceof SlotState.Failed;
    if (generation != null && SlotState.shown(now) != null && (failed || !generation.retired())) {
      infos.add(generation.info());
    }
    for (SlotGeneration old : retiring.snapshot()) {
      if (old != generation || !failed) {
        infos.add(old.info());
      }
    }
    return infos;
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Deployment and graceful end

  @Override
  public Future<?> deploy(Context context) {
    place(context);
    group.admitted().onComplete(ar -> home.runOnContext(v -> {
      loop.ranOn(Thread.currentThread());
      if (ar.succeeded()) {
        startGeneration();
      } else {
        fire(new SlotState.End());
        group.leave(this, vertx);
        firstStart.tryFail(ar.cause());
      }
    }));
    return firstStart.future();
  }

  @Override
  public Future<?> undeploy(Context context) {
    Future<Void> standInEnded = loop.endStandIn();
    Promise<Void> done = Promise.promise();
    home.runOnContext(v -> shutdown(done));
    return Future.join(done.future(), standInEnded);
  }

  /** The slot's own graceful end (see {@link SlotEnd}). */
  void shutdown(Promise<Void> done) {
    new SlotEnd(this, closeParticipants, held, retiring).run(done);
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Hand-off of new work

  @Override
  public void dispatch(Handler<Generation> task, Handler<Long> rejected) {
    held.dispatch(java.util.Objects.requireNonNull(task, "task"), java.util.Objects.requireNonNull(rejected,
      "rejected"));
  }

  long retryAfterSeconds() {
    long until = state.phase() instanceof SlotState.BackingOff off ? off.untilMillis() : 0;
    return Math.max(1, (until - System.currentTimeMillis() + 999) / 1000);
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Generations

  /** Starts the next generation; it takes new work as soon as its start completes. */
  void startGeneration() {
    if (state.stopping() || group.gaveUp()) {
      return;
    }
    SlotGeneration generation = new SlotGeneration(this, ++generations);
    fire(new SlotState.Start(generation));
    Deployable verticle;
    try {
      verticle = instantiate();
    } catch (Throwable t) {
      onFailedStart(generation, t);
      return;
    }
    generation.start(slotContext, verticle).onComplete(ar -> SupervisorInternals.emit(home, null, v -> {
      if (ar.failed()) {
        onFailedStart(generation, ar.cause());
      } else if (fire(new SlotState.Started(generation))) {
        group.ran();
        firstStart.tryComplete();
        held.flushTo(generation);
      }
    }));
  }

  private Deployable instantiate() {
    try {
      return group.factory.call();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("could not create " + group.verticleName + ": " + e, e);
    }
  }

  private void onFailedStart(SlotGeneration generation, Throwable cause) {
    lastError = describe(cause);
    // A Vert.x without an internal the library needs fails the same way every time: no retry.
    RestartPolicy.Facts facts = new RestartPolicy.Facts(RestartPolicy.Fault.FAILED_START, false, 0, group.everRan(),
      cause instanceof InternalReach.Missing);
    boolean failAtOnce = group.failsDeployment(facts);
    // Failing at once, the deployment's caller (the launcher: one line) reports it.
    log(generation, null, () -> {
      if (failAtOnce) {
        LOG.debug("Worker {} of {} failed its first start: {}", id(), group.verticleName, cause.toString());
      } else {
        LOG.warn("Worker {} of {} failed to start: {}", id(), group.verticleName, cause.toString());
      }
    });
    if (state.stopping()) {
      return;
    }
    RestartPolicy.Decision decision = group.decide(facts, backoffAttempt);
    backoffAttempt = decision.nextBackoffAttempt();
    switch (decision.action()) {
      case FAIL_DEPLOYMENT -> {
        fire(new SlotState.End(), cause, null);
        if (firstStart.tryFail(cause)) {
          group.leave(this, vertx); // Vert.x never undeploys a slot whose start failed
        }
      }
      case GIVE_UP -> group.giveUp(cause, this, firstStart.future().isComplete());
      default -> replace(generation, decision.delayMillis(), cause);
    }
  }

  /** Called on the generation's context when its top-level domain receives an error. */
  void onError(SlotGeneration generation, DomainError error) {
    String what = MDC.get(FaultLog.WHAT);
    // On the slot's context, so that the timers it sets are the slot's, not the failed generation's.
    SupervisorInternals.emit(home, error, e -> handleError(generation, e, what));
  }

  private void handleError(SlotGeneration generation, DomainError error, String what) {
    SlotState.Phase phase = state.phase();
    WorkerState shown = generation.state();
    String in = what == null ? "" : " in " + what;
    if (phase.generation() != generation || !(phase instanceof SlotState.Starting || phase instanceof SlotState.Serving)) {
      // The generation is already being replaced: keep the error that caused that as the slot's last error.
      log(generation, error, () -> FaultLog.info(LOG, error.cause(), "Worker {} generation {} is already {}; "
        + "error{} not counted: {}", id(), generation.generation(), generation.retired() ? shown.label() : "replaced",
        in, FaultLog.describe(error.cause())));
      return;
    }
    lastError = describe(error.cause());
    boolean requestError = !error.domain().isTopLevel();
    restarts++;
    log(generation, error, () -> FaultLog.warn(LOG, error.cause(), "Recycling worker {} (generation {}) of {} after {} "
        + "error{}: {}", id(), generation.generation(), group.verticleName, requestError ? "a request" : "an instance",
      in, FaultLog.describe(error.cause())));
    // A request error was confined to one request, already answered: replaced at once, not counted as a crash.
    RestartPolicy.Facts facts = new RestartPolicy.Facts(requestError ? RestartPolicy.Fault.REQUEST_ERROR
      : RestartPolicy.Fault.INSTANCE_ERROR, shown == WorkerState.RUNNING || shown == WorkerState.PAUSED,
      generation.uptimeMillis(), true, false);
    retire(generation);
    RestartPolicy.Decision decision = group.decide(facts, backoffAttempt);
    backoffAttempt = decision.nextBackoffAttempt();
    if (decision.action() == RestartPolicy.Action.GIVE_UP) {
      group.giveUp(error.cause(), this, firstStart.future().isComplete());
    } else {
      replace(generation, decision.delayMillis(), null);
    }
  }

  /** Starts the next generation after {@code failed}: at once, or when a backoff of {@code delay} ms is over. */
  private void replace(SlotGeneration failed, long delay, Throwable cause) {
    if (delay <= 0 && cause == null) {
      startGeneration();
      return;
    }
    // A failed start is always reported, with its error, by a backoff (of 0 ms when the next starts at once).
    long until = System.currentTimeMillis() + Math.max(0, delay);
    long timer = delay <= 0 ? -1 : vertx.setTimer(delay, id -> startGeneration());
    boolean backingOff = fire(new SlotState.BackOff(failed, timer, until), cause, new JsonObject()
      .put("backoffMillis", Math.max(0, delay)));
    if (!backingOff && timer >= 0) {
      vertx.cancelTimer(timer);
    } else if (backingOff && timer < 0) {
      startGeneration();
    }
  }

  /** Retires {@code generation}: it takes no new work; it finishes its work in flight, then it is undeployed. */
  private void retire(SlotGeneration generation) {
    generation.retire();
    fire(new SlotState.Retire(generation));
    retiring.add(generation);
  }

  /** The deployment gave up ({@link SupervisedDeployment#giveUp}): on the slot's context. */
  void markFailed(RuntimeException failure) {
    SlotState before = state;
    lastError = describe(failure);
    if (fire(new SlotState.GiveUp(failure), failure, null)) {
      if (before.phase() instanceof SlotState.BackingOff off && off.timer() >= 0) {
        vertx.cancelTimer(off.timer());
      }
      SlotGeneration generation = state.phase().generation();
      if (generation != null && !(failure instanceof SupervisorHandedOffException)) {
        // It runs nowhere now: keep it visible, with the reason, after the deployment is gone.
        Supervisor.keepFailed(vertx, generation.info());
      }
    }
    held.rejectAll();
    // A deployment that never fully started fails, so whoever deployed it hears why. Vert.x then never undeploys this
    // slot (its start failed), so it leaves its group itself.
    if (firstStart.tryFail(failure)) {
      group.leave(this, vertx);
    }
  }

  static String describe(Throwable error) {
    return error.getClass().getName() + (error.getMessage() != null ? ": " + error.getMessage() : "");
  }

  void publish(WorkerInfo info, Throwable error, JsonObject extra) {
    JsonObject event = info.toJson().put("type", "state");
    if (error != null) {
      event.put("error", describe(error));
    }
    if (extra != null) {
      event.mergeIn(extra);
    }
    Supervisor.publish(vertx, event);
  }

  void log(SlotGeneration generation, DomainError error, Runnable statement) {
    try (MDC.MDCCloseable d = MDC.putCloseable("deployment", group.deploymentId());
         MDC.MDCCloseable w = MDC.putCloseable("worker", id() + "#" + generation.generation());
         MDC.MDCCloseable m = MDC.putCloseable("domain", error != null ? error.domain().id() : null)) {
      statement.run();
    }
  }
}
