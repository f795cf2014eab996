package dev.vertxdomains.cluster;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.vertxdomains.testing.JarProcess;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Hazelcast port of a node with conf/cluster.xml: on the configured interface only, and no client endpoint. */
class ClusterNetworkTest {

  @Test
  @DisplayName("the member port listens on 127.0.0.1 only, and a client that knows the cluster name cannot connect")
  void memberPortIsNotOpenToClients() throws Exception {
    int port = JarProcess.freePort();
    String name = "network-" + UUID.randomUUID();
    Properties properties = new Properties();
    properties.setProperty(ClusterConfig.NAME, name);
    properties.setProperty(ClusterConfig.PORT, Integer.toString(port));
    properties.setProperty(ClusterConfig.MEMBERS, "127.0.0.1:" + port);
    HazelcastInstance member = Hazelcast.newHazelcastInstance(ClusterConfig.load(System.getenv(), properties));
    try {
      member.getMap("vertx-domains.owners").put("svc", "node");
      assertEquals(List.of("127.0.0.1"), listeningAddresses(port), "addresses listening on the member port");

      ClientConfig client = new ClientConfig().setClusterName(name);
      client.getNetworkConfig().addAddress("127.0.0.1:" + port);
      client.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(3_000);
      assertThrows(IllegalStateException.class, () -> HazelcastClient.newHazelcastClient(client).shutdown(),
        "a Hazelcast client must not connect");
      assertEquals("node", member.getMap("vertx-domains.owners").get("svc"), "the maps are untouched");
    } finally {
      member.shutdown();
    }
  }

  /** The local addresses in LISTEN state on {@code port}, from the kernel's TCP table (IPv4 and IPv6). */
  private static List<String> listeningAddresses(int port) throws Exception {
    String hexPort = String.format(Locale.ROOT, ":%04X", port);
    List<String> found = new java.util.ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path path = Path.of(table);
      if (!Files.exists(path)) {
        continue;
      }
      for (String line : Files.readAllLines(path)) {
        String[] fields = line.trim().split("\\s+");
        if (fields.length > 3 && fields[1].endsWith(hexPort) && fields[3].equals("0A")) {
          found.add(decode(fields[1].substring(0, fields[1].indexOf(':'))));
        }
      }
    }
    assertTrue(!found.isEmpty(), "nothing listens on " + port);
    return found;
  }

  private static String decode(String hex) {
    if (hex.length() == 8) {
      long value = Long.parseLong(hex, 16);
      return (value & 0xff) + "." + ((value >> 8) & 0xff) + "." + ((value >> 16) & 0xff) + "." + ((value >> 24) & 0xff);
    }
    if (hex.startsWith("0000000000000000FFFF0000")) {
      return decode(hex.substring(24)); // an IPv4-mapped IPv6 address
    }
    return hex.chars().allMatch(c -> c == '0') ? "::" : "ipv6:" + hex;
  }
}
