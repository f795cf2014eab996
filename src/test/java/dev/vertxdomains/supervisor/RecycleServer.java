package dev.vertxdomains.supervisor;

import dev.vertxdomains.supervisor.spi.Generation;
import dev.vertxdomains.web.HttpDomains;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.SelfSignedCertificate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * A test server that says which generation served each request:
 * <ul>
 *   <li>{@code GET /} → {@code gen=N}; {@code GET /thread} → the serving thread's name;</li>
 *   <li>{@code GET /crash} throws; {@code GET /error} throws from a timer; {@code GET /instance-crash} answers, then
 *       throws outside any request domain (an instance crash);</li>
 *   <li>{@code GET /timer?ms=N} arms a timer that publishes {@code gen=N} on {@link #TIMER_FIRED}, and answers;</li>
 *   <li>{@code POST /upload} answers {@code gen=N bytes=M} once the body has ended;</li>
 *   <li>{@code GET /slow?ms=N} logs "slow request" and answers after N ms;</li>
 *   <li>{@code GET /busy?ms=N} blocks its event loop for N ms, then answers;</li>
 *   <li>{@code GET /never} is never answered; {@code GET /periodic-fail} starts a periodic timer (outside the
 *       request's domain) that throws, and never answers;</li>
 *   <li>{@code GET /hold} announces itself on {@link #HELD} (and logs "holding request") and is answered when the
 *       test publishes on {@link #RELEASE};</li>
 *   <li>WebSocket: every text message is echoed as {@code gen=N:message}.</li>
 *   <li>event bus (supervised consumer): a message to {@link #WHERE} is answered with the serving thread's name.</li>
 * </ul>
 * Config: {@code http.port}; {@code tls: true} serves HTTPS (HTTP/2 by ALPN) with a self-signed certificate.
 */
public class RecycleServer extends VerticleBase {

  static final String TIMER_FIRED = "recycle.timer.fired";
  static final String HELD = "recycle.held";
  static final String RELEASE = "recycle.release";
  static final String FAIL = "recycle.fail";
  static final String WHERE = "recycle.where";
  private static final Logger LOG = LoggerFactory.getLogger(RecycleServer.class);

  private final List<HttpServerRequest> held = new ArrayList<>();

  @Override
  public Future<?> start() {
    vertx.eventBus().consumer(RELEASE, msg -> {
      held.forEach(request -> request.response().end("released gen=" + generation()));
      held.clear();
    });
    // A message to FAIL + "." + generation throws in this generation, outside any request.
    vertx.eventBus().consumer(FAIL + "." + generation(), msg -> {
      msg.reply("failing");
      throw new IllegalStateException("generation " + generation() + " failed late");
    });
    dev.vertxdomains.eventbus.EventBusDomains.<String>consumer(vertx, WHERE,
      msg -> msg.reply(Thread.currentThread().getName()));
    int port = config().getInteger("http.port");
    HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1");
    if (!config().getBoolean("tls", false)) {
      return listen(options, port);
    }
    // One certificate for every generation, made off the event loop: Netty may make it by running keytool, which
    // blocked each new generation's event loop for seconds (over 10 s on a slow machine) and the 500 with it.
    KeyCertOptions made = certificate;
    Future<KeyCertOptions> cert = made != null ? Future.succeededFuture(made)
      : vertx.executeBlocking(() -> certificate = SelfSignedCertificate.create().keyCertOptions());
    return cert.compose(keyCert -> listen(options.setSsl(true).setUseAlpn(true).setKeyCertOptions(keyCert), port));
  }

  private static volatile KeyCertOptions certificate;

  private Future<HttpServer> listen(HttpServerOptions options, int port) {
    return HttpDomains.serve(vertx.createHttpServer(options), this::handle)
      .webSocketHandler(this::webSocket)
      .listen(port, "127.0.0.1");
  }

  private static int generation() {
    return Generation.current().generation();
  }

  private void webSocket(ServerWebSocket socket) {
    int generation = generation();
    socket.textMessageHandler(text -> socket.writeTextMessage("gen=" + generation + ":" + text));
  }

  private void handle(HttpServerRequest request) {
    switch (request.path()) {
      case "/" -> request.response().end("gen=" + generation());
      case "/thread" -> request.response().end(Thread.currentThread().getName());
      case "/crash" -> throw new IllegalStateException("GET /crash: the handler failed");
      case "/error" -> vertx.setTimer(1, id -> {
        throw new IllegalStateException("GET /error: a timer failed");
      });
      case "/instance-crash" -> {
        request.response().end("crashing");
        Generation.current().context().runOnContext(v -> {
          throw new IllegalStateException("instance crashed on purpose");
        });
      }
      case "/timer" -> {
        int generation = generation();
        vertx.setTimer(Long.parseLong(request.getParam("ms")),
          id -> vertx.eventBus().publish(TIMER_FIRED, "gen=" + generation));
        request.response().end("armed gen=" + generation);
      }
      case "/upload" -> {
        int generation = generation();
        long[] bytes = new long[1];
        request.handler(chunk -> bytes[0] += chunk.length());
        request.endHandler(v -> request.response().end("gen=" + generation + " bytes=" + bytes[0]));
      }
      case "/slow" -> {
        int generation = generation();
        LOG.info("slow request in generation {}", generation);
        vertx.setTimer(Long.parseLong(request.getParam("ms")),
          id -> request.response().end("slow gen=" + generation));
      }
      case "/never" -> LOG.debug("never answering");
      case "/busy" -> {
        // Blocks the event loop, as a runaway loop in application code would.
        long until = System.currentTimeMillis() + Long.parseLong(request.getParam("ms"));
        long spins = 0;
        while (System.currentTimeMillis() < until) {
          spins++;
        }
        request.response().end("busy gen=" + generation() + " spins=" + (spins > 0));
      }
      case "/periodic-fail" -> vertx.setPeriodic(20, id -> {
        throw new IllegalStateException("a periodic timer failed");
      });
      case "/hold" -> {
        held.add(request);
        LOG.info("holding request {}", held.size());
        vertx.eventBus().publish(HELD, generation());
      }
      default -> request.response().setStatusCode(404).end();
    }
  }
}
