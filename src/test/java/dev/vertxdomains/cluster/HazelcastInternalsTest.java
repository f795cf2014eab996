package dev.vertxdomains.cluster;

import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.internal.partition.impl.InternalPartitionServiceImpl;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Hazelcast internal that {@link HazelcastInternals} changes, on a real clustered Vert.x (127.0.0.1). */
class HazelcastInternalsTest {

  @Test
  @DisplayName("Hazelcast's check for resumed migrations runs every 10 ms, not 250 (a master's death fails over sooner)")
  void migrationPauseCheck() throws Exception {
    try (LocalCluster cluster = LocalCluster.start(1, false, (i, vertx, manager) -> { })) {
      Object migrationManager = ((InternalPartitionServiceImpl) ((HazelcastInstanceProxy) cluster.managers.get(0)
        .getHazelcastInstance()).getOriginal().node.getPartitionService()).getMigrationManager();
      Object thread = field(migrationManager, "migrationThread");
      assertEquals(HazelcastInternals.PAUSED_MIGRATION_CHECK_MILLIS, (long) field(thread, "sleepTime"),
        "if this Hazelcast version renamed its internals, HazelcastInternals needs the new names");
    }
  }

  private static Object field(Object target, String name) throws ReflectiveOperationException {
    Field field = target.getClass().getDeclaredField(name);
    field.setAccessible(true);
    return field.get(target);
  }
}
