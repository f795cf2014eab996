package dev.vertxdomains.domain;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The Vert.x 5 line this JVM runs: vertx-domains works on 5.0.x, 5.1.x and 5.2.x, and where Vert.x's internals differ
 * between them, each layer handles each line explicitly by switching on this value (see {@link InternalReach}).
 * <p>
 * The version is read from {@code META-INF/vertx/vertx-version.txt}, which every {@code vertx-core} jar carries.
 * A newer 5.x line than 5.2 is treated as 5.2, with one WARN line: every internal reach is checked against it at
 * start-up all the same, so a feature it breaks fails loudly rather than in silence.
 */
public enum VertxLine {
  /** Vert.x 5.0.x. */
  V5_0,
  /** Vert.x 5.1.x: {@code HttpServerConfig}, the HTTP implementation split into packages, {@code CleanableHttpServer}. */
  V5_1,
  /** Vert.x 5.2.x: event-bus consumers run a {@code processor}, and swallow what their handler throws. */
  V5_2;

  private static final Logger LOG = LoggerFactory.getLogger(VertxLine.class);
  private static final String VERSION = readVersion();
  private static final VertxLine RUNNING = parse(VERSION);

  /**
   * The line of the Vert.x on the class path.
   *
   * @return the running line
   * @throws IllegalStateException when the Vert.x on the class path is not a 5.x version
   */
  public static VertxLine running() {
    if (RUNNING == null) {
      throw new IllegalStateException("vertx-domains needs Vert.x 5.0.x, 5.1.x or 5.2.x; the class path has Vert.x "
        + VERSION);
    }
    return RUNNING;
  }

  /**
   * The version of the Vert.x on the class path, as its {@code vertx-core} jar states it ({@code 5.1.6}).
   *
   * @return the version, or {@code "unknown"}
   */
  public static String version() {
    return VERSION;
  }

  /**
   * Whether this line is {@code other} or a later one.
   *
   * @param other the line to compare with
   * @return {@code true} when this line is at least {@code other}
   */
  public boolean atLeast(VertxLine other) {
    return compareTo(other) >= 0;
  }

  static VertxLine parse(String version) {
    String[] parts = version.split("[.-]");
    if (parts.length < 2 || !parts[0].equals("5")) {
      return null;
    }
    int minor;
    try {
      minor = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return null;
    }
    return switch (minor) {
      case 0 -> V5_0;
      case 1 -> V5_1;
      case 2 -> V5_2;
      default -> {
        LOG.warn("Vert.x {} is newer than the lines vertx-domains is tested on (5.0 to 5.2): it is treated as 5.2, and "
          + "each internal reach is checked against it when first used", version);
        yield V5_2;
      }
    };
  }

  private static String readVersion() {
    try (InputStream in = io.vertx.core.Vertx.class.getResourceAsStream("/META-INF/vertx/vertx-version.txt")) {
      return in == null ? "unknown" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
