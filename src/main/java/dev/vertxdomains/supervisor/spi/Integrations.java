package dev.vertxdomains.supervisor.spi;

import dev.vertxdomains.domain.Domain;
import dev.vertxdomains.domain.DomainError;
import dev.vertxdomains.supervisor.ErrorPolicy;
import dev.vertxdomains.supervisor.GiveUpAction;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The hooks vertx-domains' own integrations give the supervisor, per Vert.x instance, and what they do once they have
 * answered a failed request. Not the application's API: an application deploys with
 * {@link dev.vertxdomains.supervisor.Supervisor}.
 */
public final class Integrations {

  private static final Logger LOG = LoggerFactory.getLogger(ErrorPolicy.class);
  private static final Map<Vertx, StartGate> GATES = Collections.synchronizedMap(new WeakHashMap<>());
  private static final Map<Vertx, Map<GiveUpAction, GiveUpHandler>> GIVE_UP =
    Collections.synchronizedMap(new WeakHashMap<>());

  private Integrations() {
  }

  /**
   * Installs the start gate of a Vert.x instance (see {@link StartGate}).
   *
   * @param vertx the Vert.x instance
   * @param gate  the gate
   */
  public static void gateStarts(Vertx vertx, StartGate gate) {
    GATES.put(Objects.requireNonNull(vertx, "vertx"), Objects.requireNonNull(gate, "gate"));
  }

  /**
   * The start gate of a Vert.x instance, for the supervisor.
   *
   * @param vertx the Vert.x instance
   * @return the gate, or {@code null} when none is installed (every deployment starts)
   */
  public static StartGate startGate(Vertx vertx) {
    return GATES.get(vertx);
  }

  /**
   * Provides a give-up action other than the supervisor's own {@code stop} and {@code exit} for a Vert.x instance
   * (a clustered node provides {@code handoff}). A deployment whose {@code giveUp} names an action nothing provides
   * on its node is stopped when it gives up, with an ERROR line saying so.
   *
   * @param vertx   the Vert.x instance
   * @param action  the action, neither {@link GiveUpAction#STOP} nor {@link GiveUpAction#EXIT}
   * @param handler what it does
   */
  public static void onGiveUp(Vertx vertx, GiveUpAction action, GiveUpHandler handler) {
    if (action == GiveUpAction.STOP || action == GiveUpAction.EXIT) {
      throw new IllegalArgumentException("action: stop and exit are the supervisor's own, got " + action);
    }
    GIVE_UP.computeIfAbsent(vertx, v -> new ConcurrentHashMap<>()).put(action, Objects.requireNonNull(handler,
      "handler"));
  }

  /**
   * The handler of a give-up action on a Vert.x instance, for the supervisor.
   *
   * @param vertx  the Vert.x instance
   * @param action the action
   * @return its handler, or {@code null} when nothing provides it here
   */
  public static GiveUpHandler giveUpHandler(Vertx vertx, GiveUpAction action) {
    Map<GiveUpAction, GiveUpHandler> handlers = GIVE_UP.get(vertx);
    return handlers == null ? null : handlers.get(action);
  }

  /**
   * What every integration does once it has answered a failed request or message: records it on the generation
   * ({@link Generation#requestFailed}), then applies the policy of the instance the current code runs in:
   * {@link ErrorPolicy#RECYCLE} escalates the error (the supervisor replaces the instance and logs the one line for
   * the fault, naming {@code what}); {@link ErrorPolicy#CONTINUE} logs that line here and keeps the instance.
   *
   * @param domain the request's or message's domain
   * @param error  the error it received
   * @param what   what failed, for the log: {@code GET /orders}, {@code message to orders}
   */
  public static void afterAnswer(Domain domain, DomainError error, String what) {
    Generation generation = Generation.current();
    if (generation != null) {
      generation.requestFailed(what);
    }
    if (ErrorPolicy.current() == ErrorPolicy.RECYCLE) {
      try (MDC.MDCCloseable ignored = MDC.putCloseable(FaultLog.WHAT, what)) {
        domain.escalate(error);
      }
    } else {
      FaultLog.warn(LOG, error.cause(), "{} failed in {} (instance kept, policy continue): {}", what, domain.id(),
        FaultLog.describe(error.cause()));
    }
  }
}
