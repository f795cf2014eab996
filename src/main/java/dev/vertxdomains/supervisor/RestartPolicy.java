package dev.vertxdomains.supervisor;

import java.util.ArrayList;
import java.util.List;

/**
 * The supervisor's restart decisions, as pure functions in the manner of Erlang/OTP's {@code supervisor.erl}
 * ({@code add_restart}, {@code do_restart}): what happened to a generation, the deployment's crash history and the
 * slot's backoff attempt go in; what the slot does next and the next history come out. Nothing here touches Vert.x,
 * the clock or a random source: the caller passes the time and the jitter sample, so a table of cases covers it whole
 * ({@code RestartPolicyTest}). The mechanism that carries a decision out is {@link Slot}'s.
 */
final class RestartPolicy {

  private RestartPolicy() {
  }

  /** What happened to a generation. */
  enum Fault {
    /** An error in one request's or message's domain, already answered: replaced at once, not a crash. */
    REQUEST_ERROR,
    /** An error that reached the generation's top-level domain: a crash. */
    INSTANCE_ERROR,
    /** The generation's {@code start()} failed or timed out: a crash. */
    FAILED_START
  }

  /** What the slot does next. */
  enum Action {
    /** Start the next generation now. */
    REPLACE_NOW,
    /** Start the next generation after {@link Decision#delayMillis()}. */
    REPLACE_AFTER_DELAY,
    /** The restart intensity is exceeded: run the deployment's give-up action. */
    GIVE_UP,
    /** A deployment that never ran failed its first start: fail the deployment itself, without retrying. */
    FAIL_DEPLOYMENT
  }

  /**
   * The facts about the failed generation that a decision depends on.
   *
   * @param fault        what happened
   * @param wasRunning   whether the generation was running (not starting, not stuck) when it failed
   * @param uptimeMillis how long it had been running
   * @param everRan      whether any generation of the deployment has ever run
   * @param unretryable  whether the failure is one a retry cannot cure (a Vert.x without an internal the library needs)
   */
  record Facts(Fault fault, boolean wasRunning, long uptimeMillis, boolean everRan, boolean unretryable) {
  }

  /**
   * The limits of {@link SupervisorOptions} a decision uses.
   *
   * @param maxRestarts     crashes allowed within {@code restartPeriodMs}
   * @param restartPeriodMs the intensity window
   * @param backoffResetMs  a generation that ran this long resets the slot's backoff
   * @param backoffMinMs    the first backoff delay
   * @param backoffMaxMs    the largest backoff delay
   * @param backoffJitter   the delay's random spread, as a fraction
   * @param retryFirstStart whether a deployment that never ran retries a failed first start
   * @param handOff         whether the give-up action hands the deployment to another node (which always retries)
   */
  record Limits(int maxRestarts, long restartPeriodMs, long backoffResetMs, long backoffMinMs, long backoffMaxMs,
                double backoffJitter, boolean retryFirstStart, boolean handOff) {

    static Limits of(SupervisorOptions options) {
      return new Limits(options.maxRestarts(), options.restartPeriodMs(), options.backoffResetMs(),
        options.backoffMinMs(), options.backoffMaxMs(), options.backoffJitter(), options.retryFirstStart(),
        options.giveUp() == GiveUpAction.HANDOFF);
    }
  }

  /**
   * A decision.
   *
   * @param action             what to do
   * @param delayMillis        the delay before the next start, for {@link Action#REPLACE_AFTER_DELAY}; else 0
   * @param nextBackoffAttempt the slot's backoff attempt from now on
   * @param crashes            the deployment's crash times (ms) within the window from now on, oldest first
   */
  record Decision(Action action, long delayMillis, int nextBackoffAttempt, List<Long> crashes) {
  }

  /** Whether a failed first start fails the deployment at once (no crash is counted then). */
  static boolean failsDeployment(Facts facts, Limits limits) {
    return facts.fault() == Fault.FAILED_START && !facts.everRan()
      && (facts.unretryable() || !limits.retryFirstStart() && !limits.handOff());
  }

  /**
   * Decides what the slot does after {@code facts}.
   *
   * @param facts          what happened
   * @param now            the time (ms) of the failure
   * @param crashes        the deployment's crash times (ms) so far, oldest first
   * @param backoffAttempt the slot's backoff attempt (0: the next crash restarts at once)
   * @param limits         the options
   * @param jitterSample   a uniform sample in [0, 1) for the delay's jitter
   * @return the decision, with the next crash history and backoff attempt
   */
  static Decision decide(Facts facts, long now, List<Long> crashes, int backoffAttempt, Limits limits,
                         double jitterSample) {
    if (facts.fault() == Fault.REQUEST_ERROR) {
      return new Decision(Action.REPLACE_NOW, 0, backoffAttempt, crashes);
    }
    if (failsDeployment(facts, limits)) {
      return new Decision(Action.FAIL_DEPLOYMENT, 0, backoffAttempt, crashes);
    }
    List<Long> recent = new ArrayList<>(crashes.size() + 1);
    for (long crash : crashes) {
      if (crash >= now - limits.restartPeriodMs()) {
        recent.add(crash);
      }
    }
    recent.add(now);
    List<Long> history = List.copyOf(recent);
    if (history.size() > limits.maxRestarts()) {
      return new Decision(Action.GIVE_UP, 0, backoffAttempt, history);
    }
    if (facts.fault() == Fault.FAILED_START) {
      // A failed start always waits: the same start would likely fail again at once.
      long delay = backoffDelay(backoffAttempt, limits, jitterSample);
      return new Decision(Action.REPLACE_AFTER_DELAY, delay, backoffAttempt + 1, history);
    }
    // A crash after a stable run starts a new series, whose first restart is immediate.
    int attempt = facts.wasRunning() && facts.uptimeMillis() >= limits.backoffResetMs() ? 0 : backoffAttempt;
    if (attempt == 0) {
      return new Decision(Action.REPLACE_NOW, 0, 1, history);
    }
    return new Decision(Action.REPLACE_AFTER_DELAY, backoffDelay(attempt - 1, limits, jitterSample), attempt + 1,
      history);
  }

  /**
   * The backoff delay before start attempt number {@code attempt} (0-based): {@code backoffMinMs} doubling up to
   * {@code backoffMaxMs}, spread by {@code +-backoffJitter}, never above the max and at least 1 ms.
   */
  static long backoffDelay(int attempt, Limits limits, double jitterSample) {
    double base = Math.min((double) limits.backoffMaxMs(), limits.backoffMinMs() * Math.pow(2, Math.min(attempt, 30)));
    double jitter = 1 + limits.backoffJitter() * (2 * jitterSample - 1);
    return Math.max(1, Math.min(limits.backoffMaxMs(), Math.round(base * jitter)));
  }
}
