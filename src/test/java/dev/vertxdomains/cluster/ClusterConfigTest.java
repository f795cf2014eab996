package dev.vertxdomains.cluster;

import com.hazelcast.instance.EndpointQualifier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The settings of conf/cluster.xml that are not about the network. */
class ClusterConfigTest {

  @Test
  @DisplayName("member connections close at once (no SO_LINGER=0, the advanced network's default), so that a dropped "
    + "member's connection ends with a FIN rather than a reset seconds later")
  void memberConnectionsLingerAsTheSystemDoes() {
    assertEquals(-1, ClusterConfig.load(Map.of(), new Properties()).getAdvancedNetworkConfig().getEndpointConfigs()
      .get(EndpointQualifier.MEMBER).getSocketLingerSeconds());
  }

  @Test
  @DisplayName("lite-member makes a Hazelcast lite member, from the property or the environment; anything but "
    + "true or false is refused, naming the key")
  void liteMember() {
    assertFalse(ClusterConfig.load(Map.of(), new Properties()).isLiteMember(), "a data member by default");
    Properties lite = new Properties();
    lite.setProperty(ClusterConfig.LITE_MEMBER, "true");
    assertTrue(ClusterConfig.load(Map.of(), lite).isLiteMember());
    assertTrue(ClusterConfig.load(Map.of("VERTX_DOMAINS_CLUSTER_LITE_MEMBER", "true"), new Properties())
      .isLiteMember());
    Properties bad = new Properties();
    bad.setProperty(ClusterConfig.LITE_MEMBER, "yes");
    IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
      () -> ClusterConfig.load(Map.of(), bad));
    assertTrue(error.getMessage().startsWith(ClusterConfig.LITE_MEMBER + ": must be true or false"),
      error.getMessage());
  }
}
