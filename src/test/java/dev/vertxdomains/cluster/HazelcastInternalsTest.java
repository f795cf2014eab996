package dev.vertxdomains.cluster;

import com.hazelcast.cluster.impl.MemberImpl;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.internal.cluster.impl.ClusterServiceImpl;
import com.hazelcast.internal.cluster.impl.MembershipManager;
import com.hazelcast.internal.partition.impl.InternalPartitionServiceImpl;
import com.hazelcast.spi.impl.operationservice.ExceptionAction;
import com.hazelcast.spi.impl.operationservice.Operation;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  @Test
  @DisplayName("a member that suspects another and closes their connection fails its invocations to it at once "
    + "(a mastership claim's request whose answer was on that connection waited out a 5 s step)")
  void suspectedMemberConnectionClosed() throws Exception {
    try (LocalCluster cluster = LocalCluster.start(3, false, (i, vertx, manager) -> { })) {
      // Node 1 asks node 2 (neither is the master, node 0) what a claim's request asks, and node 2 answers late.
      Node asking = node(cluster, 1);
      Node asked = node(cluster, 2);
      SlowAnswer.running = new CountDownLatch(1);
      Future<Object> answer = asking.getNodeEngine().getOperationService().invokeOnTarget(
        ClusterServiceImpl.SERVICE_NAME, new SlowAnswer(), asked.getThisAddress());
      assertTrue(SlowAnswer.running.await(30, TimeUnit.SECONDS), "node 2 runs the request");
      // Node 1 suspects node 2 as it does on an explicit suspicion: the connection closes with the request on it.
      ClusterServiceImpl clusterService = asking.getClusterService();
      MemberImpl member = clusterService.getMember(asked.getThisAddress());
      Method suspect = MembershipManager.class.getDeclaredMethod("suspectMember", MemberImpl.class, String.class,
        boolean.class);
      suspect.setAccessible(true);
      suspect.invoke(clusterService.getMembershipManager(), member, "test", true);
      // MemberLeftException is an ExecutionException: Hazelcast's future throws it as it is.
      assertThrows(MemberLeftException.class, () -> answer.get(SlowAnswer.ANSWER_MILLIS * 3, TimeUnit.MILLISECONDS),
        "the invocation fails instead of waiting for node 2's answer (" + SlowAnswer.ANSWER_MILLIS + " ms)");
    }
  }

  /** A request answered after {@link #ANSWER_MILLIS}, not retried when its target leaves (like a claim's request). */
  public static final class SlowAnswer extends Operation {
    static final long ANSWER_MILLIS = 4_000;
    static volatile CountDownLatch running;

    /** For Hazelcast's deserialization. */
    public SlowAnswer() {
    }

    @Override
    public void run() throws InterruptedException {
      running.countDown();
      Thread.sleep(ANSWER_MILLIS);
    }

    @Override
    public Object getResponse() {
      return "answered";
    }

    @Override
    public ExceptionAction onInvocationException(Throwable throwable) {
      return throwable instanceof MemberLeftException ? ExceptionAction.THROW_EXCEPTION
        : super.onInvocationException(throwable);
    }
  }

  private static Node node(LocalCluster cluster, int i) {
    return ((HazelcastInstanceProxy) cluster.managers.get(i).getHazelcastInstance()).getOriginal().node;
  }

  private static Object field(Object target, String name) throws ReflectiveOperationException {
    Field field = target.getClass().getDeclaredField(name);
    field.setAccessible(true);
    return field.get(target);
  }
}
