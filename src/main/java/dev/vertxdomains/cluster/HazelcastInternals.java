package dev.vertxdomains.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.BuildInfoProvider;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import com.hazelcast.instance.impl.HazelcastInstanceImpl;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.cluster.Address;
import com.hazelcast.instance.EndpointQualifier;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.internal.cluster.impl.ClusterServiceImpl;
import com.hazelcast.internal.cluster.impl.MembershipManager;
import com.hazelcast.internal.nio.ConnectionListener;
import com.hazelcast.internal.partition.impl.InternalPartitionServiceImpl;
import com.hazelcast.internal.server.ServerConnection;
import com.hazelcast.cluster.impl.MemberImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * The one place where vertx-domains reaches into Hazelcast internals, for two delays that have no setting.
 * <p>
 * <b>The migration pause check.</b>
 * When the cluster's master dies, the member that takes over pauses partition migrations while it claims mastership,
 * and Hazelcast's migration thread then checks every 250 ms (a constant; {@code hazelcast.partition.migration.interval}
 * can only raise it) whether it may go on. Promoting the backups of the dead member's partitions waits for that check,
 * and every map operation on those partitions waits for the promotion: the HA decision (Vert.x reads its HA map), the
 * claim of the deployment, the new consumer's subscription. Measured on 127.0.0.1 (3 JVMs, 2 cores): the promotion
 * started 250 ms after the mastership claim in every kill of the master. Here the check runs every
 * {@value #PAUSED_MIGRATION_CHECK_MILLIS} ms instead, only while migrations are paused (a mastership claim or a join).
 * <p>
 * <b>A suspected member's lost answers.</b> A member that suspects another closes its connection to it, and an
 * invocation whose request or answer was on that connection waits for an answer that cannot come: Hazelcast fails
 * invocations only when their target leaves the member list, not when a connection closes. A mastership claim waits
 * for the answer of every member it asked, in fixed 5 s steps ({@code MembershipManager}), and drops a suspected one
 * only at the end of a step. Measured in {@code PartitionIT}'s "client with the minority" (the lite client follows the
 * cut-off master and, once that master dropped the majority, sends the claiming node an explicit suspicion while the
 * claim's request to it is in flight): in 1 run of 10 the claim took 5.0 s instead of 0.2 to 1.4, and the majority
 * served after 11.5 s instead of 6 to 7.5. Here, when a member connection closes and this node suspects its member,
 * the invocations to that member fail at once ({@code MemberLeftException}, as when it leaves the member list), so
 * the claim drops it at once, as it would 5 s later. A suspected member leaves this node's member list or is dropped
 * by its claim; invocations to it end with the same exception then.
 * <p>
 * Registered as a Hazelcast listener by {@link ClusterConfig#load}, so it runs as each member starts; if this
 * Hazelcast version has other internals, it logs one WARN line naming what is slower and changes nothing (a speed
 * reach: failover works, 250 ms or 5 s later).
 */
final class HazelcastInternals implements LifecycleListener, HazelcastInstanceAware {

  /** How often the migration thread checks whether paused migrations may resume. */
  static final long PAUSED_MIGRATION_CHECK_MILLIS = 10;
  private static final Logger LOG = LoggerFactory.getLogger(HazelcastInternals.class);

  @Override
  public void setHazelcastInstance(HazelcastInstance instance) {
    try {
      Object migrationManager = ((InternalPartitionServiceImpl) original(instance).node.getPartitionService())
        .getMigrationManager();
      Object thread = field(migrationManager.getClass(), "migrationThread").get(migrationManager);
      field(thread.getClass(), "sleepTime").setLong(thread, PAUSED_MIGRATION_CHECK_MILLIS);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("vertx-domains on Hazelcast {}: failover after the death of the cluster's master is slower: the "
        + "migration thread's pause check cannot be reached ({}), so it keeps its 250 ms", BuildInfoProvider
        .getBuildInfo().getVersion(), e.toString());
    }
    try {
      Node node = original(instance).node;
      node.getServer().getConnectionManager(EndpointQualifier.MEMBER)
        .addConnectionListener(new SuspectedMemberConnections(node));
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("vertx-domains on Hazelcast {}: a mastership claim can wait 5 s more for a suspected member whose "
        + "connection closed: its invocations cannot be reached ({})", BuildInfoProvider.getBuildInfo().getVersion(),
        e.toString());
    }
  }

  private static HazelcastInstanceImpl original(HazelcastInstance instance) {
    return instance instanceof HazelcastInstanceProxy proxy ? proxy.getOriginal() : (HazelcastInstanceImpl) instance;
  }

  /** Fails the invocations to a suspected member when its connection closes (see the class comment). */
  static final class SuspectedMemberConnections implements ConnectionListener<ServerConnection> {

    private final Node node;
    private final Method isMemberSuspected;

    SuspectedMemberConnections(Node node) throws NoSuchMethodException {
      this.node = node;
      this.isMemberSuspected = MembershipManager.class.getDeclaredMethod("isMemberSuspected", MemberImpl.class);
      isMemberSuspected.setAccessible(true);
    }

    @Override
    public void connectionAdded(ServerConnection connection) {
      // only removals matter
    }

    @Override
    public void connectionRemoved(ServerConnection connection) {
      Address address = connection.getRemoteAddress();
      if (address != null && suspected(address)) {
        node.getNodeEngine().getOperationService().onEndpointLeft(address);
      }
    }

    /** Whether this node suspects the member at {@code address} (a member it still lists). */
    boolean suspected(Address address) {
      ClusterServiceImpl cluster = node.getClusterService();
      MemberImpl member = cluster.getMember(address);
      try {
        return member != null && (boolean) isMemberSuspected.invoke(cluster.getMembershipManager(), member);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("MembershipManager.isMemberSuspected: " + e, e);
      }
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
