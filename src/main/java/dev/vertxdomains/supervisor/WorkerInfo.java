package dev.vertxdomains.supervisor;

import io.vertx.core.json.JsonObject;

/**
 * A snapshot of one supervised worker (one verticle instance), for tables, the management API and the cluster view.
 *
 * @param deploymentId the supervised deployment's id
 * @param verticle     the supervised verticle's name
 * @param worker       the worker's id: {@code <deployment>/<slot>}; it stays the same across recycles
 * @param generation   how many instances this slot has started, counting this one
 * @param node         the cluster node id, or {@code "local"}
 * @param state        the instance's state
 * @param restarts     how many times the slot replaced an instance
 * @param uptimeMillis how long the instance has been running, or 0
 * @param lastError    the type and message of the slot's last error (this instance's, or the one that made the
 *                     slot replace its predecessor), or {@code null}
 */
public record WorkerInfo(String deploymentId, String verticle, String worker, int generation, String node,
                         WorkerState state, long restarts, long uptimeMillis, String lastError) {

  /** This snapshot as JSON (the shape used in events and by {@code list}). */
  public JsonObject toJson() {
    return new JsonObject()
      .put("deployment", deploymentId)
      .put("verticle", verticle)
      .put("worker", worker)
      .put("generation", generation)
      .put("node", node)
      .put("state", state.label())
      .put("restarts", restarts)
      .put("uptimeMillis", uptimeMillis)
      .put("lastError", lastError);
  }

  /** The inverse of {@link #toJson()}. */
  public static WorkerInfo fromJson(JsonObject json) {
    return new WorkerInfo(json.getString("deployment"), json.getString("verticle"), json.getString("worker"),
      json.getInteger("generation", 0), json.getString("node"),
      WorkerState.valueOf(json.getString("state").toUpperCase(java.util.Locale.ROOT).replace('-', '_')),
      json.getLong("restarts", 0L), json.getLong("uptimeMillis", 0L), json.getString("lastError"));
  }
}
