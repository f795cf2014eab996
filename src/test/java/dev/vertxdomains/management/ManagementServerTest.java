package dev.vertxdomains.management;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The management endpoint as a real server, asked over a raw socket so that any {@code Host} can be sent. */
class ManagementServerTest {

  private Vertx vertx;
  private int port;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    HttpServer server = ManagementServer.start(vertx, "127.0.0.1", 0, "local", null).await(30, TimeUnit.SECONDS);
    port = server.actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  /** Sends one HTTP/1.x request; {@code host} null sends none. Returns the status line and body. */
  private String get(String version, String host) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /workers " + version + "\r\n" + (host != null ? "Host: " + host + "\r\n" : "")
        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static int status(String response) {
    return Integer.parseInt(response.substring(9, 12));
  }

  @Test
  @DisplayName("bound to loopback: the bound address and loopback names are answered, with or without a port")
  void loopbackNames() throws Exception {
    for (String host : new String[] {"127.0.0.1", "127.0.0.1:" + port, "localhost", "LocalHost:" + port, "[::1]",
      "[::1]:" + port, "localhost:1234"}) {
      String response = get("HTTP/1.1", host);
      assertEquals(200, status(response), host + ": " + response);
    }
    assertEquals(200, status(get("HTTP/1.0", null)), "HTTP/1.0 without Host");
  }

  @Test
  @DisplayName("bound to loopback: any other Host (DNS rebinding) is refused with 421 and a short body")
  void otherHostsRefused() throws Exception {
    for (String host : new String[] {"attacker.example", "attacker.example:" + port, "127.0.0.1.nip.io",
      "localhost.attacker.example", "10.0.0.1", "[::2]", "", "bad host"}) {
      String response = get("HTTP/1.1", host);
      assertTrue(status(response) == 421 || status(response) == 400, host + ": " + response);
      assertTrue(!response.contains("\"workers\""), host + ": " + response);
    }
    String refused = get("HTTP/1.1", "attacker.example");
    assertEquals(421, status(refused), refused);
    assertTrue(refused.endsWith("{\"error\":\"host not allowed; use 127.0.0.1 or localhost\"}"), refused);
  }

  @Test
  @DisplayName("the allowed hosts: loopback binds only")
  void allowedHosts() {
    assertEquals(java.util.Set.of("127.0.0.1", "localhost", "::1"), ManagementServer.allowedHosts("127.0.0.1"));
    assertTrue(ManagementServer.allowedHosts("127.0.0.2").contains("127.0.0.2"));
    assertTrue(ManagementServer.allowedHosts("[::1]").contains("::1"));
    assertTrue(ManagementServer.allowedHosts("localhost").contains("127.0.0.1"));
    assertNull(ManagementServer.allowedHosts("0.0.0.0"));
    assertNull(ManagementServer.allowedHosts("192.0.2.10"));
  }
}
