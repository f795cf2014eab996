package com.acme;

import dev.vertxdomains.eventbus.EventBusDomains;
import dev.vertxdomains.web.HttpDomains;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PfxOptions;

/** The consumer's own verticles, written as a Vert.x user writes them. */
final class Apps {

  private Apps() {
  }

  /**
   * An HTTP server built from {@code HttpServerOptions} (config: {@code host}, {@code port}, and {@code keystore}
   * for TLS), served through {@code HttpDomains}; its {@code stop()} closes the server, as many verticles do.
   * {@code /} answers a body worth compressing, {@code /fault} fails from a timer, {@code /slow?ms=N} answers later.
   */
  public static class Web extends VerticleBase {

    static final String BODY = "ok " + "0123456789".repeat(100);

    private HttpServer server;

    @Override
    public Future<?> start() {
      JsonObject config = config();
      HttpServerOptions options = new HttpServerOptions()
        .setHost(config.getString("host"))
        .setPort(config.getInteger("port"))
        .setCompressionSupported(true);
      String keystore = config.getString("keystore");
      if (keystore != null) {
        options.setSsl(true).setKeyCertOptions(new PfxOptions().setPath(keystore).setPassword("secret"));
      }
      server = HttpDomains.serve(vertx.createHttpServer(options), request -> {
        switch (request.path()) {
          case "/fault" -> vertx.setTimer(1, id -> {
            throw new IllegalStateException("a timer failed in " + request.path());
          });
          case "/slow" -> vertx.setTimer(Long.parseLong(request.getParam("ms")), id -> request.response().end("slow"));
          default -> request.response().end(BODY);
        }
      });
      return server.listen();
    }

    @Override
    public Future<?> stop() {
      return server.close();
    }
  }

  /** An event-bus service at {@code acme.work}: {@code ok} is answered, {@code fault} fails from a timer. */
  public static class Work extends VerticleBase {

    @Override
    public Future<?> start() {
      return EventBusDomains.<String>consumer(vertx, "acme.work", message -> {
        if ("fault".equals(message.body())) {
          vertx.setTimer(1, id -> {
            throw new IllegalStateException("a timer failed for " + message.body());
          });
        } else {
          message.reply("ok");
        }
      }).completion();
    }
  }
}
