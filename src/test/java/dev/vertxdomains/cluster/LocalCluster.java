package dev.vertxdomains.cluster;

import dev.vertxdomains.testing.JarProcess;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/** Real clustered Vert.x instances in this JVM, one Hazelcast member each, on 127.0.0.1, a cluster of their own. */
final class LocalCluster implements AutoCloseable {

  /** Called as each node has joined, before the next one starts. */
  interface Started {
    void started(int index, Vertx vertx, HazelcastClusterManager manager) throws Exception;
  }

  final List<Vertx> nodes = new ArrayList<>();
  final List<HazelcastClusterManager> managers = new ArrayList<>();

  private LocalCluster() {
  }

  /** Starts {@code size} nodes one after the other (with Vert.x HA when {@code ha}), from {@link ClusterConfig}. */
  static LocalCluster start(int size, boolean ha, Started started) throws Exception {
    LocalCluster cluster = new LocalCluster();
    List<String> members = new ArrayList<>();
    int[] ports = new int[size];
    for (int i = 0; i < size; i++) {
      ports[i] = JarProcess.freePort();
      members.add("127.0.0.1:" + ports[i]);
    }
    Properties properties = new Properties();
    properties.setProperty(ClusterConfig.NAME, "local-" + UUID.randomUUID());
    properties.setProperty(ClusterConfig.MEMBERS, String.join(",", members));
    try {
      for (int i = 0; i < size; i++) {
        properties.setProperty(ClusterConfig.PORT, Integer.toString(ports[i]));
        HazelcastClusterManager manager = ClusterConfig.clusterManager(System.getenv(), properties);
        VertxOptions options = new VertxOptions().setHAEnabled(ha);
        options.getEventBusOptions().setHost("127.0.0.1");
        Vertx vertx = Vertx.builder().with(options).withClusterManager(manager).buildClustered()
          .await(60, TimeUnit.SECONDS);
        cluster.nodes.add(vertx);
        cluster.managers.add(manager);
        started.started(i, vertx, manager);
      }
    } catch (Exception | AssertionError e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  @Override
  public void close() throws Exception {
    for (Vertx vertx : nodes) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
