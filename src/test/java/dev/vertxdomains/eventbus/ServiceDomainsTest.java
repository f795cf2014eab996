package dev.vertxdomains.eventbus;

import dev.vertxdomains.examples.Accounts;
import dev.vertxdomains.examples.AccountsVerticle;
import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.WorkerInfo;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceException;
import dev.vertxdomains.testing.RegistrationCounts;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Event-bus service proxies with a domain per call, supervised: the {@link Accounts} example through its proxy. */
class ServiceDomainsTest {

  private static Future<String> deploy(Vertx vertx, String address, int instances) {
    return Supervisor.deploy(vertx, AccountsVerticle.class.getName(), new DeploymentOptions().setInstances(instances)
      .setConfig(new JsonObject().put("address", address)));
  }

  /** A call through the generated proxy, made from a Vert.x context, as an application makes it. */
  private static Future<JsonObject> call(Vertx vertx, String address, boolean audit, String id) {
    Promise<JsonObject> result = Promise.promise();
    vertx.runOnContext(v -> {
      Accounts accounts = Accounts.createProxy(vertx, address);
      (audit ? accounts.audit(id) : accounts.balance(id)).onComplete(result);
    });
    return result.future();
  }

  private static int generation(Vertx vertx) {
    return Supervisor.workers(vertx).stream().filter(w -> w.state() == dev.vertxdomains.supervisor.WorkerState.RUNNING)
      .mapToInt(WorkerInfo::generation).max().orElse(0);
  }

  @Test
  @DisplayName("a call that fails from a timer answers its caller with ServiceException 500 at once, without the text; "
    + "the next call is served by the new generation")
  void aFailingCallAnswersAtOnce() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      String address = "accounts." + UUID.randomUUID();
      deploy(vertx, address, 1).await(30, TimeUnit.SECONDS);
      assertEquals(new JsonObject().put("id", "a1").put("balance", 100),
        call(vertx, address, false, "a1").await(10, TimeUnit.SECONDS));
      int before = generation(vertx);
      long sent = System.nanoTime();
      Throwable failure = call(vertx, address, true, "a1").transform(ar -> Future.succeededFuture(ar.cause()))
        .await(10, TimeUnit.SECONDS);
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
      ServiceException answer = assertInstanceOf(ServiceException.class, failure);
      assertEquals(ServiceDomains.FAILURE_CODE, answer.failureCode());
      assertEquals(ServiceDomains.FAILURE_MESSAGE, answer.getMessage());
      assertTrue(tookMillis < 1_000, "answered at once, not at a timeout: " + tookMillis + " ms");
      assertEquals(100, call(vertx, address, false, "a2").await(10, TimeUnit.SECONDS).getInteger("balance"));
      assertNotEquals(before, generation(vertx), "the next call is served by a new generation");
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a call naming no method of the service is answered 400 and recycles nothing")
  void anUnknownActionIsABadCall() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      String address = "accounts." + UUID.randomUUID();
      deploy(vertx, address, 1).await(30, TimeUnit.SECONDS);
      Throwable failure = vertx.eventBus().request(address, new JsonObject(),
          new DeliveryOptions().addHeader("action", "transfer").setSendTimeout(10_000))
        .transform(ar -> Future.succeededFuture(ar.cause())).await(10, TimeUnit.SECONDS);
      ServiceException answer = assertInstanceOf(ServiceException.class, failure);
      assertEquals(ServiceDomains.BAD_CALL_CODE, answer.failureCode());
      assertEquals(0, Supervisor.workers(vertx).stream().mapToLong(WorkerInfo::restarts).sum(), "no recycle");
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("200 proxy calls, 1 in 10 faulting, across recycles: every call answered, one registration per slot")
  void callsAcrossRecyclesKeepTheRegistration() throws Exception {
    String address = "accounts." + UUID.randomUUID();
    RegistrationCounts counts = new RegistrationCounts(address);
    AtomicInteger registered = counts.registered;
    AtomicInteger unregistered = counts.unregistered;
    Vertx vertx = counts.vertx;
    try {
      String id = deploy(vertx, address, 2).await(30, TimeUnit.SECONDS);
      ConcurrentHashMap<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        boolean fault = i % 10 == 5;
        calls.add(call(vertx, address, fault, "a" + i).transform(ar -> {
          String outcome = ar.succeeded() ? (ar.result().getInteger("balance") == 100 ? "balance" : "wrong")
            : ar.cause() instanceof ServiceException se ? "service-exception:" + se.failureCode() : ar.cause().toString();
          outcomes.computeIfAbsent((fault ? "fault " : "call ") + outcome, k -> new AtomicInteger()).incrementAndGet();
          return Future.succeededFuture();
        }));
      }
      Future.all(calls).await(60, TimeUnit.SECONDS);
      assertEquals(180, outcomes.getOrDefault("call balance", new AtomicInteger()).get(), outcomes.toString());
      assertEquals(20, outcomes.getOrDefault("fault service-exception:500", new AtomicInteger()).get(),
        outcomes.toString());
      long restarts = Supervisor.workers(vertx).stream().mapToLong(WorkerInfo::restarts).sum();
      assertTrue(restarts > 0, "instances were recycled");
      assertEquals(2, registered.get(), "registrations: one per slot");
      assertEquals(0, unregistered.get(), "unregistrations while running");
      vertx.undeploy(id).await(30, TimeUnit.SECONDS);
      assertEquals(2, unregistered.get(), "unregistrations once the slots go");
      assertFalse(outcomes.containsKey("call wrong"));
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
