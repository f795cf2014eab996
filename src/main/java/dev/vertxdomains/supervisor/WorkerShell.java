package dev.vertxdomains.supervisor;

import dev.vertxdomains.domain.Domain;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.Future;

/**
 * Wraps one user verticle instance: before the user's {@code start} runs on the new instance's context, it attaches
 * the {@link Worker} and makes the supervisor the listener of the instance's top-level domain; on undeploy it drains
 * the instance first, so undeploying is graceful however it is triggered.
 */
final class WorkerShell implements Deployable {

  private final Worker worker;
  private final Deployable verticle;

  WorkerShell(Worker worker, Deployable verticle) {
    this.worker = worker;
    this.verticle = verticle;
  }

  @Override
  public Future<?> deploy(Context context) throws Exception {
    worker.attach(context);
    Domain.topLevel(context).errorHandler(error -> worker.slotError(error));
    return verticle.deploy(context);
  }

  @Override
  public Future<?> undeploy(Context context) throws Exception {
    Drain drain = new Drain(System.currentTimeMillis() + worker.options().killTimeoutMs(), true);
    return worker.drain(drain).transform(ignored -> {
      try {
        return verticle.undeploy(context).mapEmpty();
      } catch (Exception e) {
        return Future.failedFuture(e);
      }
    });
  }
}
