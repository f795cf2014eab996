package dev.vertxdomains.supervisor;

import dev.vertxdomains.supervisor.RestartPolicy.Action;
import dev.vertxdomains.supervisor.RestartPolicy.Decision;
import dev.vertxdomains.supervisor.RestartPolicy.Facts;
import dev.vertxdomains.supervisor.RestartPolicy.Fault;
import dev.vertxdomains.supervisor.RestartPolicy.Limits;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The restart decisions as a table, without Vert.x (as OTP tests its restart intensity): each row is what happened,
 * the crash history and backoff attempt before, and the decision, delay, attempt and history after. Time is in ms;
 * the jitter sample 0.5 gives the nominal delay.
 */
class RestartPolicyTest {

  /** 3 crashes allowed in 10 s; backoff 100 ms doubling to 1 s, +-20 %; reset after 5 s of running. */
  private static final Limits LIMITS = new Limits(3, 10_000, 5_000, 100, 1_000, 0.2, true, false);
  private static final Limits NO_FIRST_RETRY = new Limits(3, 10_000, 5_000, 100, 1_000, 0.2, false, false);
  private static final Limits NO_FIRST_RETRY_HANDOFF = new Limits(3, 10_000, 5_000, 100, 1_000, 0.2, false, true);
  private static final long NOW = 100_000;

  private static Facts request() {
    return new Facts(Fault.REQUEST_ERROR, true, 60_000, true, false);
  }

  private static Facts crash(long uptime) {
    return new Facts(Fault.INSTANCE_ERROR, true, uptime, true, false);
  }

  private static Facts crashWhileStarting() {
    return new Facts(Fault.INSTANCE_ERROR, false, 0, true, false);
  }

  private static Facts failedStart(boolean everRan, boolean unretryable) {
    return new Facts(Fault.FAILED_START, false, 0, everRan, unretryable);
  }

  static Stream<Arguments> table() {
    return Stream.of(
      //        name, facts, limits, crashes before, attempt, jitter, action, delay, attempt after, crashes after
      row("a request error replaces at once and is no crash", request(), LIMITS, List.of(NOW - 1), 2, 0.5,
        Action.REPLACE_NOW, 0, 2, List.of(NOW - 1)),
      row("a first crash restarts at once", crash(1_000), LIMITS, List.of(), 0, 0.5,
        Action.REPLACE_NOW, 0, 1, List.of(NOW)),
      row("a second crash in a series waits the minimum", crash(1_000), LIMITS, List.of(NOW - 2_000), 1, 0.5,
        Action.REPLACE_AFTER_DELAY, 100, 2, List.of(NOW - 2_000, NOW)),
      row("the delay doubles", crash(1_000), LIMITS, List.of(NOW - 2_000), 3, 0.5,
        Action.REPLACE_AFTER_DELAY, 400, 4, List.of(NOW - 2_000, NOW)),
      row("the delay stops at the maximum", crash(1_000), LIMITS, List.of(), 9, 0.5,
        Action.REPLACE_AFTER_DELAY, 1_000, 10, List.of(NOW)),
      row("jitter spreads the delay down by up to 20 %", crash(1_000), LIMITS, List.of(), 2, 0.0,
        Action.REPLACE_AFTER_DELAY, 160, 3, List.of(NOW)),
      row("jitter never takes the delay above the maximum", crash(1_000), LIMITS, List.of(), 9, 0.999,
        Action.REPLACE_AFTER_DELAY, 1_000, 10, List.of(NOW)),
      row("a crash after a stable run starts a new series", crash(5_000), LIMITS, List.of(NOW - 9_000), 4, 0.5,
        Action.REPLACE_NOW, 0, 1, List.of(NOW - 9_000, NOW)),
      row("a crash while starting never counts as stable", crashWhileStarting(), LIMITS, List.of(), 2, 0.5,
        Action.REPLACE_AFTER_DELAY, 200, 3, List.of(NOW)),
      row("more than maxRestarts crashes in the window give up", crash(1_000), LIMITS,
        List.of(NOW - 3_000, NOW - 2_000, NOW - 1_000), 3, 0.5, Action.GIVE_UP, 0, 3,
        List.of(NOW - 3_000, NOW - 2_000, NOW - 1_000, NOW)),
      row("crashes older than the window are forgotten", crash(1_000), LIMITS,
        List.of(NOW - 20_000, NOW - 11_000, NOW - 2_000, NOW - 1_000), 1, 0.5, Action.REPLACE_AFTER_DELAY, 100, 2,
        List.of(NOW - 2_000, NOW - 1_000, NOW)),
      row("a failed start always waits", failedStart(true, false), LIMITS, List.of(), 0, 0.5,
        Action.REPLACE_AFTER_DELAY, 100, 1, List.of(NOW)),
      row("failed starts back off too", failedStart(true, false), LIMITS, List.of(NOW - 100), 2, 0.5,
        Action.REPLACE_AFTER_DELAY, 400, 3, List.of(NOW - 100, NOW)),
      row("failed starts give up past the intensity", failedStart(false, false), LIMITS,
        List.of(NOW - 300, NOW - 200, NOW - 100), 3, 0.5, Action.GIVE_UP, 0, 3,
        List.of(NOW - 300, NOW - 200, NOW - 100, NOW)),
      row("retryFirstStart false: a deployment that never ran fails at once", failedStart(false, false),
        NO_FIRST_RETRY, List.of(), 0, 0.5, Action.FAIL_DEPLOYMENT, 0, 0, List.of()),
      row("retryFirstStart false: a deployment that ran retries", failedStart(true, false), NO_FIRST_RETRY,
        List.of(), 0, 0.5, Action.REPLACE_AFTER_DELAY, 100, 1, List.of(NOW)),
      row("giveUp handoff always retries a first start", failedStart(false, false), NO_FIRST_RETRY_HANDOFF,
        List.of(), 0, 0.5, Action.REPLACE_AFTER_DELAY, 100, 1, List.of(NOW)),
      row("a missing Vert.x internal fails a first start at once, whatever retryFirstStart", failedStart(false, true),
        LIMITS, List.of(), 0, 0.5, Action.FAIL_DEPLOYMENT, 0, 0, List.of()),
      row("a missing Vert.x internal after a run is a crash like any other", failedStart(true, true), LIMITS,
        List.of(), 1, 0.5, Action.REPLACE_AFTER_DELAY, 200, 2, List.of(NOW)));
  }

  private static Arguments row(String name, Facts facts, Limits limits, List<Long> before, int attempt, double jitter,
                               Action action, long delay, int attemptAfter, List<Long> after) {
    return Arguments.of(name, facts, limits, before, attempt, jitter, action, delay, attemptAfter, after);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void decides(String name, Facts facts, Limits limits, List<Long> before, int attempt, double jitter,
               Action action, long delay, int attemptAfter, List<Long> after) {
    Decision decision = RestartPolicy.decide(facts, NOW, before, attempt, limits, jitter);
    assertEquals(action, decision.action(), "action");
    assertEquals(delay, decision.delayMillis(), "delay");
    assertEquals(attemptAfter, decision.nextBackoffAttempt(), "backoff attempt after");
    assertEquals(after, decision.crashes(), "crash history after");
  }
}
