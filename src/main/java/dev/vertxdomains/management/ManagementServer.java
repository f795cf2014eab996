package dev.vertxdomains.management;

import dev.vertxdomains.cluster.ClusterView;
import dev.vertxdomains.cluster.SingleFlight;
import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.WorkerInfo;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The management endpoint of a process: read-only JSON over HTTP, bound to {@value #DEFAULT_HOST} unless configured.
 * <ul>
 *   <li>{@code GET /workers}: this process's supervised workers:
 *       {@code {"node": ..., "scope": "local", "workers": [WorkerInfo JSON, ...]}};</li>
 *   <li>{@code GET /workers?scope=cluster}: every node's workers, from the cluster view given to {@code start}
 *       ({@code "scope": "cluster"}), and {@code "safe"}: whether every piece of cluster data has its backups, so
 *       that losing one node loses nothing (see {@link ClusterView#isSafe()}), and {@code "nodes"}: where each node
 *       can be reached (see {@link NodeDirectory}); 409 when the process is not clustered.</li>
 *   <li>{@code GET /health/live} and {@code GET /health/ready}: the process's {@link Health} (200 UP, 503 DOWN), when
 *       one is given to {@link #start(Vertx, String, int, String, ClusterView, Health)}.</li>
 *   <li>{@code GET /metrics}: Prometheus metrics (Vert.x's and {@link SupervisorMetrics}), when the process runs
 *       with them.</li>
 * </ul>
 * Anything else answers 404; other methods 405. Nothing in an answer comes from a request, so nothing leaks.
 * <p>
 * Bound to a loopback address (the default), it answers only requests whose {@code Host} header names the bound
 * address or a loopback name ({@code localhost}, {@code 127.0.0.1}, {@code [::1]}, with or without a port), or that
 * carry no {@code Host} at all (HTTP/1.0 tools); any other host answers 421 Misdirected Request. A web page cannot
 * then read the endpoint through DNS rebinding (a name of the attacker's that resolves to 127.0.0.1 still sends that
 * name as {@code Host}). Bound to another address, the operator has exposed it on purpose and every host is answered.
 */
public final class ManagementServer {

  /** The default bind address: loopback only. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** The default port. */
  public static final int DEFAULT_PORT = 9191;

  private static final Logger LOG = LoggerFactory.getLogger(ManagementServer.class);
  /** How long a cluster list waits for the node directory. */
  private static final long NODES_ANSWER_MILLIS = 1_000;

  private final Vertx vertx;
  private final ClusterView cluster;
  /** The node directory's reads, one at a time. */
  private final SingleFlight<Map<String, JsonObject>> nodeReads = new SingleFlight<>();
  private final String node;
  /** The host names a request may name when bound to loopback, or {@code null} to answer any. */
  private final Set<String> allowedHosts;
  private final Health health;
  private final Handler<HttpServerRequest> metrics;

  private ManagementServer(Vertx vertx, String node, ClusterView cluster, Set<String> allowedHosts, Health health,
                           Handler<HttpServerRequest> metrics) {
    this.vertx = vertx;
    this.node = node;
    this.cluster = cluster;
    this.allowedHosts = allowedHosts;
    this.health = health;
    this.metrics = metrics;
  }

  /** The names a {@code Host} header may carry for an endpoint bound to {@code host}; {@code null}: any. */
  static Set<String> allowedHosts(String host) {
    String bound = normalise(host);
    boolean loopback = bound.equals("localhost");
    if (!loopback) {
      try {
        // Only literal addresses are looked at: no name lookup for a host given as a name.
        loopback = (bound.matches("[0-9.]+") || bound.contains(":")) && InetAddress.getByName(bound).isLoopbackAddress();
      } catch (UnknownHostException e) {
        loopback = false;
      }
    }
    return loopback ? Set.copyOf(List.of(bound, "localhost", "127.0.0.1", "::1")) : null;
  }

  /** {@code [::1]} → {@code ::1}, lower case. */
  private static String normalise(String host) {
    String h = host.trim().toLowerCase(Locale.ROOT);
    return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
  }

  /** Whether the request names an allowed host (see the class comment). */
  private boolean hostAllowed(HttpServerRequest request) {
    if (allowedHosts == null) {
      return true;
    }
    HostAndPort authority = request.authority();
    if (authority == null) {
      return request.headers().get(HttpHeaders.HOST) == null; // absent: allowed; malformed: refused
    }
    return allowedHosts.contains(normalise(authority.host()));
  }

  /**
   * Starts the endpoint without health checks.
   *
   * @param vertx          the Vert.x instance whose workers it lists
   * @param host           the address to bind, normally {@value #DEFAULT_HOST}
   * @param port           the port; 0 picks a free one
   * @param node           this node's name in answers
   * @param cluster        the cluster view, or {@code null} when not clustered
   * @return the listening server (its {@code actualPort()} is the port)
   */
  public static Future<HttpServer> start(Vertx vertx, String host, int port, String node,
                                         ClusterView cluster) {
    return start(vertx, host, port, node, cluster, null);
  }

  /**
   * Starts the endpoint.
   *
   * @param vertx          the Vert.x instance whose workers it lists
   * @param host           the address to bind, normally {@value #DEFAULT_HOST}
   * @param port           the port; 0 picks a free one
   * @param node           this node's name in answers
   * @param cluster        the cluster view, or {@code null} when not clustered
   * @param health         the health checks to serve at {@code /health/live} and {@code /health/ready}, or
   *                       {@code null}
   * @return the listening server (its {@code actualPort()} is the port)
   */
  public static Future<HttpServer> start(Vertx vertx, String host, int port, String node,
                                         ClusterView cluster, Health health) {
    return start(vertx, host, port, node, cluster, health, null);
  }

  /**
   * Starts the endpoint with health checks and metrics.
   *
   * @param vertx          the Vert.x instance whose workers it lists
   * @param host           the address to bind, normally {@value #DEFAULT_HOST}
   * @param port           the port; 0 picks a free one
   * @param node           this node's name in answers
   * @param cluster        the cluster view, or {@code null} when not clustered
   * @param health         the health checks to serve at {@code /health/live} and {@code /health/ready}, or
   *                       {@code null}
   * @param metrics        what answers {@code GET /metrics} (a Prometheus scrape handler), or {@code null}
   * @return the listening server (its {@code actualPort()} is the port)
   */
  public static Future<HttpServer> start(Vertx vertx, String host, int port, String node,
                                         ClusterView cluster, Health health, Handler<HttpServerRequest> metrics) {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port: must be from 0 to 65535, got " + port);
    }
    ManagementServer server = new ManagementServer(vertx, node, cluster, allowedHosts(host), health, metrics);
    return vertx.createHttpServer().requestHandler(server::handle).listen(port, host)
      .onSuccess(s -> LOG.debug("Management endpoint on http://{}:{}/workers", host, s.actualPort()));
  }

  private void handle(HttpServerRequest request) {
    if (!hostAllowed(request)) {
      LOG.debug("Refused a request for host {}", request.headers().get(HttpHeaders.HOST));
      reply(request, 421, error("host not allowed; use 127.0.0.1 or localhost"));
      return;
    }
    if (health != null && ("/health/live".equals(request.path()) || "/health/ready".equals(request.path()))) {
      health.handle(request);
      return;
    }
    if (metrics != null && "/metrics".equals(request.path())) {
      metrics.handle(request);
      return;
    }
    if (!"/workers".equals(request.path())) {
      reply(request, 404, error("not found; GET /workers[?scope=cluster]"
        + (health != null ? ", /health/live, /health/ready" : "") + (metrics != null ? ", /metrics" : "")));
      return;
    }
    if (request.method() != io.vertx.core.http.HttpMethod.GET) {
      request.response().putHeader("Allow", "GET");
      reply(request, 405, error("method not allowed; use GET"));
      return;
    }
    String scope = request.getParam("scope", "local");
    Future<List<WorkerInfo>> workers;
    switch (scope) {
      case "local" -> workers = Future.succeededFuture(Supervisor.workers(vertx));
      case "cluster" -> {
        if (cluster == null) {
          reply(request, 409, error("this process is not clustered; drop -cluster"));
          return;
        }
        workers = cluster.workers();
      }
      default -> {
        reply(request, 400, error("scope: must be local or cluster"));
        return;
      }
    }
    Future<Boolean> safe = cluster != null && scope.equals("cluster") ? cluster.isSafe() : Future.succeededFuture();
    Future<Map<String, JsonObject>> nodes = cluster != null && scope.equals("cluster")
      ? nodeReads.run(() -> NodeDirectory.nodes(vertx)).timeout(NODES_ANSWER_MILLIS, TimeUnit.MILLISECONDS)
        .otherwise(e -> Map.of()) // a list is better than no answer while the cluster is busy
      : Future.succeededFuture();
    Future.all(workers, safe, nodes).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("Cannot read the {} worker list", scope, ar.cause());
        reply(request, 503, error("the " + scope + " worker list is unavailable"));
        return;
      }
      JsonArray list = new JsonArray();
      workers.result().forEach(info -> list.add(info.toJson()));
      JsonObject body = new JsonObject().put("node", node).put("scope", scope).put("workers", list);
      if (safe.result() != null) {
        body.put("safe", safe.result());
      }
      if (nodes.result() != null) {
        JsonObject byId = new JsonObject();
        nodes.result().forEach(byId::put);
        body.put("nodes", byId);
      }
      reply(request, 200, body);
    });
  }

  private static JsonObject error(String message) {
    return new JsonObject().put("error", message);
  }

  private static void reply(HttpServerRequest request, int status, JsonObject body) {
    request.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
