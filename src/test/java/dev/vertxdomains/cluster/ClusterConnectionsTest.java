package dev.vertxdomains.cluster;

import io.vertx.core.Promise;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Event-bus connections opened ahead of need, on two real clustered Vert.x instances (Hazelcast on 127.0.0.1). */
class ClusterConnectionsTest {

  @Test
  @DisplayName("a joining node pings the members, and the members ping it once it answers: both directions open")
  void pingsBothWays() throws Exception {
    List<Promise<String>> pinged = List.of(Promise.promise(), Promise.promise());
    try (LocalCluster cluster = LocalCluster.start(2, false, (i, vertx, manager) -> {
      String address = ClusterConnections.PING_ADDRESS_PREFIX + manager.getNodeId();
      Promise<String> received = pinged.get(i);
      vertx.eventBus().addInboundInterceptor(delivery -> {
        if (delivery.message().address().equals(address)) {
          received.tryComplete(String.valueOf(delivery.message().body()));
        }
        delivery.next();
      });
      // node 1 starts its pings after node 0 has been waiting for its ping address for a while
      ClusterConnections.keepWarm(vertx, manager).await(30, TimeUnit.SECONDS);
    })) {
      // node 1 pinged node 0 when it started; node 0 pinged node 1 when it joined, until node 1 answered
      assertEquals("ping", pinged.get(0).future().await(30, TimeUnit.SECONDS));
      assertEquals("ping", pinged.get(1).future().await(30, TimeUnit.SECONDS));
    }
  }
}
