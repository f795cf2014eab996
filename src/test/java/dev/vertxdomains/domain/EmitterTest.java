package dev.vertxdomains.domain;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.vertxdomains.domain.DomainTestSupport.TIMEOUT_SECONDS;
import static dev.vertxdomains.domain.DomainTestSupport.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Node's {@code domain.add(emitter)}: "If any event handlers called by the emitter throw an error, or if the emitter
 * emits an 'error' event, it will be routed to the domain". Every emitter here is created outside the domain and
 * only {@code add} puts it there; each handler throws after {@code add}, as Node code attaches its listeners.
 */
@ExtendWith(VertxExtension.class)
class EmitterTest {

  /**
   * Vert.x 5 closes a client that becomes unreachable: the clients of a test are kept here, in the test instance,
   * until the test ends.
   */
  private final java.util.List<Object> clients = new java.util.ArrayList<>();

  private <C> C keep(C client) {
    clients.add(client);
    return client;
  }

  @Test
  @DisplayName("add(request): a throw in an added HTTP server request's handler reaches the domain, emitter set")
  void addedEmitterHandlerThrow_httpServerRequest(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    CompletableFuture<Domain> domainOf = new CompletableFuture<>();
    CompletableFuture<HttpServerRequest> added = new CompletableFuture<>();
    CompletableFuture<Domain> activeInHandler = new CompletableFuture<>();
    int port = listen(vertx, ctx, request -> {
      Handler<DomainError> collect = errors.handler();
      Domain domain = Domain.create().errorHandler(error -> {
        collect.handle(error);
        request.response().setStatusCode(500).end();
      });
      domainOf.complete(domain);
      domain.add(request);
      added.complete(request);
      request.endHandler(v -> {
        activeInHandler.complete(Domain.active());
        throw new IllegalStateException("in the request's end handler");
      });
    });
    assertEquals(500, send(vertx, port, "/"));
    DomainError error = errors.next();
    assertSame(domainOf.join(), error.domain());
    assertSame(domainOf.join(), activeInHandler.join(), "the emitter's handlers run in the domain it was added to");
    assertSame(added.join(), error.emitter());
    assertTrue(error.thrown());
    assertEquals("in the request's end handler", error.cause().getMessage());
  }

  @Test
  @DisplayName("add(response): a throw in an added HTTP server response's handler reaches the domain, emitter set")
  void addedEmitterHandlerThrow_httpServerResponse(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    CompletableFuture<Object> added = new CompletableFuture<>();
    int port = listen(vertx, ctx, request -> {
      Domain domain = Domain.create().errorHandler(errors.handler());
      domain.add(request.response());
      added.complete(request.response());
      request.response().endHandler(v -> {
        throw new IllegalStateException("in the response's end handler");
      });
      request.response().end("ok");
    });
    assertEquals(200, send(vertx, port, "/"));
    DomainError error = errors.next();
    assertSame(added.join(), error.emitter());
    assertTrue(error.thrown());
    assertEquals("in the response's end handler", error.cause().getMessage());
  }

  @Test
  @DisplayName("add(response) over HTTP/2: a throw in the response's handler reaches the domain, emitter set")
  void addedEmitterHandlerThrow_http2ServerResponse(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    CompletableFuture<Object> added = new CompletableFuture<>();
    int port = listen(vertx, ctx, request -> {
      Domain domain = Domain.create().errorHandler(errors.handler());
      domain.add(request.response());
      added.complete(request.response());
      request.response().endHandler(v -> {
        throw new IllegalStateException("HTTP/2 response end handler, " + request.version());
      });
      request.response().end("ok");
    });
    HttpClient client = keep(vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
      .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false)));
    on(DomainTestSupport.context(vertx), () -> client.request(HttpMethod.GET, port, "127.0.0.1", "/")
      .compose(req -> req.send()));
    DomainError error = errors.next();
    assertSame(added.join(), error.emitter());
    assertTrue(error.thrown());
    assertEquals("HTTP/2 response end handler, HTTP_2", error.cause().getMessage());
  }

  @Test
  @DisplayName("remove(request): the request's context leaves the domain again; later throws go to the top level")
  void removedEmitterHandlerThrow_goesToTopLevel(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors inDomain = new DomainTestSupport.Errors();
    DomainTestSupport.Errors topLevel = new DomainTestSupport.Errors();
    int port = listen(vertx, ctx, request -> {
      Domain.topLevel(Vertx.currentContext()).errorHandler(topLevel.handler());
      Domain domain = Domain.create().errorHandler(inDomain.handler());
      domain.add(request);
      domain.remove(request);
      request.endHandler(v -> {
        request.response().end();
        throw new IllegalStateException("after remove");
      });
    });
    assertEquals(200, send(vertx, port, "/"));
    DomainError error = topLevel.next();
    assertEquals("after remove", error.cause().getMessage());
    assertTrue(error.domain().isTopLevel());
    inDomain.assertNoneYet();
  }

  @Test
  @DisplayName("add(consumer): a throw in an added event-bus consumer's handler reaches the domain, emitter set")
  void addedEmitterHandlerThrow_messageConsumer(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    CompletableFuture<Domain> activeInHandler = new CompletableFuture<>();
    MessageConsumer<String> consumer = on(ctx, () -> {
      MessageConsumer<String> created = vertx.eventBus().consumer("emitter-test", message -> {
        activeInHandler.complete(Domain.active());
        throw new IllegalStateException("in the consumer: " + message.body());
      });
      domain.add(created);
      vertx.eventBus().send("emitter-test", "x");
      return created;
    });
    DomainError error = errors.next();
    assertSame(domain, error.domain());
    assertSame(domain, activeInHandler.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    assertSame(consumer, error.emitter());
    assertTrue(error.thrown());
    assertEquals("in the consumer: x", error.cause().getMessage());
  }

  @Test
  @DisplayName("remove(consumer): the consumer gets its own handler back; later throws go to the top level")
  void removedConsumer_goesToTopLevel(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors inDomain = new DomainTestSupport.Errors();
    DomainTestSupport.Errors topLevel = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(inDomain.handler());
    on(ctx, () -> {
      Domain.topLevel(ctx).errorHandler(topLevel.handler());
      MessageConsumer<String> consumer = vertx.eventBus().consumer("emitter-test-removed", message -> {
        if ("ping".equals(message.body())) {
          message.reply("pong");
          return;
        }
        throw new IllegalStateException("after remove");
      });
      domain.add(consumer);
      assertTrue(domain.remove(consumer));
      return null;
    });
    vertx.eventBus().send("emitter-test-removed", "x");
    // The consumer takes its messages in order: once "ping" is answered, the throw is behind us.
    assertEquals("pong", vertx.eventBus().request("emitter-test-removed", "ping").await(10, TimeUnit.SECONDS).body());
    if (VertxLine.running().atLeast(VertxLine.V5_2)) {
      topLevel.assertNoneYet(); // Vert.x 5.2 drops what a plain consumer's handler throws (README, "Vert.x lines")
    } else {
      DomainError error = topLevel.next();
      assertEquals("after remove", error.cause().getMessage());
      assertTrue(error.domain().isTopLevel());
    }
    inDomain.assertNoneYet();
  }

  @Test
  @DisplayName("add(consumer): a per-message domain attached inside an added consumer nests in the consumer's domain")
  void addedConsumer_perMessageDomainNests(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    CompletableFuture<Domain> perMessage = new CompletableFuture<>();
    on(ctx, () -> {
      // What the event-bus integration does for each message, inside a consumer that is then added to a domain.
      domain.add(vertx.eventBus().consumer("emitter-test-nested", message -> {
        perMessage.complete(Domain.create().attach(Vertx.currentContext()));
        throw new IllegalStateException("in the per-message domain");
      }));
      vertx.eventBus().send("emitter-test-nested", "x");
      return null;
    });
    DomainError error = errors.next();
    Domain child = perMessage.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    assertSame(domain, child.parent());
    assertSame(child, error.domain(), "the child has no handler: its error goes to its parent, the consumer's domain");
    assertEquals("in the per-message domain", error.cause().getMessage());
  }

  @Test
  @DisplayName("add(file): a throw in an added AsyncFile's data or end handler reaches the domain (Vert.x drops it)")
  void addedEmitterHandlerThrow_asyncFile(Vertx vertx, @TempDir Path dir) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    Path path = Files.writeString(dir.resolve("data.txt"), "some data");
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(errors.handler());
    AsyncFile forData = open(vertx, ctx, path);
    AsyncFile forEnd = open(vertx, ctx, path);
    on(ctx, () -> {
      domain.add(forData).handler(buffer -> {
        throw new IllegalStateException("in the data handler");
      });
      domain.add(forEnd).endHandler(v -> {
        throw new IllegalStateException("in the end handler");
      }).handler(buffer -> { });
      return null;
    });
    DomainError first = errors.next();
    DomainError second = errors.next();
    DomainError data = first.emitter() == forData ? first : second;
    DomainError end = first.emitter() == forData ? second : first;
    assertSame(forData, data.emitter());
    assertEquals("in the data handler", data.cause().getMessage());
    assertTrue(data.thrown());
    assertSame(forEnd, end.emitter());
    assertEquals("in the end handler", end.cause().getMessage());
    assertTrue(end.thrown());
  }

  @Test
  @DisplayName("add(upload): a throw in an added HTTP file upload's data handler reaches the domain, emitter set")
  void addedEmitterHandlerThrow_fileUpload(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    CompletableFuture<Object> added = new CompletableFuture<>();
    int port = listen(vertx, ctx, request -> {
      Domain domain = Domain.create(null).errorHandler(errors.handler());
      request.setExpectMultipart(true);
      request.uploadHandler(upload -> {
        domain.add(upload);
        added.complete(upload);
        upload.handler(buffer -> {
          throw new IllegalStateException("in the upload's data handler");
        });
      });
      request.endHandler(v -> request.response().end());
    });
    String body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
      + "Content-Type: text/plain\r\n\r\nhello\r\n--B--\r\n";
    HttpClient client = keep(vertx.createHttpClient());
    on(DomainTestSupport.context(vertx), () -> client.request(HttpMethod.POST, port, "127.0.0.1", "/")
      .compose(req -> req.putHeader("content-type", "multipart/form-data; boundary=B").send(body)));
    DomainError error = errors.next();
    assertSame(added.join(), error.emitter());
    assertTrue(error.thrown());
    assertEquals("in the upload's data handler", error.cause().getMessage());
  }

  @Test
  @DisplayName("add(webSocket): a throw in an added server WebSocket's handler reaches the domain, emitter set")
  void addedEmitterHandlerThrow_serverWebSocket(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors errors = new DomainTestSupport.Errors();
    CompletableFuture<ServerWebSocket> added = new CompletableFuture<>();
    CompletableFuture<Domain> activeInHandler = new CompletableFuture<>();
    HttpServer server = vertx.createHttpServer().webSocketHandler(ws -> {
      Domain domain = Domain.create().errorHandler(errors.handler());
      domain.add(ws);
      added.complete(ws);
      ws.textMessageHandler(text -> {
        activeInHandler.complete(Domain.active());
        throw new IllegalStateException("in the WebSocket: " + text);
      });
    });
    int port = on(ctx, () -> server.listen(0, "127.0.0.1")).toCompletionStage().toCompletableFuture()
      .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).actualPort();
    Context client = DomainTestSupport.context(vertx);
    on(client, () -> keep(vertx.createWebSocketClient()).connect(port, "127.0.0.1", "/")
      .onSuccess(ws -> ws.writeTextMessage("hi")));
    DomainError error = errors.next();
    assertEquals("in the WebSocket: hi", error.cause().getMessage(), error.toString());
    assertSame(added.join(), error.emitter());
    assertSame(error.domain(), activeInHandler.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    assertTrue(error.thrown());
    assertEquals("in the WebSocket: hi", error.cause().getMessage());
  }

  @Test
  @DisplayName("add(clientResponse): Vert.x runs its handlers on the context that created it; "
    + "bind puts them in the domain")
  void addedEmitterHandlerThrow_httpClientResponse_needsBind(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    int port = listen(vertx, ctx, request -> request.response().end("body"));
    DomainTestSupport.Errors inDomain = new DomainTestSupport.Errors();
    DomainTestSupport.Errors topLevel = new DomainTestSupport.Errors();
    Domain domain = Domain.create().errorHandler(inDomain.handler());
    Context clientCtx = DomainTestSupport.context(vertx);
    HttpClient client = keep(vertx.createHttpClient());
    on(clientCtx, () -> {
      Domain.topLevel(clientCtx).errorHandler(topLevel.handler());
      // Created outside the domain: the response runs on clientCtx, which it shares with everything else there.
      client.request(HttpMethod.GET, port, "127.0.0.1", "/").compose(req -> req.send()).onSuccess(response -> {
        domain.add(response);
        response.endHandler(v -> {
          throw new IllegalStateException("unbound");
        });
      });
      client.request(HttpMethod.GET, port, "127.0.0.1", "/").compose(req -> req.send()).onSuccess(response -> {
        domain.add(response);
        response.endHandler(domain.bind(v -> {
          throw new IllegalStateException("bound");
        }));
      });
      return null;
    });
    assertEquals("unbound", topLevel.next().cause().getMessage());
    DomainError bound = inDomain.next();
    assertEquals("bound", bound.cause().getMessage());
    assertTrue(bound.thrown());
  }

  @Test
  @DisplayName("add(socket): Vert.x runs an accepted NetSocket's handlers on the server's context; "
    + "bind puts them in the domain")
  void addedEmitterHandlerThrow_netSocket_needsBind(Vertx vertx) throws Exception {
    Context ctx = DomainTestSupport.context(vertx);
    DomainTestSupport.Errors inDomain = new DomainTestSupport.Errors();
    DomainTestSupport.Errors topLevel = new DomainTestSupport.Errors();
    io.vertx.core.net.NetServer server = vertx.createNetServer().connectHandler(socket -> {
      Domain domain = Domain.create().errorHandler(inDomain.handler());
      domain.add(socket);
      socket.handler(buffer -> {
        if (buffer.toString().startsWith("unbound")) {
          throw new IllegalStateException("unbound");
        }
      });
      socket.closeHandler(domain.bind(v -> {
        throw new IllegalStateException("bound");
      }));
    });
    int port = on(ctx, () -> {
      Domain.topLevel(ctx).errorHandler(topLevel.handler());
      return server.listen(0, "127.0.0.1");
    }).toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).actualPort();
    on(DomainTestSupport.context(vertx), () -> keep(vertx.createNetClient()).connect(port, "127.0.0.1")
      .onSuccess(socket -> socket.write("unbound").onComplete(ar -> socket.close())));
    assertEquals("unbound", topLevel.next().cause().getMessage());
    DomainError bound = inDomain.next();
    assertEquals("bound", bound.cause().getMessage());
    assertTrue(bound.thrown());
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static int listen(Vertx vertx, Context ctx, Handler<HttpServerRequest> handler) throws Exception {
    HttpServer server = vertx.createHttpServer().requestHandler(handler);
    return on(ctx, () -> server.listen(0, "127.0.0.1")).toCompletionStage().toCompletableFuture()
      .get(TIMEOUT_SECONDS, TimeUnit.SECONDS).actualPort();
  }

  /** Sends a GET from a Vert.x context and returns the status code. */
  private int send(Vertx vertx, int port, String path) throws Exception {
    HttpClient client = keep(vertx.createHttpClient());
    Future<HttpClientResponse> response = on(DomainTestSupport.context(vertx),
      () -> client.request(HttpMethod.GET, port, "127.0.0.1", path).compose(req -> req.send()));
    return response.toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).statusCode();
  }

  private static AsyncFile open(Vertx vertx, Context ctx, Path path) throws Exception {
    return on(ctx, () -> vertx.fileSystem().open(path.toString(), new OpenOptions().setRead(true)))
      .toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }
}
