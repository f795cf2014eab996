package dev.vertxdomains.examples;

import io.vertx.codegen.annotations.ProxyGen;
import io.vertx.codegen.annotations.VertxGen;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

/**
 * An event-bus service written as Vert.x users write one: a {@code @ProxyGen} interface, an implementation
 * registered by {@link AccountsVerticle} with {@link dev.vertxdomains.eventbus.ServiceDomains}, and callers using the
 * generated proxy ({@link #createProxy}).
 */
@ProxyGen
@VertxGen
public interface Accounts {

  /** The default address. */
  String DEFAULT_ADDRESS = "accounts";

  /**
   * A proxy that calls the service at {@code address} over the event bus.
   *
   * @param vertx   the Vert.x instance
   * @param address the service's address
   * @return the proxy
   */
  static Accounts createProxy(Vertx vertx, String address) {
    return new AccountsVertxEBProxy(vertx, address);
  }

  /**
   * A proxy that calls the service at {@code address} with these delivery options (a send timeout, headers).
   *
   * @param vertx   the Vert.x instance
   * @param address the service's address
   * @param options the delivery options of every call
   * @return the proxy
   */
  static Accounts createProxyWithOptions(Vertx vertx, String address, DeliveryOptions options) {
    return new AccountsVertxEBProxy(vertx, address, options);
  }

  /**
   * The balance of an account.
   *
   * @param id the account
   * @return {@code {"id": id, "balance": 100}}
   */
  Future<JsonObject> balance(String id);

  /**
   * Audits an account: the faulty method. A timer it starts throws, so the call's domain answers the caller with a
   * {@code ServiceException} of code 500 at once, and the instance is recycled.
   *
   * @param id the account
   * @return never completes by itself
   */
  Future<JsonObject> audit(String id);
}
