package dev.vertxdomains.cluster;

import dev.vertxdomains.testing.JarProcess;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Event-bus connections opened ahead of need, on two real clustered Vert.x instances (Hazelcast on 127.0.0.1). */
class ClusterConnectionsTest {

  private final List<Vertx> nodes = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (Vertx vertx : nodes) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a joining node pings the members, and the members ping it once it answers: both directions open")
  void pingsBothWays() throws Exception {
    Properties properties = new Properties();
    int[] ports = {JarProcess.freePort(), JarProcess.freePort()};
    properties.setProperty(ClusterConfig.NAME, "connections-" + UUID.randomUUID());
    properties.setProperty(ClusterConfig.MEMBERS, "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1]);
    HazelcastClusterManager[] managers = new HazelcastClusterManager[2];
    List<Promise<String>> pinged = List.of(Promise.promise(), Promise.promise());
    for (int i = 0; i < 2; i++) {
      properties.setProperty(ClusterConfig.PORT, Integer.toString(ports[i]));
      managers[i] = ClusterConfig.clusterManager(System.getenv(), properties);
      VertxOptions options = new VertxOptions();
      options.getEventBusOptions().setHost("127.0.0.1");
      Vertx vertx = Vertx.builder().with(options).withClusterManager(managers[i]).buildClustered()
        .await(60, TimeUnit.SECONDS);
      nodes.add(vertx);
      String address = ClusterConnections.PING_ADDRESS_PREFIX + managers[i].getNodeId();
      Promise<String> received = pinged.get(i);
      vertx.eventBus().addInboundInterceptor(delivery -> {
        if (delivery.message().address().equals(address)) {
          received.tryComplete(String.valueOf(delivery.message().body()));
        }
        delivery.next();
      });
      // node 1 starts its pings after node 0 has been waiting for its ping address for a while
      ClusterConnections.keepWarm(vertx, managers[i]).await(30, TimeUnit.SECONDS);
    }
    // node 1 pinged node 0 when it started; node 0 pinged node 1 when it joined, until node 1 answered
    assertEquals("ping", pinged.get(0).future().await(30, TimeUnit.SECONDS));
    assertEquals("ping", pinged.get(1).future().await(30, TimeUnit.SECONDS));
  }
}
