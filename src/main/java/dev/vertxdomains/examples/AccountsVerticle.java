package dev.vertxdomains.examples;

import dev.vertxdomains.eventbus.ServiceDomains;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Registers the {@link Accounts} service, every call in its own domain.
 * Config: {@code address} (default {@value Accounts#DEFAULT_ADDRESS}).
 * Run: {@code java -jar target/vertx-domains.jar run supervised:dev.vertxdomains.examples.AccountsVerticle
 * -instances 2 -conf conf/accounts.json}.
 */
public class AccountsVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    String address = config().getString("address", Accounts.DEFAULT_ADDRESS);
    return ServiceDomains.register(vertx, address, Accounts.class, new AccountsImpl(vertx)).completion();
  }

  /** The implementation. */
  static final class AccountsImpl implements Accounts {

    private final Vertx vertx;

    AccountsImpl(Vertx vertx) {
      this.vertx = vertx;
    }

    @Override
    public Future<JsonObject> balance(String id) {
      return Future.succeededFuture(new JsonObject().put("id", id).put("balance", 100));
    }

    @Override
    public Future<JsonObject> audit(String id) {
      Promise<JsonObject> result = Promise.promise();
      vertx.setTimer(1, timer -> {
        throw new IllegalStateException("the audit of account " + id + " failed in a timer");
      });
      return result.future();
    }
  }
}
