package com.acme;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.vertxdomains.domain.Domain;
import dev.vertxdomains.domain.DomainError;
import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.SupervisorOptions;
import dev.vertxdomains.supervisor.WorkerInfo;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a user of the Vert.x line pinned in this project's POM relies on, through the library's installed jar. The
 * same test runs on every line the library supports.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LineTest {

  private static final String HOST = "127.0.0.2";
  private static final ListAppender<ILoggingEvent> LOGGED = new ListAppender<>();
  private static Path keystore;

  private Vertx vertx;
  private Context clientContext;

  @BeforeAll
  static void setUp() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    LOGGED.start();
    root.addAppender(LOGGED);
    keystore = Files.createTempDirectory("acme").resolve("server.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
      "-genkeypair", "-alias", "acme", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
      "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "secret",
      "-keypass", "secret").inheritIO().start();
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, "keytool made the keystore");
  }

  @AfterAll
  static void tearDown() throws IOException {
    Files.deleteIfExists(keystore);
  }

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
    clientContext = vertx.getOrCreateContext();
  }

  @AfterEach
  void closeVertx() throws Exception {
    await(vertx.close());
  }

  // ---------------------------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void cleanRunIsQuiet() throws Exception {
    int port = freePort();
    String web = await(Supervisor.deploy(vertx, Apps.Web.class, web(port, false, 2)));
    String work = await(Supervisor.deploy(vertx, Apps.Work.class, new DeploymentOptions()));
    HttpClient client = client(false, 4, null);
    for (int i = 0; i < 20; i++) {
      assertEquals(200, send(client, port, "/").status);
      assertEquals("ok", await(vertx.eventBus().request("acme.work", "ok")).body());
    }
    await(client.close());
    await(vertx.undeploy(web));
    await(vertx.undeploy(work));
    List<String> loud = LOGGED.list.stream()
      .filter(event -> event.getLoggerName().startsWith("dev.vertxdomains") && event.getLevel().isGreaterOrEqual(Level.WARN))
      .map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    assertEquals(List.of(), loud, "WARN or ERROR lines of the library on a clean run");
  }

  @Test
  @Order(2)
  void domainCatchesATimersAndAnAddedConsumersThrows() throws Exception {
    Context context = vertx.getOrCreateContext();
    List<DomainError> errors = new ArrayList<>();
    CompletableFuture<Void> both = new CompletableFuture<>();
    AtomicReference<MessageConsumer<String>> consumer = new AtomicReference<>();
    context.runOnContext(v -> {
      Domain domain = Domain.create().errorHandler(error -> {
        errors.add(error);
        if (errors.size() == 2) {
          both.complete(null);
        }
      });
      domain.run(() -> vertx.setTimer(5, id -> {
        throw new IllegalStateException("timer");
      }));
      MessageConsumer<String> added = vertx.eventBus().consumer("acme.added", message -> {
        throw new IllegalStateException("consumer");
      });
      consumer.set(added);
      domain.add(added);
      added.completion().onSuccess(ok -> vertx.eventBus().send("acme.added", "go"));
    });
    both.get(10, TimeUnit.SECONDS);
    DomainError timer = errors.stream().filter(e -> e.cause().getMessage().equals("timer")).findFirst().orElseThrow();
    DomainError added = errors.stream().filter(e -> e.cause().getMessage().equals("consumer")).findFirst().orElseThrow();
    assertTrue(timer.thrown());
    assertTrue(added.thrown());
    assertSame(consumer.get(), added.emitter());
  }

  @Test
  @Order(3)
  void supervisedServerListensExactlyAsConfigured() throws Exception {
    int port = freePort();
    await(Supervisor.deploy(vertx, Apps.Web.class, web(port, true, 2)));
    // TLS, on the configured host and port, compressed.
    HttpClient tls = client(true, 1, null);
    Answer answer = send(tls, port, "/");
    assertEquals(200, answer.status);
    assertEquals("gzip", answer.encoding);
    assertEquals(Apps.Web.BODY, answer.body);
    // Nothing on another interface of the machine's loopback, nor on port 80.
    assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close());
    // Plain HTTP is not served on a TLS port.
    HttpClient plain = client(false, 1, null);
    assertThrows(Exception.class, () -> send(plain, port, "/"));
  }

  @Test
  @Order(4)
  void faultsOnKeepAliveConnectionsCostOnlyTheirRequests() throws Exception {
    int port = freePort();
    await(Supervisor.deploy(vertx, Apps.Web.class, web(port, false, 2)));
    AtomicInteger opened = new AtomicInteger();
    HttpClient client = client(false, 4, opened);
    List<Future<Answer>> answers = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      answers.add(sendAsync(client, port, i % 10 == 9 ? "/fault" : "/"));
    }
    for (int i = 0; i < 200; i++) {
      Answer answer = await(answers.get(i));
      assertEquals(i % 10 == 9 ? 500 : 200, answer.status, "request " + i);
    }
    assertEquals(4, opened.get(), "connections opened for 200 requests over a pool of 4");
    // Per slot (a retiring generation is listed beside the serving one, with the slot's count).
    long recycles = Supervisor.workers(vertx).stream().map(WorkerInfo::toJson)
      .collect(Collectors.toMap(w -> w.getString("worker").split("#")[0], w -> w.getLong("restarts"), Math::max))
      .values().stream().mapToLong(Long::longValue).sum();
    assertTrue(recycles > 0 && recycles <= 20, recycles + " recycles for 20 faults");
  }

  @Test
  @Order(5)
  void stopThatClosesItsServerAtRecycleAndUndeploy() throws Exception {
    int port = freePort();
    for (int round = 0; round < 50; round++) {
      String id = await(Supervisor.deploy(vertx, Apps.Web.class, web(port, false, 1)));
      HttpClient client = client(false, 1, null);
      assertEquals(200, send(client, port, "/").status, "round " + round);
      assertEquals(500, send(client, port, "/fault").status, "round " + round);
      for (int i = 0; i < 3; i++) {
        Answer answer = send(client, port, "/");
        assertEquals(200, answer.status, "round " + round + ", request " + i + " after the recycle");
        assertEquals(Apps.Web.BODY, answer.body, "round " + round + ", request " + i + " after the recycle");
      }
      Promise<Integer> inFlight = Promise.promise();
      Promise<Void> sent = Promise.promise();
      clientContext.runOnContext(v -> client.request(new RequestOptions().setHost(HOST).setPort(port)
        .setURI("/slow?ms=100").setTimeout(10_000)).onComplete(created -> {
          if (created.failed()) {
            sent.fail(created.cause());
            return;
          }
          created.result().response().map(HttpClientResponse::statusCode).onComplete(inFlight);
          created.result().end().onComplete(sent);
        }));
      await(sent.future());
      await(vertx.undeploy(id));
      assertEquals(200, await(inFlight.future()), "round " + round + ": the request in flight at undeploy");
      assertPortFree(port, "round " + round);
      await(client.close());
    }
  }

  @Test
  @Order(6)
  void eventBusFaultIsAnsweredAtOnce() throws Exception {
    await(Supervisor.deploy(vertx, Apps.Work.class, new DeploymentOptions().setInstances(2)));
    long start = System.nanoTime();
    ReplyException failure = (ReplyException) assertThrows(Exception.class, () -> await(vertx.eventBus()
      .request("acme.work", "fault", new DeliveryOptions().setSendTimeout(10_000)))).getCause();
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(ReplyFailure.RECIPIENT_FAILURE, failure.failureType());
    assertEquals(500, failure.failureCode());
    assertTrue(millis < 1_000, "answered in " + millis + " ms");
    assertEquals("ok", await(vertx.eventBus().request("acme.work", "ok")).body());
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static DeploymentOptions web(int port, boolean tls, int instances) {
    JsonObject config = new JsonObject().put("host", HOST).put("port", port)
      .put(SupervisorOptions.CONFIG_KEY, new JsonObject().put("drainIdleMs", 50));
    if (tls) {
      config.put("keystore", keystore.toString());
    }
    return new DeploymentOptions().setInstances(instances).setConfig(config);
  }

  private HttpClient client(boolean tls, int connections, AtomicInteger opened) {
    HttpClientOptions options = new HttpClientOptions().setKeepAlive(true).setDefaultHost(HOST);
    if (tls) {
      options.setSsl(true).setTrustAll(true).setVerifyHost(false);
    }
    return vertx.httpClientBuilder().with(options).with(new PoolOptions().setHttp1MaxSize(connections))
      .withConnectHandler(connection -> {
        if (opened != null) {
          opened.incrementAndGet();
        }
      }).build();
  }

  private record Answer(int status, String encoding, String body) {
  }

  /**
   * A GET that accepts gzip; the answer's body is decompressed here, so a compressed answer shows as such. Sent from
   * one Vert.x context, as an application's client code runs, with {@code body()} asked for inside {@code send()}'s
   * callback. Called from the test thread instead, Vert.x's client races the response's end against {@code body()}
   * (eclipse-vertx/vert.x#4705, #6038): measured here, with the server's bytes logged showing every response written
   * whole, 5.0.10's client then never completed the body (3 times in 500 rounds) and 5.2.3's completed it empty.
   */
  private Future<Answer> sendAsync(HttpClient client, int port, String uri) {
    Promise<Answer> answer = Promise.promise();
    clientContext.runOnContext(v -> sendOnContext(client, port, uri).onComplete(answer));
    return answer.future();
  }

  private Future<Answer> sendOnContext(HttpClient client, int port, String uri) {
    return client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(HOST).setPort(port).setURI(uri)
        .putHeader(HttpHeaders.ACCEPT_ENCODING, "gzip").setTimeout(10_000))
      .compose(request -> request.send().compose(response -> response.body().map(body -> answer(response, body))));
  }

  private static Answer answer(HttpClientResponse response, Buffer body) {
    String encoding = response.getHeader(HttpHeaders.CONTENT_ENCODING);
    if (!"gzip".equals(encoding)) {
      return new Answer(response.statusCode(), encoding, body.toString());
    }
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body.getBytes()))) {
      return new Answer(response.statusCode(), encoding, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Answer send(HttpClient client, int port, String uri) throws Exception {
    return await(sendAsync(client, port, uri));
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(HOST, 0));
      return socket.getLocalPort();
    }
  }

  private static void assertPortFree(int port, String when) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(HOST, port));
    } catch (IOException e) {
      throw new AssertionError(when + ": port " + port + " still in use once the undeploy completed", e);
    }
  }
}
