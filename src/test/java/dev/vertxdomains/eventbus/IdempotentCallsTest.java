package dev.vertxdomains.eventbus;

import dev.vertxdomains.examples.Accounts;
import dev.vertxdomains.examples.AccountsVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.serviceproxy.ServiceException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The caller's retries of idempotent requests, on one Vert.x (the failover case is in ClusterIT). */
@ExtendWith(VertxExtension.class)
class IdempotentCallsTest {

  private static <T> Future<T> onContext(Vertx vertx, java.util.function.Supplier<Future<T>> call) {
    Promise<T> result = Promise.promise();
    vertx.runOnContext(v -> call.get().onComplete(result));
    return result.future();
  }

  private static Throwable failureOf(Future<?> future) throws Exception {
    return future.transform(ar -> Future.succeededFuture(ar.cause())).await(20, TimeUnit.SECONDS);
  }

  @Test
  void aRequestSentBeforeItsAddressHasAHandlerIsAnsweredOnceOneRegisters(Vertx vertx) throws Exception {
    String address = "retry." + UUID.randomUUID();
    Future<String> answer = onContext(vertx, () -> IdempotentCalls.of(vertx)
      .<String>request(address, "ping", new DeliveryOptions().setSendTimeout(1_000)).map(m -> m.body()));
    AtomicInteger handled = new AtomicInteger();
    vertx.setTimer(200, id -> vertx.eventBus().<String>consumer(address, msg -> {
      handled.incrementAndGet();
      msg.reply("pong");
    }));
    assertEquals("pong", answer.await(20, TimeUnit.SECONDS));
    assertEquals(1, handled.get());
    // Without the opt-in, the same request fails at once.
    String other = "retry." + UUID.randomUUID();
    ReplyException plain = assertInstanceOf(ReplyException.class, failureOf(vertx.eventBus().request(other, "ping")));
    assertEquals(ReplyFailure.NO_HANDLERS, plain.failureType());
  }

  @Test
  void aFailureTheRecipientAnsweredIsNeverRetried(Vertx vertx) throws Exception {
    String address = "retry." + UUID.randomUUID();
    AtomicInteger handled = new AtomicInteger();
    vertx.eventBus().<String>consumer(address, msg -> {
      handled.incrementAndGet();
      msg.fail(409, "conflict");
    }).completion().await(10, TimeUnit.SECONDS);
    ReplyException failure = assertInstanceOf(ReplyException.class, failureOf(onContext(vertx,
      () -> IdempotentCalls.of(vertx).request(address, "x", new DeliveryOptions()))));
    assertEquals(ReplyFailure.RECIPIENT_FAILURE, failure.failureType());
    assertEquals(409, failure.failureCode());
    assertEquals(1, handled.get(), "sent once");
  }

  @Test
  void retriesEndAtTheDeadline(Vertx vertx) throws Exception {
    String address = "retry." + UUID.randomUUID();
    long start = System.nanoTime();
    ReplyException failure = assertInstanceOf(ReplyException.class, failureOf(onContext(vertx,
      () -> IdempotentCalls.of(vertx, 300, 10, 50).request(address, "x", new DeliveryOptions()))));
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(ReplyFailure.NO_HANDLERS, failure.failureType());
    assertTrue(tookMillis >= 250 && tookMillis < 5_000, "ended at the 300 ms deadline: " + tookMillis + " ms");
  }

  @Test
  void aServiceProxyIsRetriedUntilTheServiceIsThereAndItsOwnFailuresAreNot(Vertx vertx) throws Exception {
    String address = "accounts." + UUID.randomUUID();
    Future<JsonObject> balance = onContext(vertx, () -> IdempotentCalls.of(vertx)
      .proxy(Accounts.class, Accounts.createProxy(vertx, address)).balance("a1"));
    vertx.setTimer(200, id -> vertx.deployVerticle(AccountsVerticle.class.getName(), new DeploymentOptions()
      .setConfig(new JsonObject().put("address", address))));
    assertEquals(100, balance.await(20, TimeUnit.SECONDS).getInteger("balance"));
    long start = System.nanoTime();
    ServiceException failure = assertInstanceOf(ServiceException.class, failureOf(onContext(vertx,
      () -> IdempotentCalls.of(vertx).proxy(Accounts.class, Accounts.createProxy(vertx, address)).audit("a1"))));
    assertEquals(500, failure.failureCode());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2_000, "answered, not retried");
  }

  @Test
  void badArgumentsAreNamed(Vertx vertx) {
    assertEquals("deadlineMillis: must be at least 1, got 0",
      assertThrows(IllegalArgumentException.class, () -> IdempotentCalls.of(vertx, 0, 10, 10)).getMessage());
    assertEquals("maxDelayMillis: must be at least firstDelayMillis (10), got 5",
      assertThrows(IllegalArgumentException.class, () -> IdempotentCalls.of(vertx, 100, 10, 5)).getMessage());
  }
}
