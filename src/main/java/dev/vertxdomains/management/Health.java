package dev.vertxdomains.management;

import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.WorkerInfo;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Liveness and readiness of a process, as Kubernetes probes expect them, with Vert.x's own health checks
 * ({@code io.vertx:vertx-health-check}, served by vertx-web's {@link HealthCheckHandler}: 200 UP, 503 DOWN, 500 when a
 * check fails).
 * <ul>
 *   <li><b>live</b> ({@code event-loops}): every event loop of the Vert.x instance runs a task within
 *       {@value #LIVE_BOUND_MS} ms. A blocked loop makes it DOWN; restarting the process is then the only cure.</li>
 *   <li><b>ready</b> ({@code supervised-deployments}): every worker slot of every supervised deployment of this
 *       process has a running instance, no supervised deployment has given up since the process started, and the
 *       start the process waits for ({@link #pending(Future)}) is done. A slot that is starting or backing off after
 *       a crash makes it DOWN, with the slots in its data.</li>
 * </ul>
 * The management endpoint serves them at {@code /health/live} and {@code /health/ready}; embedded users mount
 * {@link #liveHandler()} and {@link #readyHandler()} on a router of their own. Needs {@code io.vertx:vertx-web} and
 * {@code io.vertx:vertx-health-check}.
 */
public final class Health {

  /** How long every event loop has to answer the liveness check. */
  public static final long LIVE_BOUND_MS = 2_000;
  /** The liveness check's own timeout, for when the loop that measures the bound is the blocked one. */
  public static final long LIVE_TIMEOUT_MS = 5_000;

  private final Vertx vertx;
  private final HealthChecks live;
  private final HealthChecks ready;
  private final Map<String, String> gaveUp = new ConcurrentHashMap<>();
  private final List<Future<?>> pending = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Router router;

  private Health(Vertx vertx) {
    this.vertx = vertx;
    this.live = HealthChecks.create(vertx).register("event-loops", LIVE_TIMEOUT_MS, this::checkEventLoops);
    this.ready = HealthChecks.create(vertx).register("supervised-deployments", this::checkDeployments);
    Supervisor.listen(vertx, event -> {
      if ("undeployed".equals(event.getString("type")) && Boolean.TRUE.equals(event.getBoolean("gaveUp"))) {
        gaveUp.put(String.valueOf(event.getValue("deployment")), String.valueOf(event.getValue("verticle")));
      }
    });
    router = Router.router(vertx);
    router.get("/health/live").handler(liveHandler());
    router.get("/health/ready").handler(readyHandler());
  }

  /**
   * The health of a Vert.x instance; call it once per instance, before its supervised deployments start (it listens
   * for their give-ups).
   *
   * @param vertx the instance
   * @return its health
   */
  public static Health create(Vertx vertx) {
    return new Health(vertx);
  }

  /**
   * Readiness stays DOWN until {@code startup} succeeds (for ever if it fails): the launcher passes its main
   * deployment.
   *
   * @param startup what the process must finish before it serves
   * @return this
   */
  public Health pending(Future<?> startup) {
    pending.add(startup);
    return this;
  }

  /** The liveness checks. */
  public HealthChecks liveness() {
    return live;
  }

  /** The readiness checks. */
  public HealthChecks readiness() {
    return ready;
  }

  /** A handler answering the liveness checks, to mount on a router. */
  public Handler<RoutingContext> liveHandler() {
    return HealthCheckHandler.createWithHealthChecks(live);
  }

  /** A handler answering the readiness checks, to mount on a router. */
  public Handler<RoutingContext> readyHandler() {
    return HealthCheckHandler.createWithHealthChecks(ready);
  }

  /** Serves {@code /health/live} and {@code /health/ready} for the management endpoint. */
  void handle(HttpServerRequest request) {
    router.handle(request);
  }

  private void checkEventLoops(Promise<Status> promise) {
    List<io.netty.channel.EventLoop> loops = new ArrayList<>();
    ((VertxInternal) vertx).nettyEventLoopGroup().forEach(executor -> loops.add((io.netty.channel.EventLoop) executor));
    AtomicInteger left = new AtomicInteger(loops.size());
    if (loops.isEmpty()) {
      promise.tryComplete(Status.OK());
      return;
    }
    for (io.netty.channel.EventLoop loop : loops) {
      loop.execute(() -> {
        if (left.decrementAndGet() == 0) {
          promise.tryComplete(Status.OK(new JsonObject().put("eventLoops", loops.size())));
        }
      });
    }
    // DOWN with the count once the bound has passed; if this timer's own loop is the blocked one, the check's
    // timeout ends it instead (a 500 "procedure-execution-failure", DOWN all the same).
    vertx.setTimer(LIVE_BOUND_MS, id -> promise.tryComplete(Status.KO(new JsonObject()
      .put("reason", "event loops blocked").put("blocked", left.get()).put("eventLoops", loops.size())
      .put("boundMillis", LIVE_BOUND_MS))));
  }

  private void checkDeployments(Promise<Status> promise) {
    for (Future<?> startup : pending) {
      if (!startup.succeeded()) {
        promise.complete(Status.KO(new JsonObject().put("reason", startup.failed()
          ? "the main deployment failed: " + startup.cause().getMessage() : "starting")));
        return;
      }
    }
    if (!gaveUp.isEmpty()) {
      JsonArray failed = new JsonArray();
      gaveUp.forEach((deployment, verticle) -> failed.add(new JsonObject().put("deployment", deployment)
        .put("verticle", verticle)));
      promise.complete(Status.KO(new JsonObject().put("reason", "a supervised deployment gave up")
        .put("gaveUp", failed)));
      return;
    }
    // Per slot (worker id without generation): ready when one of its generations runs.
    Map<String, String> slots = new LinkedHashMap<>();
    for (WorkerInfo info : Supervisor.workers(vertx)) {
      JsonObject json = info.toJson();
      String slot = String.valueOf(json.getValue("worker"));
      String state = String.valueOf(json.getValue("state"));
      if (!"running".equals(slots.get(slot))) {
        slots.put(slot, state);
      }
    }
    JsonArray notRunning = new JsonArray();
    slots.forEach((slot, state) -> {
      if (!"running".equals(state)) {
        notRunning.add(new JsonObject().put("worker", slot).put("state", state));
      }
    });
    JsonObject data = new JsonObject().put("workers", slots.size());
    promise.complete(notRunning.isEmpty() ? Status.OK(data)
      : Status.KO(data.put("reason", "workers not running").put("notRunning", notRunning)));
  }
}
