package dev.vertxdomains.examples;

import dev.vertxdomains.eventbus.EventBusDomains;
import dev.vertxdomains.supervisor.Supervisor;
import dev.vertxdomains.supervisor.WorkerInfo;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;

/**
 * An event-bus service, every message in its own domain:
 * <ul>
 *   <li>body {@code ok}: reply {@code ok};</li>
 *   <li>body {@code error}: a timer started by the handler throws; the sender gets a failure with code 500 at once
 *       and the instance is recycled;</li>
 *   <li>body {@code slow:N}: reply {@code ok} after N ms;</li>
 *   <li>body {@code node}: reply with the id of the cluster node that handled it ({@code local} unclustered);</li>
 *   <li>anything else: a failure with code 400 naming what is allowed.</li>
 * </ul>
 * Config: {@code address} (default {@code examples.work}).
 * Run: {@code java -jar target/vertx-domains.jar run supervised:dev.vertxdomains.examples.WorkService -instances 2}.
 */
public class WorkService extends VerticleBase {

  /** The default address. */
  public static final String DEFAULT_ADDRESS = "examples.work";

  @Override
  public Future<?> start() {
    String address = config().getString("address", DEFAULT_ADDRESS);
    return EventBusDomains.<String>consumer(vertx, address, this::handle).completion();
  }

  private void handle(Message<String> message) {
    String body = String.valueOf(message.body());
    if (body.equals("ok")) {
      message.reply("ok");
    } else if (body.equals("error")) {
      vertx.setTimer(1, id -> {
        throw new IllegalStateException("work 'error': a timer failed");
      });
    } else if (body.equals("node")) {
      WorkerInfo worker = Supervisor.currentWorker();
      message.reply(worker == null ? "local" : worker.node());
    } else if (body.startsWith("slow:") && parseMillis(body.substring(5)) >= 0) {
      vertx.setTimer(Math.max(1, parseMillis(body.substring(5))), id -> message.reply("ok"));
    } else {
      message.fail(400, "unknown work '" + abbreviate(body) + "': allowed ok, error, slow:<ms>, node");
    }
  }

  private static long parseMillis(String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String abbreviate(String value) {
    return value.length() <= 40 ? value : value.substring(0, 40) + "...";
  }
}
