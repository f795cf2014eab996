package dev.vertxdomains.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;

import java.util.HashSet;
import java.util.Set;

/** Vert.x node ids of Hazelcast members: the attribute vertx-hazelcast sets on each member. */
final class Members {

  /** The member attribute holding the Vert.x node id. */
  static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  private Members() {
  }

  /** The Vert.x node id of a member, or {@code null}. */
  static String nodeId(Member member) {
    return member.getAttribute(NODE_ID_ATTRIBUTE);
  }

  /** The Vert.x node ids of the current members. */
  static Set<String> liveNodeIds(HazelcastInstance hazelcast) {
    Set<String> live = new HashSet<>();
    for (Member member : hazelcast.getCluster().getMembers()) {
      String id = nodeId(member);
      if (id != null) {
        live.add(id);
      }
    }
    return live;
  }
}
