package dev.vertxdomains.bench;

import dev.vertxdomains.web.HttpDomains;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;

/**
 * The same "ok" handler on two ports, one bare and one with a domain per request ({@code HttpDomains.serve}), in one
 * process, one instance per core: wrk alternates between them. Args: bare port, domain port.
 */
public final class OverheadServer extends VerticleBase {

  private final int barePort;
  private final int domainPort;

  OverheadServer(int barePort, int domainPort) {
    this.barePort = barePort;
    this.domainPort = domainPort;
  }

  @Override
  public Future<?> start() {
    Future<?> bare = vertx.createHttpServer().requestHandler(req -> req.response().end("ok"))
      .listen(barePort, "127.0.0.1");
    Future<?> domain = HttpDomains.serve(vertx.createHttpServer(), req -> req.response().end("ok"))
      .listen(domainPort, "127.0.0.1");
    return Future.all(bare, domain);
  }

  /**
   * Starts the servers and prints {@code READY}.
   *
   * @param args bare port, domain port
   */
  public static void main(String[] args) throws Exception {
    int bare = Integer.parseInt(args[0]);
    int domain = Integer.parseInt(args[1]);
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(() -> new OverheadServer(bare, domain),
      new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors())).await();
    System.out.println("READY");
    System.out.flush();
  }
}
