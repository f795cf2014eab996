package dev.vertxdomains.eventbus;

import dev.vertxdomains.domain.InternalReach;
import dev.vertxdomains.domain.VertxLine;
import dev.vertxdomains.supervisor.Supervisor;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The start-up check of the supervised event-bus consumer's reach into Vert.x internals. */
@ExtendWith(VertxExtension.class)
class ConsumerReachTest {

  /** A supervised event-bus consumer. */
  public static class Service extends VerticleBase {
    @Override
    public Future<?> start() {
      return EventBusDomains.<String>consumer(vertx, "test.reach.service", message -> message.reply("ok"))
        .completion();
    }
  }

  @Test
  void theHandOverReachIsThereOnThisLine() {
    assertTrue(ConsumerDrain.HAND_OVER.present(), ConsumerDrain.HAND_OVER + " on Vert.x " + VertxLine.version());
  }

  @Test
  void aMissingHandOverFailsTheDeploymentAtOnce(Vertx vertx) {
    InternalReach real = ConsumerDrain.HAND_OVER;
    ConsumerDrain.HAND_OVER = InternalReach.field(
      "supervised event-bus consumers (messages queued for a leaving slot)", InternalReach.Need.BEHAVIOUR,
      "messages queued for a leaving slot would fail with TIMEOUT", Object.class, "discardHandler");
    try {
      Exception failure = assertThrows(Exception.class,
        () -> Supervisor.deploy(vertx, Service.class, new DeploymentOptions()).await(20, TimeUnit.SECONDS));
      String message = failure.getMessage();
      assertTrue(failure instanceof InternalReach.Missing, String.valueOf(failure));
      assertTrue(message.contains("Vert.x " + VertxLine.version()), message);
      assertTrue(message.contains("supervised event-bus consumers"), message);
      assertTrue(message.contains("java.lang.Object#discardHandler is not there"), message);
    } finally {
      ConsumerDrain.HAND_OVER = real;
    }
  }
}
