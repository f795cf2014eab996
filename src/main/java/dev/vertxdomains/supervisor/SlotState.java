package dev.vertxdomains.supervisor;

/**
 * A slot's life in one immutable value: what its newest generation is doing ({@link Phase}) and whether the slot
 * takes new work ({@link Intake}). {@link #next} is the whole transition table; {@link Slot} is the only writer, and
 * publishes one event for each transition that changes what the slot reports.
 * <pre>
 *  Admitting ──Start──▶ Starting ──Started──▶ Serving ──Retire──▶ Replacing ──Start──▶ Starting
 *                        │   ▲                                       │
 *                BackOff │   └───────Start────── BackingOff ◀─BackOff─┘
 *                        └──────────────────────────▲
 *  any of the above ──Stop──▶ Stopping ──Drained──▶ Stopping ──End──▶ Ended        any but Ended ──GiveUp──▶ Failed
 *  Admitting, Starting ──End──▶ Ended (the first start failed the deployment)
 * </pre>
 * The intake is a second dimension, because a loop can block, and another layer can pause the slot, in any phase:
 * {@link Blocked} and {@link RunsAgain} come from the watchdog (the blocked loop cannot take an event, so the watchdog
 * thread fires them), {@link Pause} from whoever pauses the slot.
 *
 * @param phase  the newest generation's phase
 * @param intake whether the slot takes new work
 */
record SlotState(Phase phase, Intake intake) {

  /** A slot that has just been deployed. */
  static final SlotState INITIAL = new SlotState(new Admitting(), Intake.OPEN);

  /** What the slot's newest generation is doing. */
  sealed interface Phase {
    /** The newest generation, or {@code null} before the first. */
    SlotGeneration generation();
  }

  /** Deployed; the start gate has not admitted the deployment yet. Work waits. */
  record Admitting() implements Phase {
    @Override
    public SlotGeneration generation() {
      return null;
    }
  }

  /** The generation is starting and none serves: new work waits (up to {@code holdTimeoutMs}). */
  record Starting(SlotGeneration generation) implements Phase {
  }

  /** The generation takes new work. */
  record Serving(SlotGeneration generation) implements Phase {
  }

  /**
   * The generation failed and retires (it finishes its work in flight elsewhere, see {@link Slot}); no generation
   * serves. What follows is decided at once: {@link Start}, {@link BackOff}, or {@link GiveUp}.
   */
  record Replacing(SlotGeneration generation) implements Phase {
  }

  /**
   * A crash or a failed start: the next generation starts when the timer fires; new work waits, or is refused with a
   * retry-after when its hold times out.
   *
   * @param generation  the generation that failed
   * @param timer       the backoff timer
   * @param untilMillis when it fires (wall clock, for retry-after)
   */
  record BackingOff(SlotGeneration generation, long timer, long untilMillis) implements Phase {
  }

  /**
   * Being undeployed: the slot's listeners drain (while they do, a generation that was serving still takes what they
   * bring), then every generation stops. Work that waits is refused.
   *
   * @param generation the newest generation
   * @param shown      what it was reported as when the stop began (a stop reports nothing until it ends)
   * @param serves     whether the generation still takes work (until {@link Drained})
   */
  record Stopping(SlotGeneration generation, WorkerState shown, boolean serves) implements Phase {
  }

  /** The deployment gave up: the slot is reported failed, with the reason, until it is undeployed. */
  record Failed(SlotGeneration generation, RuntimeException cause) implements Phase {
  }

  /** Undeployed, or the first start failed the deployment. */
  record Ended(SlotGeneration generation) implements Phase {
  }

  /**
   * Whether the slot takes new work: not while its loop is stuck, and not while paused.
   *
   * @param stuck  its event loop is blocked beyond {@code stuckTimeoutMs}
   * @param paused another layer paused it ({@link Supervisor#pauseIntake})
   * @param standIn the slot that takes its new work while it is stuck, if one was placed
   */
  record Intake(boolean stuck, boolean paused, Slot standIn) {
    static final Intake OPEN = new Intake(false, false, null);

    boolean open() {
      return !stuck && !paused;
    }
  }

  /** What happens to a slot. */
  sealed interface Event {
  }

  /** A new generation starts: the first, a replacement, or the next after a backoff. */
  record Start(SlotGeneration generation) implements Event {
  }

  /** The generation's start completed. */
  record Started(SlotGeneration generation) implements Event {
  }

  /** The generation that starts or serves failed: it retires. */
  record Retire(SlotGeneration generation) implements Event {
  }

  /** The generation failed; the next starts after a delay. */
  record BackOff(SlotGeneration generation, long timer, long untilMillis) implements Event {
  }

  /** The slot is being undeployed. */
  record Stop() implements Event {
  }

  /** The stopping slot's listeners have drained: its generation takes no more work. */
  record Drained() implements Event {
  }

  /** The slot's stop is over, or its first start failed the deployment. */
  record End() implements Event {
  }

  /** The deployment gave up. */
  record GiveUp(RuntimeException cause) implements Event {
  }

  /** The slot's event loop has not run for {@code stuckTimeoutMs}. */
  record Blocked() implements Event {
  }

  /** A stand-in slot takes the stuck slot's new work. */
  record StandIn(Slot slot) implements Event {
  }

  /** The slot's event loop runs again (the stand-in, if any, is let go). */
  record RunsAgain() implements Event {
  }

  /** Another layer stops ({@code true}) or resumes the slot's intake. */
  record Pause(boolean paused) implements Event {
  }

  /**
   * The transition table: the state after {@code event}, or {@code state} itself when the event does not apply (a
   * late start of a replaced generation, anything after the end).
   *
   * @param state the state
   * @param event what happened
   * @return the next state
   */
  static SlotState next(SlotState state, Event event) {
    Phase phase = state.phase;
    Intake intake = state.intake;
    boolean live = !(phase instanceof Stopping || phase instanceof Failed || phase instanceof Ended);
    if (event instanceof Start start) {
      boolean again = phase instanceof Starting s && s.generation() == start.generation();
      return live && !again ? new SlotState(new Starting(start.generation()), intake) : state;
    }
    if (event instanceof Started started) {
      return phase instanceof Starting s && s.generation() == started.generation()
        ? new SlotState(new Serving(started.generation()), intake) : state;
    }
    if (event instanceof Retire retire) {
      return (phase instanceof Starting || phase instanceof Serving) && phase.generation() == retire.generation()
        ? new SlotState(new Replacing(retire.generation()), intake) : state;
    }
    if (event instanceof BackOff off) {
      return live && !(phase instanceof Admitting)
        ? new SlotState(new BackingOff(off.generation(), off.timer(), off.untilMillis()), intake) : state;
    }
    if (event instanceof Stop) {
      return live ? new SlotState(new Stopping(phase.generation(), shown(state), phase instanceof Serving), intake)
        : state;
    }
    if (event instanceof Drained) {
      return phase instanceof Stopping s && s.serves()
        ? new SlotState(new Stopping(s.generation(), s.shown(), false), intake) : state;
    }
    if (event instanceof End) {
      return phase instanceof Stopping || phase instanceof Admitting || phase instanceof Starting
        ? new SlotState(new Ended(phase.generation()), intake) : state;
    }
    if (event instanceof GiveUp giveUp) {
      return phase instanceof Ended || phase instanceof Failed ? state
        : new SlotState(new Failed(phase.generation(), giveUp.cause()), intake);
    }
    if (event instanceof Blocked) {
      return intake.stuck() ? state : new SlotState(phase, new Intake(true, intake.paused(), null));
    }
    if (event instanceof StandIn in) {
      return intake.stuck() && intake.standIn() == null && live
        ? new SlotState(phase, new Intake(true, intake.paused(), in.slot())) : state;
    }
    if (event instanceof RunsAgain) {
      return intake.stuck() ? new SlotState(phase, new Intake(false, intake.paused(), null)) : state;
    }
    Pause pause = (Pause) event;
    return intake.paused() == pause.paused() ? state
      : new SlotState(phase, new Intake(intake.stuck(), pause.paused(), intake.standIn()));
  }

  /**
   * What the slot reports for its newest generation in this state, or {@code null} when it reports none (before the
   * first generation).
   *
   * @param state the state
   * @return the reported state
   */
  static WorkerState shown(SlotState state) {
    Phase phase = state.phase;
    if (phase.generation() == null) {
      return null;
    } else if (phase instanceof Starting) {
      return WorkerState.STARTING;
    } else if (phase instanceof Serving) {
      return state.intake.stuck() ? WorkerState.STUCK : state.intake.paused() ? WorkerState.PAUSED : WorkerState.RUNNING;
    } else if (phase instanceof Replacing) {
      return WorkerState.DRAINING;
    } else if (phase instanceof BackingOff) {
      return WorkerState.BACKING_OFF;
    } else if (phase instanceof Stopping stopping) {
      return stopping.shown();
    } else if (phase instanceof Failed) {
      return WorkerState.FAILED;
    }
    return WorkerState.STOPPED;
  }

  /** The generation that takes new work in this state, or {@code null}. */
  SlotGeneration serving() {
    if (phase instanceof Serving serving) {
      return serving.generation();
    }
    return phase instanceof Stopping stopping && stopping.serves() ? stopping.generation() : null;
  }

  /** Whether the slot is being undeployed, or is over. */
  boolean stopping() {
    return phase instanceof Stopping || phase instanceof Failed || phase instanceof Ended;
  }
}
