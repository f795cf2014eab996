package dev.vertxdomains.web;

import dev.vertxdomains.supervisor.spi.Integrations;
import dev.vertxdomains.domain.Domain;
import dev.vertxdomains.domain.DomainError;
import dev.vertxdomains.supervisor.ErrorPolicy;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.MIMEHeader;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Domains for vertx-web, Express's "wrap every request in a domain, use the default error handler" as one line:
 * <pre>{@code
 * Router router = WebDomains.install(Router.router(vertx));
 * router.get("/").handler(ctx -> ...);
 * HttpDomains.serve(vertx.createHttpServer(), router).listen(8080);
 * }</pre>
 * {@link #handler()}, placed first, gives every request its own domain (the one {@link HttpDomains#serve} made, if
 * any) and a request id ({@value #REQUEST_ID_HEADER}, taken from the request when it is a safe token, else
 * generated; echoed on the response, and under {@value #REQUEST_ID} in the context data). An error anywhere in the
 * request's work becomes {@code ctx.fail(500, error)}, so the router's failure handlers run. After the response, a
 * failed request with a 5xx status and an exception (a domain error, or a throw vertx-web caught itself) follows
 * the instance's error policy, as with {@link HttpDomains}.
 * <p>
 * {@link #failureHandler()} is the default output, set by {@link #install} as the router's 500 error handler: it
 * follows {@code Accept} ({@code application/json}, {@code text/html}, else {@code text/plain}), carries the request
 * id, and shows neither a stack trace nor the exception's message unless built with {@code exposeMessages}.
 */
public final class WebDomains {

  /** The request and response header carrying the request id. */
  public static final String REQUEST_ID_HEADER = "X-Request-Id";
  /** The key of the request id in {@link RoutingContext#data()}. */
  public static final String REQUEST_ID = "requestId";

  private static final Logger LOG = LoggerFactory.getLogger(WebDomains.class);
  private static final String DOMAIN_ERROR = WebDomains.class.getName() + ".error";
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private WebDomains() {
  }

  /**
   * Puts {@link #handler()} first on {@code router} and {@link #failureHandler()} as its 500 error handler (used when
   * no failure handler of the application answered).
   *
   * @param router the router
   * @return the router
   */
  public static Router install(Router router) {
    Objects.requireNonNull(router, "router");
    router.route().order(Integer.MIN_VALUE).handler(handler());
    router.errorHandler(500, failureHandler());
    return router;
  }

  /**
   * The per-request domain handler; place it first on the router.
   *
   * @return the handler
   */
  public static Handler<RoutingContext> handler() {
    return ctx -> {
      String id = ctx.request().getHeader(REQUEST_ID_HEADER);
      if (id == null || !SAFE_ID.matcher(id).matches()) {
        id = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
      }
      ctx.put(REQUEST_ID, id);
      ctx.response().putHeader(REQUEST_ID_HEADER, id);
      Domain active = Domain.active();
      Domain domain;
      if (active != null && !active.isTopLevel()) {
        domain = active; // made by HttpDomains, request and response already added
      } else {
        domain = Domain.create().attach(Vertx.currentContext());
        domain.add(ctx.request());
        domain.add(ctx.response());
      }
      domain.errorHandler(error -> onError(ctx, domain, error));
      ctx.addEndHandler(ar -> afterResponse(ctx, domain));
      ctx.next();
    };
  }

  private static void onError(RoutingContext ctx, Domain domain, DomainError error) {
    if (ctx.get(DOMAIN_ERROR) != null) {
      return; // answered once already
    }
    if (HttpDomains.isClientError(ctx.request(), error)) {
      LOG.debug("{} {}: the client's connection failed ({}); nothing to recycle", ctx.request().method(),
        ctx.request().path(), error.cause().toString());
      HttpDomains.answer(ctx.request(), 400, "Bad Request\n", 0);
      return;
    }
    ctx.put(DOMAIN_ERROR, error);
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      // Too late to answer: the end handler has run, so apply the policy here.
      applyPolicy(ctx, domain, error);
      return;
    }
    ctx.fail(500, error.cause());
  }

  private static void afterResponse(RoutingContext ctx, Domain domain) {
    DomainError error = ctx.get(DOMAIN_ERROR);
    if (error == null) {
      Throwable failure = ctx.failure();
      int status = ctx.statusCode();
      if (failure == null || (status >= 0 && status < 500)) {
        return;
      }
      if (ClientErrors.isClients(failure)) {
        LOG.debug("{} {}: the client's connection failed ({}); nothing to recycle", ctx.request().method(),
          ctx.request().path(), failure.toString());
        return;
      }
      error = new DomainError(failure, domain, null, null, true);
    }
    applyPolicy(ctx, domain, error);
  }

  private static void applyPolicy(RoutingContext ctx, Domain domain, DomainError error) {
    Integrations.afterAnswer(domain, error, ctx.request().method() + " " + ctx.request().path() + " ("
      + ctx.<String>get(REQUEST_ID) + ")");
  }

  /**
   * The default failure output: status and reason, request id, no exception details.
   *
   * @return the failure handler
   */
  public static Handler<RoutingContext> failureHandler() {
    return failureHandler(false);
  }

  /**
   * The default failure output.
   *
   * @param exposeMessages also show the exception's message (never its stack trace); for development only
   * @return the failure handler
   */
  public static Handler<RoutingContext> failureHandler(boolean exposeMessages) {
    return ctx -> {
      HttpServerResponse response = ctx.response();
      if (response.ended() || response.closed()) {
        return;
      }
      if (response.headWritten()) {
        response.reset();
        return;
      }
      Throwable failure = ctx.failure();
      int status = ctx.statusCode() >= 400 ? ctx.statusCode()
        : failure != null && ClientErrors.isClients(failure) ? 400 : 500;
      String reason = HttpResponseStatus.valueOf(status).reasonPhrase();
      String id = ctx.get(REQUEST_ID);
      String message = exposeMessages && failure != null ? String.valueOf(failure.getMessage()) : null;
      response.setStatusCode(status);
      switch (preferredType(ctx)) {
        case "application/json" -> {
          JsonObject body = new JsonObject().put("status", status).put("error", reason).put("requestId", id);
          if (message != null) {
            body.put("message", message);
          }
          response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
        }
        case "text/html" -> response.putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
          .end("<!DOCTYPE html><html><head><title>" + status + " " + reason + "</title></head><body><h1>" + status
            + " " + reason + "</h1><p>Request id: " + escape(id) + "</p>"
            + (message != null ? "<p>" + escape(message) + "</p>" : "") + "</body></html>\n");
        default -> response.putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
          .end(status + " " + reason + "\nrequest id: " + id + "\n" + (message != null ? message + "\n" : ""));
      }
    };
  }

  private static String preferredType(RoutingContext ctx) {
    for (MIMEHeader accept : ctx.parsedHeaders().accept()) {
      String type = accept.component() + "/" + accept.subComponent();
      switch (type) {
        case "application/json", "text/html", "text/plain" -> {
          return type;
        }
        default -> {
          // keep looking: */*, text/* and others fall back to text/plain below
        }
      }
    }
    return "text/plain";
  }

  private static String escape(String text) {
    if (text == null) {
      return "";
    }
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
