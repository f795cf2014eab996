package dev.vertxdomains.launcher;

import dev.vertxdomains.management.ManagementServer;

import java.util.Map;
import java.util.Properties;

/**
 * Where a launched process's management endpoint listens, and where {@code list} looks for it: system property
 * {@code -Dvertx-domains.management.host|port}, else environment variable
 * {@code VERTX_DOMAINS_MANAGEMENT_HOST|PORT}, else {@value ManagementServer#DEFAULT_HOST}:{@value
 * ManagementServer#DEFAULT_PORT}. The port {@code off} starts no endpoint; {@code 0} picks a free port.
 *
 * @param host the bind address
 * @param port the port, 0 for any free one, or -1 for none
 */
record ManagementSettings(String host, int port) {

  static final String HOST_PROPERTY = "vertx-domains.management.host";
  static final String PORT_PROPERTY = "vertx-domains.management.port";

  /**
   * Reads the settings.
   *
   * @throws IllegalArgumentException naming the property and what is allowed
   */
  static ManagementSettings read(Map<String, String> env, Properties properties) {
    String host = value(HOST_PROPERTY, env, properties);
    String port = value(PORT_PROPERTY, env, properties);
    host = host == null || host.isBlank() ? ManagementServer.DEFAULT_HOST : host.trim();
    if (port == null) {
      return new ManagementSettings(host, ManagementServer.DEFAULT_PORT);
    }
    if (port.trim().equalsIgnoreCase("off")) {
      return new ManagementSettings(host, -1);
    }
    try {
      int value = Integer.parseInt(port.trim());
      if (value >= 0 && value <= 65535) {
        return new ManagementSettings(host, value);
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException(PORT_PROPERTY + ": must be a port from 0 to 65535 (0: any free port) or off, "
      + "got '" + port + "'");
  }

  /** The property, else its environment variable ({@code a.b-c.d} → {@code A_B_C_D}). */
  static String value(String property, Map<String, String> env, Properties properties) {
    String value = properties.getProperty(property);
    if (value != null) {
      return value;
    }
    return env.get(property.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_'));
  }

  boolean enabled() {
    return port >= 0;
  }
}
