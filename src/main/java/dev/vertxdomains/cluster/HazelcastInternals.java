package dev.vertxdomains.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.BuildInfoProvider;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import com.hazelcast.instance.impl.HazelcastInstanceImpl;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.internal.partition.impl.InternalPartitionServiceImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;

/**
 * The one place where vertx-domains reaches into Hazelcast internals, for a delay that has no setting.
 * <p>
 * When the cluster's master dies, the member that takes over pauses partition migrations while it claims mastership,
 * and Hazelcast's migration thread then checks every 250 ms (a constant; {@code hazelcast.partition.migration.interval}
 * can only raise it) whether it may go on. Promoting the backups of the dead member's partitions waits for that check,
 * and every map operation on those partitions waits for the promotion: the HA decision (Vert.x reads its HA map), the
 * claim of the deployment, the new consumer's subscription. Measured on 127.0.0.1 (3 JVMs, 2 cores): the promotion
 * started 250 ms after the mastership claim in every kill of the master. Here the check runs every
 * {@value #PAUSED_MIGRATION_CHECK_MILLIS} ms instead, only while migrations are paused (a mastership claim or a join).
 * <p>
 * Registered as a Hazelcast listener by {@link ClusterConfig#load}, so it runs as each member starts; if this
 * Hazelcast version has other internals, it logs one WARN line naming what is slower and changes nothing (a speed
 * reach: failover works, 250 ms later).
 */
final class HazelcastInternals implements LifecycleListener, HazelcastInstanceAware {

  /** How often the migration thread checks whether paused migrations may resume. */
  static final long PAUSED_MIGRATION_CHECK_MILLIS = 10;
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastInternals.class);

  @Override
  public void setHazelcastInstance(HazelcastInstance instance) {
    try {
      HazelcastInstanceImpl impl = instance instanceof HazelcastInstanceProxy proxy ? proxy.getOriginal()
        : (HazelcastInstanceImpl) instance;
      Object migrationManager = ((InternalPartitionServiceImpl) impl.node.getPartitionService()).getMigrationManager();
      Object thread = field(migrationManager.getClass(), "migrationThread").get(migrationManager);
      field(thread.getClass(), "sleepTime").setLong(thread, PAUSED_MIGRATION_CHECK_MILLIS);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("vertx-domains on Hazelcast {}: failover after the death of the cluster's master is slower: the "
        + "migration thread's pause check cannot be reached ({}), so it keeps its 250 ms", BuildInfoProvider
        .getBuildInfo().getVersion(), e.toString());
    }
  }

  @Override
  public void stateChanged(LifecycleEvent event) {
    // registered for setHazelcastInstance only
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    Field field = type.getDeclaredField(name);
    field.setAccessible(true);
    return field;
  }
}
