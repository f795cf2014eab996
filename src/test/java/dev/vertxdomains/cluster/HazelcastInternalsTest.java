package dev.vertxdomains.cluster;

import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.internal.partition.impl.InternalPartitionServiceImpl;
import dev.vertxdomains.testing.JarProcess;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Hazelcast internal that {@link HazelcastInternals} changes, on a real clustered Vert.x (127.0.0.1). */
class HazelcastInternalsTest {

  private final List<Vertx> nodes = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (Vertx vertx : nodes) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("Hazelcast's check for resumed migrations runs every 10 ms, not 250 (a master's death fails over sooner)")
  void migrationPauseCheck() throws Exception {
    Properties properties = new Properties();
    int port = JarProcess.freePort();
    properties.setProperty(ClusterConfig.NAME, "internals-" + UUID.randomUUID());
    properties.setProperty(ClusterConfig.MEMBERS, "127.0.0.1:" + port);
    properties.setProperty(ClusterConfig.PORT, Integer.toString(port));
    HazelcastClusterManager manager = ClusterConfig.clusterManager(System.getenv(), properties);
    VertxOptions options = new VertxOptions();
    options.getEventBusOptions().setHost("127.0.0.1");
    nodes.add(Vertx.builder().with(options).withClusterManager(manager).buildClustered().await(60, TimeUnit.SECONDS));
    Object migrationManager = ((InternalPartitionServiceImpl) ((HazelcastInstanceProxy) manager.getHazelcastInstance())
      .getOriginal().node.getPartitionService()).getMigrationManager();
    Object thread = field(migrationManager, "migrationThread");
    assertEquals(HazelcastInternals.PAUSED_MIGRATION_CHECK_MILLIS, (long) field(thread, "sleepTime"),
      "if this Hazelcast version renamed its internals, HazelcastInternals needs the new names");
  }

  private static Object field(Object target, String name) throws ReflectiveOperationException {
    Field field = target.getClass().getDeclaredField(name);
    field.setAccessible(true);
    return field.get(target);
  }
}
