package com.acme;

import dev.vertxdomains.supervisor.Supervisor;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a Vert.x user gets from depending on vertx-domains. */
@ExtendWith(VertxExtension.class)
class ConsumerTest {

  /** The consumer's own verticle. */
  public static class App extends VerticleBase {
  }

  private static String location(Class<?> type) {
    return type.getProtectionDomain().getCodeSource().getLocation().toString();
  }

  @Test
  void vertxIsTheConsumersOwn() throws Exception {
    String expected = System.getProperty("expected.vertx.version");
    try (InputStream in = Vertx.class.getResourceAsStream("/META-INF/vertx/vertx-version.txt")) {
      assertEquals(expected, new String(in.readAllBytes(), StandardCharsets.UTF_8).trim());
    }
    assertTrue(location(Vertx.class).contains("vertx-core-" + expected + ".jar"), location(Vertx.class));
    // The library is the thin jar: its own classes only, no logging configuration, nothing optional forced in.
    String library = location(Supervisor.class);
    assertTrue(library.matches(".*/vertx-domains-[^/]+\\.jar") && !library.endsWith("-all.jar"), library);
    List<URL> logback = Collections.list(getClass().getClassLoader().getResources("logback.xml"));
    assertTrue(logback.isEmpty(), logback.toString());
    assertFalse(present("com.hazelcast.core.Hazelcast"), "Hazelcast is optional");
    assertFalse(present("io.vertx.core.Launcher"), "the legacy launcher is optional");
  }

  @Test
  void sourcesAndJavadocArePublished() {
    URL source = getClass().getClassLoader().getResource("dev/vertxdomains/supervisor/Supervisor.java");
    assertTrue(source != null && source.toString().contains("-sources.jar!"), String.valueOf(source));
    URL page = getClass().getClassLoader().getResource("dev/vertxdomains/supervisor/Supervisor.html");
    assertTrue(page != null && page.toString().contains("-javadoc.jar!"), String.valueOf(page));
    // The application's API is documented apart from the integrations' SPI.
    assertTrue(getClass().getClassLoader().getResource("dev/vertxdomains/supervisor/spi/package-summary.html") != null);
  }

  private static boolean present(String name) {
    try {
      Class.forName(name, false, ConsumerTest.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  @Test
  void runsASupervisedApp(Vertx vertx, VertxTestContext test) {
    Supervisor.deploy(vertx, App.class, new DeploymentOptions().setInstances(2))
      .onComplete(test.succeeding(id -> test.verify(() -> {
        assertEquals(2, Supervisor.workers(vertx).size());
        assertTrue(Supervisor.workers(vertx).stream().allMatch(w -> "running".equals(w.toJson().getString("state"))),
          Supervisor.workers(vertx).toString());
        test.completeNow();
      })));
  }
}
