package dev.vertxdomains.supervisor;

import dev.vertxdomains.testing.JarProcess;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The process's own end: SIGTERM drains the slots' listeners, requests in flight finish, the process exits. */
class ShutdownIT {

  @Test
  @DisplayName("SIGTERM with requests in flight: they finish with 200, and the process exits")
  void sigtermLetsRequestsFinish() throws Exception {
    int port = JarProcess.freePort();
    try (JarProcess server = JarProcess.startWithTestClasses("shutdown", List.of(
        "-Dvertx-domains.management.port=0"),
      "run", "supervised:" + RecycleServer.class.getName(), "-instances", "2",
      "-conf", "{\"http.port\":" + port + "}")) {
      server.awaitLine("Succeeded in deploying verticle", 60);
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
      List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        inFlight.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow?ms=1500"))
          .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
      }
      server.awaitLines("slow request in generation", 4, 20);
      server.process().destroy(); // SIGTERM
      for (CompletableFuture<HttpResponse<String>> response : inFlight) {
        HttpResponse<String> answer = response.get(20, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().startsWith("slow gen=1"), answer.body());
      }
      assertTrue(server.process().waitFor(30, TimeUnit.SECONDS), "the process exits:\n" + server.output());
    }
  }
}
