package dev.vertxdomains.launcher;

import dev.vertxdomains.testing.JarProcess;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Vert.x 5's launcher with the project's defaults: {@link DomainsApplication} as a process. */
class DomainsApplicationIT {

  private static final String HELLO = "dev.vertxdomains.examples.HelloServer";
  private static final String APPLICATION = DomainsApplication.class.getName();

  private static List<String> command(List<String> javaOptions, String... args) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(javaOptions);
    command.add("-cp");
    command.add(JarProcess.jarAndTestClasses());
    command.add(APPLICATION);
    command.addAll(List.of(args));
    return command;
  }

  private static JarProcess start(String name, List<String> javaOptions, String... args) throws Exception {
    return JarProcess.startCommand(name, command(javaOptions, args));
  }

  private static String conf(int port) {
    return "{\"http.port\": " + port + ", \"http.host\": \"127.0.0.1\", \"supervisor\": {\"killTimeoutMs\": 2000}}";
  }

  @Test
  @DisplayName("a verticle named without a prefix is supervised, with the layered settings and the management "
    + "endpoint; java: is not supervised")
  void supervisedByDefault() throws Exception {
    for (String name : new String[] {HELLO, "java:" + HELLO}) {
      int management = JarProcess.freePort();
      try (JarProcess process = start("app", List.of("-Dvertx-domains.management.port=" + management,
        "-Dvertx-domains.supervisor.drainIdleMs=500"), name, "-instances", "2", "-conf",
        conf(JarProcess.freePort()))) {
        process.awaitLine("Succeeded in deploying verticle", 60);
        JsonArray workers = JarProcess.awaitJson(management, "/workers", json -> true, "the workers")
          .getJsonArray("workers");
        if (name.startsWith("java:")) {
          assertEquals(0, workers.size(), workers.encodePrettily());
          continue;
        }
        assertEquals(2, workers.size(), workers.encodePrettily());
        assertEquals(HELLO, workers.getJsonObject(0).getString("verticle"));
        // The -D layer reached the deployment's supervisor settings.
        JarProcess.Result list = JarProcess.run(List.of(), "list", "-port", Integer.toString(management));
        assertEquals(0, list.code(), list.output());
        assertTrue(list.output().contains("HelloServer"), list.output());
      }
    }
  }

  @Test
  @DisplayName("bad input, a start that fails: one line, the legacy launcher's exit codes")
  void failures() throws Exception {
    LauncherIT.assertOneLineFailure(JarProcess.run(command(List.of(), HELLO, "-instances", "abc")), 2,
      "-instances: must be an integer of at least 1, got 'abc'");
    LauncherIT.assertOneLineFailure(JarProcess.run(command(List.of(), HELLO, "-bogus")), 2, "unknown option '-bogus'");
    LauncherIT.assertOneLineFailure(JarProcess.run(command(List.of(), HELLO, "-deployment-options", "{\"instances\": 0}")), 2,
      "-deployment-options: instances must be an integer of at least 1, got 0");
    LauncherIT.assertOneLineFailure(JarProcess.run(command(List.of("-Dvertx-domains.supervisor.maxRestarts=-1"), HELLO)), 2,
      "supervisor.maxRestarts from -Dvertx-domains.supervisor.maxRestarts: must be from 0 to 2147483647, got -1");
    LauncherIT.assertOneLineFailure(JarProcess.run(command(List.of("-Dvertx-domains.management.port=0"),
        BadVerticles.FailingStart.class.getName())), 15,
      "could not deploy supervised:" + BadVerticles.FailingStart.class.getName() + ": start failed on purpose");
    LauncherIT.assertOneLineFailure(JarProcess.run(command(List.of("-Dvertx-domains.management.port=0"), "com.example.Nope")), 15,
      "could not deploy supervised:com.example.Nope: no such class com.example.Nope");
  }

  @Test
  @DisplayName("HA through -options: haEnabled makes the process clustered without -cluster; its workers are in the "
    + "cluster view")
  void haThroughOptions() throws Exception {
    int management = JarProcess.freePort();
    int cluster = JarProcess.freePort();
    try (JarProcess process = start("ha", List.of("-Dvertx-domains.management.port=" + management,
        "-Dvertx-domains.cluster.port=" + cluster, "-Dvertx-domains.cluster.members=127.0.0.1:" + cluster),
      HELLO, "-options", "{\"haEnabled\": true, \"quorumSize\": 1}", "-conf", conf(JarProcess.freePort()),
      "-cluster-host", "127.0.0.1")) {
      process.awaitLine("Succeeded in deploying verticle", 90);
      JsonObject view = JarProcess.awaitJson(management, "/workers?scope=cluster",
        json -> json.getJsonArray("workers", new JsonArray()).size() == 1, "the cluster view");
      assertEquals("cluster", view.getString("scope"), view.encodePrettily());
      JsonObject worker = view.getJsonArray("workers").getJsonObject(0);
      assertEquals(HELLO, worker.getString("verticle"), view.encodePrettily());
      JarProcess.Result list = JarProcess.run(List.of(), "list", "-cluster", "-port", Integer.toString(management));
      assertEquals(0, list.code(), list.output());
      assertTrue(list.output().lines().anyMatch(l -> l.matches("safe: (yes|NO) .*")), list.output());
      // The node as an address to act on: host, management port, pid.
      assertTrue(list.output().contains(":" + management + " pid " + process.process().pid() + " "), list.output());
    }
  }

  @Test
  @DisplayName("HA through -options fails over: kill -9 the DomainsApplication node and a bare node of the legacy "
    + "launcher runs its supervised deployment")
  void haFailsOver() throws Exception {
    String work = "dev.vertxdomains.examples.WorkService";
    int[] ports = {JarProcess.freePort(), JarProcess.freePort()};
    String members = "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1];
    String name = "app-ha-" + java.util.UUID.randomUUID();
    int managementB = JarProcess.freePort();
    try (JarProcess b = JarProcess.start("bare", List.of("-Dvertx-domains.cluster.name=" + name,
        "-Dvertx-domains.cluster.members=" + members, "-Dvertx-domains.cluster.port=" + ports[1],
        "-Dvertx-domains.management.port=" + managementB), "bare", "-cluster-host", "127.0.0.1");
         JarProcess a = start("app", List.of("-Dvertx-domains.cluster.name=" + name,
           "-Dvertx-domains.cluster.members=" + members, "-Dvertx-domains.cluster.port=" + ports[0],
           "-Dvertx-domains.management.port=" + JarProcess.freePort()),
           work, "-options", "{\"haEnabled\": true, \"quorumSize\": 1}", "-conf", "{\"address\": \"app.ha\"}",
           "-cluster-host", "127.0.0.1")) {
      a.awaitLine("Succeeded in deploying verticle", 90);
      JarProcess.awaitJson(managementB, "/workers?scope=cluster",
        json -> json.getBoolean("safe", false) && json.getJsonArray("workers").size() == 1, "A's worker, safe");
      a.process().destroyForcibly(); // SIGKILL
      b.awaitLine("Successfully redeployed verticle supervised:" + work, 60);
      JsonObject view = JarProcess.awaitJson(managementB, "/workers?scope=cluster",
        json -> json.getJsonArray("workers").stream().map(JsonObject.class::cast)
          .anyMatch(w -> w.getString("state").equals("running")), "the deployment running on B");
      assertEquals(work, view.getJsonArray("workers").getJsonObject(0).getString("verticle"), view.encodePrettily());
    }
  }
}
