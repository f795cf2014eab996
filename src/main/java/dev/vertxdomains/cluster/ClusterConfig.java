package dev.vertxdomains.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.EndpointConfig;
import com.hazelcast.config.InvalidConfigurationException;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.config.XmlConfigBuilder;
import com.hazelcast.instance.EndpointQualifier;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The Hazelcast configuration of a vertx-domains node.
 * <p>
 * The file is {@code -Dvertx.hazelcast.config} when set (Vert.x's own property), else {@value #DEFAULT_FILE} in the
 * working directory, else the copy of it inside the jar. Its placeholders are filled from system properties, else
 * environment variables, else defaults:
 * <table>
 *   <caption>Placeholders</caption>
 *   <tr><th>property</th><th>environment</th><th>default</th></tr>
 *   <tr><td>{@value #MEMBERS}</td><td>VERTX_DOMAINS_CLUSTER_MEMBERS</td><td>127.0.0.1</td></tr>
 *   <tr><td>{@value #INTERFACE}</td><td>VERTX_DOMAINS_CLUSTER_INTERFACE</td><td>127.0.0.1</td></tr>
 *   <tr><td>{@value #PORT}</td><td>VERTX_DOMAINS_CLUSTER_PORT</td><td>5701</td></tr>
 *   <tr><td>{@value #NAME}</td><td>VERTX_DOMAINS_CLUSTER_NAME</td><td>vertx-domains</td></tr>
 *   <tr><td>{@value #MAX_NO_HEARTBEAT}</td><td>VERTX_DOMAINS_CLUSTER_MAX_NO_HEARTBEAT_SECONDS</td><td>5</td></tr>
 * </table>
 * <p>
 * {@value #LITE_MEMBER} ({@code VERTX_DOMAINS_CLUSTER_LITE_MEMBER}, default {@code false}) makes the node a Hazelcast
 * lite member: it holds no data, grants no lease, and does not count when a split cluster merges. For an application
 * that joins only to call services: it never decides which side of a partition wins.
 */
public final class ClusterConfig {

  /** The configuration file used when no other is named. */
  public static final String DEFAULT_FILE = "conf/cluster.xml";
  /** Comma-separated members to contact: {@code host}, {@code host:port} or {@code host:port-port}. */
  public static final String MEMBERS = "vertx-domains.cluster.members";
  /** The interface Hazelcast binds. */
  public static final String INTERFACE = "vertx-domains.cluster.interface";
  /** The first Hazelcast port tried. */
  public static final String PORT = "vertx-domains.cluster.port";

  /** The cluster's name: only members with the same name form a cluster. */
  public static final String NAME = "vertx-domains.cluster.name";

  /** Seconds without a heartbeat after which a member is removed (the failure-detection bound). */
  public static final String MAX_NO_HEARTBEAT = "vertx-domains.cluster.max-no-heartbeat-seconds";

  /** {@code true} to join as a Hazelcast lite member (a client of the cluster's services; holds no data). */
  public static final String LITE_MEMBER = "vertx-domains.cluster.lite-member";

  private static final Map<String, String> DEFAULTS = Map.of(MEMBERS, "127.0.0.1", INTERFACE, "127.0.0.1",
    PORT, "5701", NAME, "vertx-domains", MAX_NO_HEARTBEAT, "5");

  private ClusterConfig() {
  }

  /**
   * Loads the configuration.
   *
   * @param env        the environment variables
   * @param properties the system properties
   * @return the Hazelcast configuration
   * @throws IllegalArgumentException naming the file or the setting that is wrong
   */
  public static Config load(Map<String, String> env, Properties properties) {
    Properties values = new Properties();
    values.putAll(properties);
    DEFAULTS.forEach((name, fallback) -> {
      String value = properties.getProperty(name);
      if (value == null) {
        value = env.getOrDefault(name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'), fallback);
      }
      values.setProperty(name, value.trim());
    });
    String port = values.getProperty(PORT);
    if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
      throw new IllegalArgumentException(PORT + ": must be a port from 1 to 65535, got '" + port + "'");
    }
    String bound = values.getProperty(MAX_NO_HEARTBEAT);
    if (!bound.matches("\\d{1,4}") || Integer.parseInt(bound) < 2) {
      throw new IllegalArgumentException(MAX_NO_HEARTBEAT + ": must be a whole number of seconds, at least 2, got '"
        + bound + "'");
    }
    String lite = properties.getProperty(LITE_MEMBER, env.getOrDefault("VERTX_DOMAINS_CLUSTER_LITE_MEMBER", "false"))
      .trim();
    if (!lite.equals("true") && !lite.equals("false")) {
      throw new IllegalArgumentException(LITE_MEMBER + ": must be true or false, got '" + lite + "'");
    }
    String named = properties.getProperty("vertx.hazelcast.config");
    Path file = Path.of(named != null ? named : DEFAULT_FILE);
    try (InputStream in = Files.isRegularFile(file) ? Files.newInputStream(file)
      : named == null ? ClusterConfig.class.getResourceAsStream("/cluster.xml") : null) {
      if (in == null) {
        throw new IllegalArgumentException(named != null
          ? "-Dvertx.hazelcast.config: no such file: " + named
          : DEFAULT_FILE + ": not found, and no cluster.xml in the jar");
      }
      XmlConfigBuilder builder = new XmlConfigBuilder(in);
      builder.setProperties(values);
      Config config = builder.build();
      memberLingerAsSystem(config);
      return config.setLiteMember(Boolean.parseBoolean(lite))
        .addListenerConfig(new ListenerConfig(new HazelcastInternals()));
    } catch (IOException | InvalidConfigurationException e) {
      throw new IllegalArgumentException(file + ": not a valid Hazelcast configuration: " + e.getMessage(), e);
    }
  }

  /**
   * Member connections without {@code SO_LINGER=0}, the advanced network's default (its XML allows no value below 0):
   * Hazelcast closes a dropped member's connection while it is still registered with a selector, and with a zero
   * linger the kernel sends nothing until that selector next wakes, up to 5 s later, and then a reset. A new master
   * candidate's mastership claim to a member that follows the old master (a lite client reaching both sides of a
   * partition) went unanswered on such a half-closed connection and waited out Hazelcast's fixed 5 s step; with the
   * system's default the close is a FIN at once, the candidate's retry is refused, and the claim ends within a second.
   * Only the default zero is changed; an explicit {@code linger-seconds} above zero is kept.
   */
  private static void memberLingerAsSystem(Config config) {
    EndpointConfig member = config.getAdvancedNetworkConfig().getEndpointConfigs().get(EndpointQualifier.MEMBER);
    if (member != null && member.getSocketLingerSeconds() == 0) {
      member.setSocketLingerSeconds(-1);
    }
  }

  /**
   * A Hazelcast cluster manager with {@link #load the configuration}; Vert.x HA hears of a departed node before the
   * subscription cleanup runs (see the package's {@code HaFirstClusterManager}).
   *
   * @param env        the environment variables
   * @param properties the system properties
   * @return the cluster manager, to give to {@code Vertx.builder().withClusterManager(...)}
   */
  public static HazelcastClusterManager clusterManager(Map<String, String> env, Properties properties) {
    return new HaFirstClusterManager(load(env, properties));
  }
}
