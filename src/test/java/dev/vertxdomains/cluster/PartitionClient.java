package dev.vertxdomains.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;

import java.util.concurrent.TimeUnit;

/**
 * The client node of {@link PartitionIT}, a JVM of its own in its own network namespace: joins the cluster (without
 * HA, so it never runs the service), then every {@code interval} ms sends {@code "node"} to the service address and
 * prints one line per outcome, with the send time in epoch milliseconds (the test JVM shares the clock):
 * <pre>
 * ANSWER &lt;sent ms&gt; &lt;answering node id&gt;
 * FAILED &lt;sent ms&gt; &lt;failure type&gt;:&lt;code&gt;
 * </pre>
 * Arguments: the address, the event-bus host (the namespace's address), the interval and the send timeout in ms. The
 * Hazelcast settings come from the {@link ClusterConfig} system properties.
 */
public final class PartitionClient {

  /** Printed once the client has joined the cluster. */
  public static final String READY = "PARTITION CLIENT READY";

  private PartitionClient() {
  }

  /**
   * Runs the client until the process is stopped.
   *
   * @param args address, event-bus host, interval ms, send timeout ms
   */
  public static void main(String[] args) throws Exception {
    String address = args[0];
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost(args[1]);
    long interval = Long.parseLong(args[2]);
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(Long.parseLong(args[3]));
    Vertx vertx = Vertx.builder().with(options)
      .withClusterManager(ClusterConfig.clusterManager(System.getenv(), System.getProperties()))
      .buildClustered().await(120, TimeUnit.SECONDS);
    System.out.println(READY);
    vertx.setPeriodic(interval, id -> {
      long sent = System.currentTimeMillis();
      vertx.eventBus().<String>request(address, "node", delivery).onComplete(ar -> {
        if (ar.succeeded()) {
          System.out.println("ANSWER " + sent + " " + ar.result().body());
        } else if (ar.cause() instanceof ReplyException failure) {
          System.out.println("FAILED " + sent + " " + failure.failureType() + ":" + failure.failureCode());
        } else {
          System.out.println("FAILED " + sent + " " + ar.cause().getClass().getSimpleName());
        }
      });
    });
  }
}
