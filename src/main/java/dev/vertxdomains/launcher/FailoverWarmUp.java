package dev.vertxdomains.launcher;

import dev.vertxdomains.eventbus.EventBusDomains;
import dev.vertxdomains.supervisor.Supervisor;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the path by which a node takes over a failed node's supervised deployment once, at start, on a private Vert.x
 * instance of its own (not clustered, nothing bound to a network address), so that the first failover does not pay
 * for it.
 * <p>
 * A node that runs no supervised deployment of its own (a standby started with {@code bare}, or a node whose verticles
 * are not supervised) has never loaded the supervisor's, the domains' and the event-bus integration's classes, nor
 * linked their lambdas. A failover deploys through all of them for the first time, interpreted, while the surviving
 * nodes repair the cluster's partitions on the same cores. Measured on 127.0.0.1 (3 JVMs, 2 cores, the bench's
 * kill -9 failover, 9 kills each way): from Vert.x HA's decision to the client seeing the new consumer took a median
 * of 375 ms on a cold standby and 175 ms on a warmed one.
 * <p>
 * The warm-up deploys {@value #INSTANCES} supervised instances of a small event-bus service, sends it
 * {@value #MESSAGES} requests, undeploys it and closes the private instance. It is invisible to the cluster and to the
 * management endpoint (those watch the node's own Vert.x instance). The launcher runs it on every node with HA
 * enabled; {@value #PROPERTY}{@code =false} switches it off.
 */
final class FailoverWarmUp {

  /** {@code false} switches the warm-up off (default {@code true}); also {@code VERTX_DOMAINS_HA_WARM_UP}. */
  static final String PROPERTY = "vertx-domains.ha.warm-up";
  static final String ADDRESS = "vertx-domains.warm-up";
  static final int INSTANCES = 2;
  static final int MESSAGES = 20;
  /** The private instance is closed after this long whatever the warm-up's state. */
  static final long TIMEOUT_SECONDS = 60;

  private static final Logger LOG = LoggerFactory.getLogger(FailoverWarmUp.class);

  private FailoverWarmUp() {
  }

  /**
   * Starts the warm-up in the background.
   *
   * @return completes with the milliseconds it took, or fails (the node runs on either way)
   */
  static Future<Long> start() {
    long started = System.nanoTime();
    Vertx local;
    try {
      local = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(INSTANCES).setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1));
    } catch (RuntimeException e) {
      LOG.warn("The failover warm-up could not start (the first failover here will be slower): {}", e.toString());
      return Future.failedFuture(e);
    }
    return Supervisor.deploy(local, Service.class.getName(), new DeploymentOptions().setInstances(INSTANCES))
      .compose(id -> requests(local).compose(v -> local.undeploy(id)))
      .timeout(TIMEOUT_SECONDS, TimeUnit.SECONDS)
      .map(v -> (System.nanoTime() - started) / 1_000_000)
      .onComplete(ar -> {
        // Logged on the private instance, before it closes (its threads end with it).
        if (ar.succeeded()) {
          LOG.info("Warmed the failover path in {} ms", ar.result());
        } else {
          LOG.warn("The failover warm-up failed (the first failover here will be slower): {}", ar.cause().toString());
        }
        local.close();
      });
  }

  private static Future<Void> requests(Vertx vertx) {
    List<Future<?>> replies = new ArrayList<>();
    for (int i = 0; i < MESSAGES; i++) {
      replies.add(vertx.eventBus().request(ADDRESS, "ok"));
    }
    return Future.all(replies).mapEmpty();
  }

  /** The warm-up's service: answers every message with its body, each in its own domain. */
  public static final class Service extends VerticleBase {

    /** Made by the supervisor, by name. */
    public Service() {
    }

    @Override
    public Future<?> start() {
      return EventBusDomains.<String>consumer(vertx, ADDRESS, message -> message.reply(message.body())).completion();
    }
  }
}
