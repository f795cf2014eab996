package dev.vertxdomains.examples;

import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.WorkerInfo;
import dev.vertxdomains.testing.JarProcess;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Nothing a client does recycles an instance: only the application's own errors do. */
@ExtendWith(VertxExtension.class)
class HostileClientsTest {

  private static int deploy(Vertx vertx, Class<?> verticle) throws Exception {
    int port = JarProcess.freePort();
    Supervisor.deploy(vertx, verticle.getName(), new DeploymentOptions()
      .setConfig(new JsonObject().put("http.port", port).put("http.host", "127.0.0.1"))).await(30, TimeUnit.SECONDS);
    return port;
  }

  private static long restarts(Vertx vertx) {
    return Supervisor.workers(vertx).stream().mapToLong(WorkerInfo::restarts).sum();
  }

  private static Class<?> server(String name) {
    return switch (name) {
      case "HelloServer" -> HelloServer.class;
      case "WebServer" -> WebServer.class;
      default -> ProofOfWorkServer.class;
    };
  }

  /** Everything the server sends on a connection until it closes it (or 10 s pass). */
  private static String readAll(Socket socket) throws IOException {
    socket.setSoTimeout(10_000);
    InputStream in = socket.getInputStream();
    StringBuilder text = new StringBuilder();
    byte[] buffer = new byte[4096];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        text.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
      }
    } catch (SocketException reset) {
      // closed by the server: what came before is the answer
    }
    return text.toString();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"HelloServer", "WebServer"})
  @DisplayName("clients that close their connection with a request in flight recycle nothing")
  void abortedRequests(String name, Vertx vertx) throws Exception {
    int port = deploy(vertx, server(name));
    String pipelined = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /slow?ms=2000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < 100; i++) {
      try (Socket socket = new Socket("127.0.0.1", port)) {
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(pipelined.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // The first answer has been written: the server now takes the slow request; then the client goes away.
        assertTrue(new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII)
          .startsWith("HTTP/1.1 200"));
      }
    }
    HttpClient client = vertx.createHttpClient();
    assertEquals(200, status(vertx, client, port, "/"));
    assertEquals(0, restarts(vertx), "recycles caused by clients going away");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"HelloServer", "WebServer"})
  @DisplayName("a malformed chunk size is answered or closed, and recycles nothing")
  void malformedChunk(String name, Vertx vertx) throws Exception {
    int port = deploy(vertx, server(name));
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.getOutputStream().write(("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      String answer = readAll(socket);
      // 400, or closed; or, from 5.1 on, the application's own answer (200, 405) when it ends the response before
      // Vert.x decodes the body it never reads. Never a 500: the client's error is not the application's.
      assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 ") && !answer.startsWith("HTTP/1.1 500"), answer);
    }
    HttpClient client = vertx.createHttpClient();
    assertEquals(200, status(vertx, client, port, "/"));
    assertEquals(0, restarts(vertx), "recycles caused by a malformed body");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"HelloServer", "WebServer", "ProofOfWorkServer"})
  @DisplayName("h2c prior knowledge: a fault is answered 500 (no connection-specific header), then the next stream 200")
  void http2Faults(String name, Vertx vertx) throws Exception {
    int port = deploy(vertx, server(name));
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
      .setHttp2ClearTextUpgrade(false));
    boolean pow = name.equals("ProofOfWorkServer");
    assertEquals(500, status(vertx, client, port, pow ? "/work?fail=callback" : "/crash"));
    assertEquals(200, status(vertx, client, port, pow ? "/work?difficulty=1" : "/"));
    assertEquals(500, status(vertx, client, port, pow ? "/work?fail=callback" : "/error"));
    assertEquals(200, status(vertx, client, port, pow ? "/work?difficulty=1" : "/"));
  }

  /** The status of one GET, sent from a Vert.x context; -1 for a connection or protocol error. */
  private static int status(Vertx vertx, HttpClient client, int port, String uri) throws Exception {
    Promise<Integer> result = Promise.promise();
    vertx.runOnContext(v -> client.request(HttpMethod.GET, port, "127.0.0.1", uri)
      .compose(HttpClientRequest::send)
      .compose(resp -> resp.body().map(body -> resp.statusCode()))
      .otherwise(-1)
      .onComplete(result));
    return result.future().await(15, TimeUnit.SECONDS);
  }
}
