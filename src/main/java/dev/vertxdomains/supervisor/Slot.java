package dev.vertxdomains.supervisor;

import dev.vertxdomains.domain.DomainError;
import dev.vertxdomains.domain.InternalReach;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The supervisor of one verticle instance slot, deployed as one instance of the supervised deployment. It runs the
 * user's verticle as a series of generations, each on a context of its own on the slot's event loop: when a
 * generation's top-level domain receives an error, the next generation starts at once and takes the new work, while
 * the old one finishes its work in flight and is undeployed; a crash or a failed start restarts with backoff.
 * What outlives generations (listeners, consumers) lives in the slot's {@link SlotScope}. All the slot's state is
 * confined to its event-loop context ({@link #home()}).
 */
final class Slot implements Deployable {

  private static final Logger LOG = LoggerFactory.getLogger(Slot.class);

  final SupervisedDeployment group;
  private final SlotScope scope = new SlotScope(this);
  private final Promise<Void> firstStart = Promise.promise();
  private final List<Generation> retiring = new ArrayList<>();
  private final Map<Object, Object> resources = new ConcurrentHashMap<>();
  private final List<Function<Drain, Future<?>>> closeParticipants = new CopyOnWriteArrayList<>();
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  /** The context Vert.x gave the slot (the user's threading model); generations are built from it. */
  private Context slotContext;
  /** The slot's event-loop context, where its state lives. */
  private Context home;
  private Vertx vertx;
  private int index;
  /** The newest generation (starting, running or backing off). */
  private Generation current;
  /** The generation that takes new work, once running. */
  private volatile Generation serving;
  /** The newest instance, kept to report the slot as failed once the supervisor gave up. */
  private Generation latest;
  private int generation;
  private int backoffAttempt;
  private volatile long restarts;
  private long backoffTimer = -1;
  private long backoffUntil;
  private boolean stopping;
  /** Told to stop ({@code true}) or resume taking new work: when the loop is stuck, or the intake paused. */
  private final List<Handler<Boolean>> intakeListeners = new CopyOnWriteArrayList<>();
  /** When the pending heartbeat was sent (0: none pending); written by the watchdog and the slot's loop. */
  private volatile long beatSentAt;
  private volatile boolean stuck;
  /** Whether the slot's intake is stopped by {@link #pauseIntake}. */
  private volatile boolean paused;
  private volatile Thread loopThread;
  /** For a stand-in: the stuck slot it takes new work for; {@code null} for a slot Vert.x deployed. */
  private final Slot standsInFor;
  /** The slot taking this one's new work while its loop is stuck, if any. */
  private volatile Slot standIn;

  Slot(SupervisedDeployment group) {
    this(group, null);
  }

  private Slot(SupervisedDeployment group, Slot standsInFor) {
    this.group = group;
    this.standsInFor = standsInFor;
  }

  String id() {
    return group.deploymentId() + "/" + index;
  }

  long restarts() {
    return restarts;
  }

  SlotScope scope() {
    return scope;
  }

  Context home() {
    return home;
  }

  Generation serving() {
    return serving;
  }

  Slot standsInFor() {
    return standsInFor;
  }

  @SuppressWarnings("unchecked")
  <T> T resource(Object key, Function<SlotScope, T> factory) {
    return (T) resources.computeIfAbsent(key, k -> factory.apply(scope));
  }

  void onClose(Function<Drain, Future<?>> participant) {
    closeParticipants.add(participant);
  }

  void onStuck(Handler<Boolean> listener) {
    intakeListeners.add(listener);
  }

  // ----------------------------------------------------------------------------------------------------------------
  // The watch of the slot's event loop (see SlotWatchdog)

  /** Called by the watchdog thread: sends a heartbeat, or reports the slot stuck when the last one is overdue. */
  void watch(long now) {
    SupervisorOptions options = group.options;
    long bound = options == null ? 0 : options.stuckTimeoutMs();
    Context on = home;
    if (bound <= 0 || on == null || stopping) {
      return;
    }
    long sent = beatSentAt;
    if (sent == 0) {
      beatSentAt = now;
      on.runOnContext(v -> beat());
    } else if (!stuck && now - sent >= bound) {
      stuck = true;
      stuck(now - sent, options);
    }
  }

  /** The heartbeat, on the slot's loop: it runs, so the loop is not blocked. */
  private void beat() {
    loopThread = Thread.currentThread();
    long sent = beatSentAt;
    beatSentAt = 0;
    if (stuck) {
      stuck = false;
      long blocked = System.currentTimeMillis() - sent;
      Generation now = serving;
      LOG.warn("Worker {} of {} runs again: its event loop was blocked for about {} ms", id(), group.verticleName,
        blocked);
      if (now != null && now.state() == WorkerState.STUCK) {
        now.state(WorkerState.RUNNING);
        publish(now, null);
      }
      if (!paused) {
        intake(true);
      }
      Slot in = standIn;
      standIn = null;
      if (in != null) {
        in.home.runOnContext(v -> in.endStandIn(Promise.promise()));
      }
    }
  }

  /**
   * On the watchdog thread: the slot's loop is blocked. Its thread cannot be stopped, so the slot is reported
   * {@code stuck} (list, events, health), its listeners leave their port and its consumers their address, and a
   * stand-in slot on a free loop takes its new work until the loop runs again; with {@code giveUp: exit} the process
   * exits instead, so that an orchestrator or the cluster takes over. What the blocked loop already holds (requests on
   * its open connections, messages queued for it, its timers) waits for the loop.
   */
  private void stuck(long blockedMillis, SupervisorOptions options) {
    Thread thread = loopThread;
    LOG.error("Worker {} of {} is stuck: its event loop thread {} has not run for {} ms (stuckTimeoutMs {}); it takes "
        + "no new connections until it runs again; at {}", id(), group.verticleName,
      thread == null ? "?" : thread.getName(), blockedMillis, options.stuckTimeoutMs(), SlotWatchdog.where(thread));
    // Listeners first (listeners leave the port's balancer), so that whoever reacts to the event finds it done.
    intake(false);
    Generation now = serving;
    if (now != null && now.state() == WorkerState.RUNNING) {
      now.state(WorkerState.STUCK);
      publish(now, null);
    }
    if (options.giveUp() == GiveUpAction.EXIT) {
      Supervisor.exit(vertx, options.exitCode(), "worker " + id() + " of " + group.verticleName + " is stuck",
        Math.min(options.killTimeoutMs(), 10_000));
    } else if (standsInFor == null && standIn == null) {
      placeStandIn();
    }
  }

  /**
   * On the watchdog thread: starts a slot of the same deployment on the least used event loop that is not blocked,
   * to take this slot's new connections and messages until this slot's loop runs again (then it drains and goes).
   * A stand-in has no stand-in of its own.
   */
  private void placeStandIn() {
    List<Context> placed = new ArrayList<>();
    List<Context> blocked = new ArrayList<>();
    for (Slot slot : Supervisor.slots(vertx)) {
      if (slot.home != null) {
        (slot.stuck ? blocked : placed).add(slot.home);
      }
    }
    if (stopping) {
      return;
    }
    Context context = SupervisorInternals.onFreeLoop(slotContext, placed, blocked);
    if (context == null) {
      LOG.warn("Worker {} of {} is stuck and no event loop is free to take its work", id(), group.verticleName);
      return;
    }
    Slot in = new Slot(group, this);
    in.slotContext = context;
    in.home = SupervisorInternals.eventLoopContext(context);
    in.vertx = vertx;
    in.index = group.join(in, context);
    standIn = in;
    in.home.runOnContext(v -> {
      in.loopThread = Thread.currentThread();
      LOG.warn("Worker {} of {} stands in for stuck worker {} on {}", in.id(), group.verticleName, id(),
        Thread.currentThread().getName());
      in.startInstance();
    });
  }

  /** A stand-in's end, on its context: the slot's graceful end, then its context's close hooks. */
  private void endStandIn(Promise<Void> done) {
    if (stopping) {
      done.complete();
      return;
    }
    Promise<Void> drained = Promise.promise();
    shutdown(drained);
    drained.future()
      .compose(v -> SupervisorInternals.closeGeneration(standsInFor.slotContext, slotContext))
      .onComplete(ar -> done.complete());
  }

  /**
   * Stops ({@code true}) or resumes the slot's intake of new work, as for a stuck loop but without a stand-in: its
   * listeners leave their ports and its consumers their addresses. Resuming happens on the slot's context, and not
   * while the slot is stuck.
   */
  void pauseIntake(boolean stop) {
    if (stop) {
      paused = true;
      intake(false);
      return;
    }
    Context on = home;
    if (on == null) {
      return;
    }
    on.runOnContext(v -> {
      if (paused && !stuck) {
        paused = false;
        intake(true);
      }
    });
  }

  /** Tells the intake listeners (listeners, consumers) to take new work again, or to stop taking it. */
  private void intake(boolean open) {
    intakeListeners.forEach(listener -> listener.handle(!open));
  }

  /** Snapshots of the current instance and of those still draining. */
  List<WorkerInfo> infos() {
    List<WorkerInfo> infos = new ArrayList<>(2);
    Generation now = current;
    if (now != null) {
      infos.add(now.info());
    } else if (latest != null && latest.state() == WorkerState.FAILED) {
      infos.add(latest.info());
    }
    synchronized (retiring) {
      for (Generation worker : retiring) {
        infos.add(worker.info());
      }
    }
    return infos;
  }

  @Override
  public Future<?> deploy(Context context) {
    this.slotContext = context;
    this.home = SupervisorInternals.eventLoopContext(context);
    this.vertx = context.owner();
    this.index = group.join(this, context);
    group.claimed().onComplete(ar -> home.runOnContext(v -> {
      loopThread = Thread.currentThread();
      if (ar.succeeded()) {
        startInstance();
      } else {
        stopping = true;
        group.leave(this, vertx);
        firstStart.tryFail(ar.cause());
      }
    }));
    return firstStart.future();
  }

  @Override
  public Future<?> undeploy(Context context) {
    Slot in = standIn;
    standIn = null;
    Promise<Void> ended = Promise.promise();
    if (in != null) {
      in.home.runOnContext(v -> in.endStandIn(ended));
    } else {
      ended.complete();
    }
    Promise<Void> done = Promise.promise();
    home.runOnContext(v -> shutdown(done));
    return Future.join(done.future(), ended.future());
  }

  /**
   * The slot's own graceful end: new work is refused, the slot's resources drain (listeners leave their port,
   * connections finish) while the current generation still serves, then every generation is undeployed; the kill
   * timer bounds the whole.
   */
  private void shutdown(Promise<Void> done) {
    stopping = true;
    if (backoffTimer >= 0) {
      vertx.cancelTimer(backoffTimer);
      backoffTimer = -1;
    }
    rejectHeld();
    long deadline = System.currentTimeMillis() + group.options.killTimeoutMs();
    Promise<Void> expiry = Promise.promise();
    Drain drain = new Drain(deadline, true, expiry.future());
    Future<?> closing = drain.runAll(closeParticipants);
    Promise<Void> resourcesDone = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, drain.remainingMillis()), id -> {
      expiry.tryComplete();
      resourcesDone.tryComplete();
    });
    closing.onComplete(ar -> resourcesDone.tryComplete());
    resourcesDone.future().onComplete(ar -> home.runOnContext(v -> {
      vertx.cancelTimer(timer);
      serving = null;
      List<Generation> all = new ArrayList<>();
      if (current != null) {
        all.add(current);
      }
      synchronized (retiring) {
        all.addAll(retiring);
      }
      List<Future<?>> stops = new ArrayList<>(all.size());
      for (Generation worker : all) {
        Future<Void> stop = worker.stop(slotContext, new Drain(deadline, true, null));
        // A retiring generation's failed stop() is logged where it retires (retired); the current one's here.
        stops.add(worker == current ? stop.onFailure(failure -> stopFailed(worker, failure)) : stop);
      }
      // The undeploy completes once the generations have stopped and the slot's listeners have closed (their grace
      // ends a little after the kill deadline): when it completes, the port is free.
      List<Future<?>> ends = new ArrayList<>(stops);
      ends.add(closing);
      Future.join(ends).onComplete(stopped -> home.runOnContext(v2 -> {
        Generation now = current;
        if (now != null && now.state() != WorkerState.FAILED) {
          now.state(WorkerState.STOPPED);
          publish(now, null);
        }
        group.leave(this, vertx);
        Throwable failure = stops.stream().filter(Future::failed).map(Future::cause).findFirst().orElse(null);
        if (failure != null) {
          done.fail(failure); // as Vert.x fails an undeploy whose stop() failed
        } else {
          done.complete();
        }
      }));
    }));
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Hand-off of new work

  void dispatch(Handler<Generation> task, Handler<Long> rejected) {
    Generation target = serving;
    if (target != null && SupervisorInternals.inThread(home) && held.isEmpty()) {
      SupervisorInternals.emit(SupervisorInternals.duplicate(target.context()), target, task);
      return;
    }
    // On the slot's context (a hop from another thread), so that the hold timer is the slot's.
    SupervisorInternals.emit(home, null, v -> hold(task, rejected));
  }

  private void hold(Handler<Generation> task, Handler<Long> rejected) {
    if (serving != null) {
      flushHeld(); // what came before goes first
    }
    Generation target = serving;
    if (target != null && held.isEmpty()) {
      SupervisorInternals.emit(SupervisorInternals.duplicate(target.context()), target, task);
      return;
    }
    if (stopping) {
      rejected.handle(retryAfterSeconds());
      return;
    }
    Held entry = new Held(task, rejected);
    entry.timer = vertx.setTimer(group.options.holdTimeoutMs(), id -> {
      if (held.remove(entry)) {
        entry.rejected.handle(retryAfterSeconds());
      }
    });
    held.addLast(entry);
  }

  /** Hands the held work to the generation now serving, in arrival order. */
  private void flushHeld() {
    Held entry;
    while (serving != null && (entry = held.pollFirst()) != null) {
      vertx.cancelTimer(entry.timer);
      Generation target = serving;
      SupervisorInternals.emit(SupervisorInternals.duplicate(target.context()), target, entry.task);
    }
  }

  private void rejectHeld() {
    Held entry;
    while ((entry = held.pollFirst()) != null) {
      vertx.cancelTimer(entry.timer);
      entry.rejected.handle(retryAfterSeconds());
    }
  }

  private long retryAfterSeconds() {
    long wait = backoffUntil - System.currentTimeMillis();
    return Math.max(1, (wait + 999) / 1000);
  }

  /** Work waiting for a generation. */
  private static final class Held {
    final Handler<Generation> task;
    final Handler<Long> rejected;
    long timer;

    Held(Handler<Generation> task, Handler<Long> rejected) {
      this.task = task;
      this.rejected = rejected;
    }
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Generations

  /** Starts the next generation; it takes new work as soon as its start completes. */
  private void startInstance() {
    if (stopping || group.gaveUp()) {
      return;
    }
    Generation worker = new Generation(this, ++generation);
    current = worker;
    latest = worker;
    publish(worker, null);
    Deployable verticle;
    try {
      verticle = instantiate();
    } catch (Throwable t) {
      onFailedStart(worker, t);
      return;
    }
    worker.start(slotContext, verticle).onComplete(ar -> SupervisorInternals.emit(home, null, v -> {
      if (ar.failed()) {
        onFailedStart(worker, ar.cause());
        return;
      }
      if (worker.state() == WorkerState.STARTING && !stopping) {
        worker.state(WorkerState.RUNNING);
        group.ran();
        serving = worker;
        publish(worker, null);
        firstStart.tryComplete();
        flushHeld();
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

  /** The last error of any instance of this slot, shown for its replacement too. */
  volatile String lastError;

  private void onFailedStart(Generation worker, Throwable cause) {
    worker.lastError(cause);
    worker.state(WorkerState.STOPPED);
    // A Vert.x without an internal the library needs fails the same way every time: no retry.
    RestartPolicy.Facts facts = new RestartPolicy.Facts(RestartPolicy.Fault.FAILED_START, false, 0, group.everRan(),
      cause instanceof InternalReach.Missing);
    boolean failAtOnce = group.failsDeployment(facts);
    // Failing at once, the deployment's caller (the launcher: one line) reports it.
    log(worker, null, null, () -> {
      if (failAtOnce) {
        LOG.debug("Worker {} of {} failed its first start: {}", id(), group.verticleName, cause.toString());
      } else {
        LOG.warn("Worker {} of {} failed to start: {}", id(), group.verticleName, cause.toString());
      }
    });
    publish(worker, cause);
    if (stopping) {
      return;
    }
    RestartPolicy.Decision decision = group.decide(facts, backoffAttempt);
    backoffAttempt = decision.nextBackoffAttempt();
    switch (decision.action()) {
      case FAIL_DEPLOYMENT -> {
        stopping = true;
        if (firstStart.tryFail(cause)) {
          group.leave(this, vertx); // Vert.x never undeploys a slot whose start failed
        }
      }
      case GIVE_UP -> giveUp(cause);
      default -> scheduleStart(worker, decision.delayMillis());
    }
  }

  /** Called on the generation's context when its top-level domain receives an error. */
  void onError(Generation worker, DomainError error) {
    String what = MDC.get(FaultLog.WHAT);
    // On the slot's context, so that the timers it sets are the slot's, not the failed generation's.
    SupervisorInternals.emit(home, error, e -> handleError(worker, e, what));
  }

  private void handleError(Generation worker, DomainError error, String what) {
    WorkerState state = worker.state();
    if (state != WorkerState.RUNNING && state != WorkerState.STARTING && state != WorkerState.STUCK) {
      // The generation is already being replaced: keep the error that caused that as the slot's last error.
      log(worker, error, what, () -> FaultLog.info(LOG, error.cause(), "Worker {} generation {} is already {}; "
        + "error{} not counted: {}", id(), worker.generation(), state.label(), what == null ? "" : " in " + what,
        FaultLog.describe(error.cause())));
      return;
    }
    worker.lastError(error.cause());
    boolean requestError = !error.domain().isTopLevel();
    restarts++;
    log(worker, error, what, () -> FaultLog.warn(LOG, error.cause(),
      "Recycling worker {} (generation {}) of {} after {} error{}: {}", id(), worker.generation(),
      group.verticleName, requestError ? "a request" : "an instance", what == null ? "" : " in " + what,
      FaultLog.describe(error.cause())));
    // A request error was confined to one request, already answered: replaced at once, not counted as a crash.
    RestartPolicy.Facts facts = new RestartPolicy.Facts(requestError ? RestartPolicy.Fault.REQUEST_ERROR
      : RestartPolicy.Fault.INSTANCE_ERROR, state == WorkerState.RUNNING, worker.uptimeMillis(), true, false);
    retire(worker);
    RestartPolicy.Decision decision = group.decide(facts, backoffAttempt);
    backoffAttempt = decision.nextBackoffAttempt();
    switch (decision.action()) {
      case GIVE_UP -> giveUp(error.cause());
      case REPLACE_AFTER_DELAY -> scheduleStart(worker, decision.delayMillis());
      default -> startInstance();
    }
  }

  private void scheduleStart(Generation failed, long delay) {
    if (delay <= 0) {
      startInstance();
      return;
    }
    if (current == failed) {
      failed.state(WorkerState.BACKING_OFF);
    }
    backoffUntil = System.currentTimeMillis() + delay;
    publish(failed, null, new JsonObject().put("backoffMillis", delay));
    backoffTimer = vertx.setTimer(delay, id -> {
      backoffTimer = -1;
      startInstance();
    });
  }

  /**
   * Retires {@code worker}: it takes no new work from now on, finishes its work in flight (bounded by the kill
   * timer), and is then undeployed.
   */
  private void retire(Generation worker) {
    worker.state(WorkerState.DRAINING);
    if (serving == worker) {
      serving = null;
    }
    if (current == worker) {
      current = null;
    }
    List<Generation> beyond = List.of();
    int count;
    synchronized (retiring) {
      retiring.add(worker);
      count = retiring.size();
      if (count > group.options.maxRetiring()) {
        beyond = new ArrayList<>(retiring.subList(0, count - group.options.maxRetiring()));
      }
    }
    for (Generation ended : beyond) {
      log(ended, null, null, () -> LOG.info("Ending worker {} generation {} early: {} generations are finishing their "
        + "work (supervisor.maxRetiring {})", id(), ended.generation(), count, group.options.maxRetiring()));
      ended.expire();
    }
    publish(worker, null);
    Drain drain = new Drain(System.currentTimeMillis() + group.options.killTimeoutMs(), false, null);
    worker.stop(slotContext, drain).onComplete(ar -> home.runOnContext(v -> retired(worker, ar.cause())));
  }

  private void retired(Generation worker, Throwable failure) {
    synchronized (retiring) {
      retiring.remove(worker);
    }
    if (worker.state() == WorkerState.FAILED) {
      return; // the supervisor gave up: the slot stays reported as failed
    }
    worker.state(WorkerState.STOPPED);
    stopFailed(worker, failure);
    publish(worker, null);
  }

  /** A generation's own {@code stop()} failed (or threw): the application's error, never silent. */
  private void stopFailed(Generation worker, Throwable failure) {
    if (failure != null) {
      log(worker, null, null, () -> FaultLog.warn(LOG, failure, "Worker {} generation {} of {}: stop() failed: {}",
        id(), worker.generation(), group.verticleName, FaultLog.describe(failure)));
    }
  }

  private void giveUp(Throwable cause) {
    if (!group.giveUp()) {
      return;
    }
    SupervisorOptions options = group.options;
    LOG.error("Supervised deployment {} of {} gave up: more than {} crashes within {} ms (last: {}); action: {}",
      group.deploymentId(), group.verticleName, options.maxRestarts(), options.restartPeriodMs(), cause.toString(),
      options.giveUp().name().toLowerCase(java.util.Locale.ROOT));
    SupervisorGaveUpException failure = new SupervisorGaveUpException(group.deploymentId(), group.verticleName,
      options.maxRestarts(), options.restartPeriodMs(), cause);
    if (options.giveUp() != GiveUpAction.STOP && options.giveUp() != GiveUpAction.EXIT) {
      moveAway(options, cause, failure);
      return;
    }
    if (options.giveUp() == GiveUpAction.EXIT) {
      Supervisor.exit(vertx, options.exitCode(), failure.getMessage());
      return;
    }
    stop(failure);
  }

  /** A give-up action another layer provides ({@link Supervisor#onGiveUp}): it moves the deployment, or it stops. */
  private void moveAway(SupervisorOptions options, Throwable cause, SupervisorGaveUpException failure) {
    String action = options.giveUp().name().toLowerCase(java.util.Locale.ROOT);
    GiveUpHandler handler = Supervisor.giveUpHandler(vertx, options.giveUp());
    if (handler == null) {
      LOG.error("Supervised deployment {} of {}: nothing on this node provides giveUp {} (a clustered node does); "
        + "stopping it", group.deploymentId(), group.verticleName, action);
      stop(failure);
      return;
    }
    GiveUpHandler.GaveUp gaveUp = new GiveUpHandler.GaveUp(group.deploymentId(), group.verticleName,
      group.childOptions().setInstances(group.instances()), options, cause);
    Future<String> moved;
    try {
      moved = handler.moveAway(gaveUp);
    } catch (RuntimeException e) {
      moved = Future.failedFuture(e);
    }
    moved.onComplete(ar -> home.runOnContext(v -> {
      if (ar.succeeded()) {
        LOG.warn("Supervised deployment {} of {} handed to node {}", group.deploymentId(), group.verticleName,
          ar.result());
        group.handedOffTo = ar.result();
        stop(new SupervisorHandedOffException(group.verticleName, ar.result(), cause));
      } else {
        LOG.error("Supervised deployment {} of {} could not be handed off ({}); stopping it", group.deploymentId(),
          group.verticleName, ar.cause().getMessage());
        stop(failure);
      }
    }));
  }

  /** Marks every slot failed and undeploys the deployment (or fails its first start). */
  private void stop(RuntimeException failure) {
    for (Slot slot : group.slots) {
      slot.home.runOnContext(v -> slot.markFailed(failure));
    }
    if (firstStart.future().isComplete()) {
      vertx.undeploy(group.deploymentId());
    }
  }

  private void markFailed(RuntimeException failure) {
    if (backoffTimer >= 0) {
      vertx.cancelTimer(backoffTimer);
      backoffTimer = -1;
    }
    Generation now = latest;
    if (now != null) {
      now.lastError(failure);
      now.state(WorkerState.FAILED);
      publish(now, failure);
      if (!(failure instanceof SupervisorHandedOffException)) {
        // It runs nowhere now: keep it visible, with the reason, after the deployment is gone.
        Supervisor.keepFailed(vertx, now.info());
      }
    }
    rejectHeld();
    // A deployment that never fully started fails, so whoever deployed it hears why. Vert.x then never undeploys this
    // slot (its start failed), so it leaves its group itself.
    if (firstStart.tryFail(failure)) {
      stopping = true;
      group.leave(this, vertx);
    }
  }

  private void publish(Generation worker, Throwable error) {
    publish(worker, error, null);
  }

  private void publish(Generation worker, Throwable error, JsonObject extra) {
    JsonObject event = worker.info().toJson().put("type", "state");
    if (error != null) {
      event.put("error", error.getClass().getName() + (error.getMessage() != null ? ": " + error.getMessage() : ""));
    }
    if (extra != null) {
      event.mergeIn(extra);
    }
    Supervisor.publish(vertx, event);
  }

  private void log(Generation worker, DomainError error, String what, Runnable statement) {
    try (MDC.MDCCloseable d = MDC.putCloseable("deployment", group.deploymentId());
         MDC.MDCCloseable w = MDC.putCloseable("worker", id() + "#" + worker.generation());
         MDC.MDCCloseable m = MDC.putCloseable("domain", error != null ? error.domain().id() : null)) {
      statement.run();
    }
  }
}
