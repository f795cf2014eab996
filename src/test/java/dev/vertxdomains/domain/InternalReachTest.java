package dev.vertxdomains.domain;

import ch.qos.logback.classic.Level;
import dev.vertxdomains.testing.LogCapture;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Vert.x line detection and the start-up checks of the domain core's reaches into Vert.x internals. */
@ExtendWith(VertxExtension.class)
class InternalReachTest {

  @Test
  void versionsMapToTheirLines() {
    assertEquals(VertxLine.V5_0, VertxLine.parse("5.0.10"));
    assertEquals(VertxLine.V5_1, VertxLine.parse("5.1.6"));
    assertEquals(VertxLine.V5_2, VertxLine.parse("5.2.3"));
    assertEquals(VertxLine.V5_2, VertxLine.parse("5.3.0-SNAPSHOT"), "a newer 5.x is checked as 5.2");
    assertNull(VertxLine.parse("4.5.21"));
    assertNull(VertxLine.parse("unknown"));
    assertEquals(VertxLine.parse(VertxLine.version()), VertxLine.running());
  }

  @Test
  void everyReachOfTheDomainCoreIsThereOnThisLine() {
    for (InternalReach reach : List.of(VertxInternals.CONSUMER_HANDLER, VertxInternals.EMITTER_CONTEXT,
      VertxInternals.FILE_READ_BUFFER, VertxInternals.WATCHED_FUTURE)) {
      assertTrue(reach.present(), reach + " on Vert.x " + VertxLine.version());
    }
  }

  @Test
  void aMissingBehaviourReachFailsNamingTheVersionTheFeatureAndWhatToDo() {
    InternalReach reach = InternalReach.field("Domain.add(MessageConsumer)", InternalReach.Need.BEHAVIOUR,
      "throws from the consumer's handler would not reach the domain", Object.class, "handler");
    InternalReach.Missing missing = assertThrows(InternalReach.Missing.class, reach::require);
    String message = missing.getMessage();
    assertTrue(message.contains("Vert.x " + VertxLine.version()), message);
    assertTrue(message.contains("Domain.add(MessageConsumer)"), message);
    assertTrue(message.contains("java.lang.Object#handler is not there"), message);
    assertTrue(message.contains("5.0.x, 5.1.x or 5.2.x"), message);
    assertFalse(reach.present());
    assertThrows(InternalReach.Missing.class, reach::require, "the answer is kept");
  }

  @Test
  void aMissingSpeedReachWarnsOnceAndGoesOn() {
    InternalReach reach = InternalReach.field("a test feature", InternalReach.Need.SPEED, "it is slower",
      Object.class, "nothing");
    try (LogCapture log = LogCapture.of(InternalReach.class)) {
      reach.require();
      reach.require();
      List<String> warnings = log.atLeast(Level.WARN);
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(warnings.get(0).contains("a test feature is slower") && warnings.get(0).contains(VertxLine.version()),
        warnings.get(0));
    }
  }

  @Test
  void addingAConsumerFailsWhenItsReachIsMissing(Vertx vertx) throws Exception {
    InternalReach real = VertxInternals.CONSUMER_HANDLER;
    VertxInternals.CONSUMER_HANDLER = InternalReach.field("Domain.add(MessageConsumer)",
      InternalReach.Need.BEHAVIOUR, "throws from the consumer's handler would not reach the domain", Object.class,
      "handler");
    try {
      CompletableFuture<Throwable> thrown = new CompletableFuture<>();
      AtomicInteger members = new AtomicInteger(-1);
      vertx.runOnContext(v -> {
        MessageConsumer<String> consumer = vertx.eventBus().consumer("test.reach", message -> { });
        Domain domain = Domain.create();
        try {
          domain.add(consumer);
          thrown.complete(null);
        } catch (RuntimeException e) {
          members.set(domain.members().size());
          thrown.complete(e);
        }
      });
      Throwable failure = thrown.get(10, TimeUnit.SECONDS);
      assertTrue(failure instanceof InternalReach.Missing, String.valueOf(failure));
      assertTrue(failure.getMessage().contains("Domain.add(MessageConsumer)"), failure.getMessage());
      assertEquals(0, members.get(), "nothing was added");
    } finally {
      VertxInternals.CONSUMER_HANDLER = real;
    }
  }
}
