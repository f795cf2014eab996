package dev.vertxdomains.supervisor;

import dev.vertxdomains.supervisor.SlotState.Admitting;
import dev.vertxdomains.supervisor.SlotState.BackOff;
import dev.vertxdomains.supervisor.SlotState.BackingOff;
import dev.vertxdomains.supervisor.SlotState.Blocked;
import dev.vertxdomains.supervisor.SlotState.Drained;
import dev.vertxdomains.supervisor.SlotState.End;
import dev.vertxdomains.supervisor.SlotState.Ended;
import dev.vertxdomains.supervisor.SlotState.Event;
import dev.vertxdomains.supervisor.SlotState.Failed;
import dev.vertxdomains.supervisor.SlotState.GiveUp;
import dev.vertxdomains.supervisor.SlotState.Intake;
import dev.vertxdomains.supervisor.SlotState.Pause;
import dev.vertxdomains.supervisor.SlotState.Phase;
import dev.vertxdomains.supervisor.SlotState.Replacing;
import dev.vertxdomains.supervisor.SlotState.Retire;
import dev.vertxdomains.supervisor.SlotState.RunsAgain;
import dev.vertxdomains.supervisor.SlotState.Serving;
import dev.vertxdomains.supervisor.SlotState.StandIn;
import dev.vertxdomains.supervisor.SlotState.Start;
import dev.vertxdomains.supervisor.SlotState.Started;
import dev.vertxdomains.supervisor.SlotState.Starting;
import dev.vertxdomains.supervisor.SlotState.Stop;
import dev.vertxdomains.supervisor.SlotState.Stopping;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The slot's transition table ({@link SlotState#next}), without Vert.x: each row is a state, an event, and the state
 * after it; a row whose event does not apply expects the same state back (then nothing is published), and the reported
 * state of the slot's generation is checked with it.
 */
class SlotStateTest {

  private static final SlotGeneration G1 = new SlotGeneration(null, 1);
  private static final SlotGeneration G2 = new SlotGeneration(null, 2);
  private static final Slot STAND_IN = new Slot(null);
  private static final RuntimeException GAVE_UP = new IllegalStateException("gave up");
  private static final Intake STUCK = new Intake(true, false, null);
  private static final Intake PAUSED = new Intake(false, true, null);

  private static SlotState in(Phase phase) {
    return new SlotState(phase, Intake.OPEN);
  }

  private static Arguments row(String name, SlotState before, Event event, SlotState after, WorkerState shown) {
    return Arguments.of(name, before, event, after, shown);
  }

  private static Arguments ignored(String name, SlotState before, Event event) {
    return Arguments.of(name, before, event, before, SlotState.shown(before));
  }

  static Stream<Arguments> table() {
    BackingOff backingOff = new BackingOff(G1, 7, 1_000);
    return Stream.of(
      row("the first generation starts once admitted", SlotState.INITIAL, new Start(G1), in(new Starting(G1)),
        WorkerState.STARTING),
      row("its start completes: it serves", in(new Starting(G1)), new Started(G1), in(new Serving(G1)),
        WorkerState.RUNNING),
      ignored("a replaced generation's late start is ignored", in(new Starting(G2)), new Started(G1)),
      ignored("a start that completes after the stop began is ignored", in(new Stopping(G1, WorkerState.STARTING,
        false)), new Started(G1)),
      row("an error retires the serving generation", in(new Serving(G1)), new Retire(G1), in(new Replacing(G1)),
        WorkerState.DRAINING),
      row("an error while starting retires it too", in(new Starting(G1)), new Retire(G1), in(new Replacing(G1)),
        WorkerState.DRAINING),
      ignored("an error of a generation no longer the slot's is not counted", in(new Serving(G2)), new Retire(G1)),
      row("a recycle: the replacement starts at once", in(new Replacing(G1)), new Start(G2), in(new Starting(G2)),
        WorkerState.STARTING),
      row("a crash: the replacement waits out a backoff", in(new Replacing(G1)), new BackOff(G1, 7, 1_000),
        in(backingOff), WorkerState.BACKING_OFF),
      row("a failed start backs off", in(new Starting(G1)), new BackOff(G1, 7, 1_000), in(backingOff),
        WorkerState.BACKING_OFF),
      row("the backoff ends: the next generation starts", in(backingOff), new Start(G2), in(new Starting(G2)),
        WorkerState.STARTING),
      ignored("nothing backs off before the first generation", SlotState.INITIAL, new BackOff(G1, 7, 1_000)),
      row("an undeploy while serving: the generation serves while the listeners drain", in(new Serving(G1)),
        new Stop(), in(new Stopping(G1, WorkerState.RUNNING, true)), WorkerState.RUNNING),
      row("the listeners drained: it takes no more work", in(new Stopping(G1, WorkerState.RUNNING, true)),
        new Drained(), in(new Stopping(G1, WorkerState.RUNNING, false)), WorkerState.RUNNING),
      row("an undeploy during a backoff", in(backingOff), new Stop(),
        in(new Stopping(G1, WorkerState.BACKING_OFF, false)), WorkerState.BACKING_OFF),
      row("the stop is over", in(new Stopping(G1, WorkerState.RUNNING, false)), new End(), in(new Ended(G1)),
        WorkerState.STOPPED),
      ignored("nothing starts once stopping", in(new Stopping(G1, WorkerState.RUNNING, false)), new Start(G2)),
      ignored("no backoff once stopping", in(new Stopping(G1, WorkerState.RUNNING, false)), new BackOff(G1, 7, 1)),
      row("a first start that fails the deployment ends the slot", in(new Starting(G1)), new End(), in(new Ended(G1)),
        WorkerState.STOPPED),
      row("a start gate's refusal ends the slot before any generation", SlotState.INITIAL, new End(),
        in(new Ended(null)), null),
      ignored("a serving slot does not end without a stop", in(new Serving(G1)), new End()),
      row("give-up while serving", in(new Serving(G1)), new GiveUp(GAVE_UP), in(new Failed(G1, GAVE_UP)),
        WorkerState.FAILED),
      row("give-up during a stop", in(new Stopping(G1, WorkerState.RUNNING, true)), new GiveUp(GAVE_UP),
        in(new Failed(G1, GAVE_UP)), WorkerState.FAILED),
      ignored("a failed slot stays failed when its stop ends", in(new Failed(G1, GAVE_UP)), new End()),
      ignored("a failed slot does not stop again", in(new Failed(G1, GAVE_UP)), new Stop()),
      ignored("an ended slot does not give up", in(new Ended(G1)), new GiveUp(GAVE_UP)),
      row("a blocked loop: the serving generation is stuck", in(new Serving(G1)), new Blocked(),
        new SlotState(new Serving(G1), STUCK), WorkerState.STUCK),
      row("a blocked loop while starting: the intake stops, the report stays", in(new Starting(G1)), new Blocked(),
        new SlotState(new Starting(G1), STUCK), WorkerState.STARTING),
      row("a stand-in takes the stuck slot's work", new SlotState(new Serving(G1), STUCK), new StandIn(STAND_IN),
        new SlotState(new Serving(G1), new Intake(true, false, STAND_IN)), WorkerState.STUCK),
      ignored("no stand-in once the loop runs again", in(new Serving(G1)), new StandIn(STAND_IN)),
      ignored("no stand-in for a stopping slot", new SlotState(new Stopping(G1, WorkerState.STUCK, true), STUCK),
        new StandIn(STAND_IN)),
      row("the loop runs again: the stand-in is let go", new SlotState(new Serving(G1),
        new Intake(true, false, STAND_IN)), new RunsAgain(), in(new Serving(G1)), WorkerState.RUNNING),
      row("a recycle while stuck keeps the intake closed", new SlotState(new Replacing(G1), STUCK), new Start(G2),
        new SlotState(new Starting(G2), STUCK), WorkerState.STARTING),
      row("paused by another layer: reported paused", in(new Serving(G1)), new Pause(true),
        new SlotState(new Serving(G1), PAUSED), WorkerState.PAUSED),
      row("the loop runs again while paused: still paused", new SlotState(new Serving(G1), new Intake(true, true,
        null)), new RunsAgain(), new SlotState(new Serving(G1), PAUSED), WorkerState.PAUSED),
      row("resumed", new SlotState(new Serving(G1), PAUSED), new Pause(false), in(new Serving(G1)),
        WorkerState.RUNNING),
      ignored("a resume of a slot that is not paused", in(new Serving(G1)), new Pause(false)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void transition(String name, SlotState before, Event event, SlotState after, WorkerState shown) {
    SlotState next = SlotState.next(before, event);
    assertEquals(after, next, name);
    if (after.equals(before)) {
      assertSame(before, next, name + ": an event that does not apply returns the same state");
    }
    assertEquals(shown, SlotState.shown(next), name);
  }

  @Test
  void onlyServingAndADrainingStopTakeWork() {
    assertSame(G1, in(new Serving(G1)).serving());
    assertSame(G1, in(new Stopping(G1, WorkerState.RUNNING, true)).serving());
    assertNull(in(new Stopping(G1, WorkerState.RUNNING, false)).serving());
    assertNull(in(new Starting(G1)).serving());
    assertNull(in(new Replacing(G1)).serving());
    assertNull(in(new BackingOff(G1, 1, 1)).serving());
    assertNull(in(new Admitting()).serving());
  }
}
