package dev.vertxdomains.launcher;

import io.vertx.core.cli.CLIException;
import io.vertx.core.cli.annotations.Description;
import io.vertx.core.cli.annotations.Name;
import io.vertx.core.cli.annotations.Option;
import io.vertx.core.cli.annotations.Summary;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.launcher.DefaultCommand;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code list}: prints the supervised workers of a running process, or with {@code -cluster} of every node of its
 * cluster, read from the process's management endpoint (see {@link ManagementSettings}). Replaces Vert.x's own
 * {@code list}, which only finds processes started with {@code start}.
 */
@Name("list")
@Summary("List the supervised workers of a running vertx-domains process (or, with -cluster, of its cluster).")
@Description("Reads the management endpoint of a running process (default 127.0.0.1:9191, or "
  + "-Dvertx-domains.management.port / VERTX_DOMAINS_MANAGEMENT_PORT) and prints one row per worker: deployment, "
  + "worker, node, state, restarts, uptime and last error.")
public class ListCommand extends DefaultCommand {

  static final String[] COLUMNS = {"DEPLOYMENT", "WORKER", "NODE", "STATE", "RESTARTS", "UPTIME", "LAST ERROR"};

  private String host;
  private String port;
  private boolean cluster;

  /**
   * The management host to ask.
   *
   * @param host an address
   */
  @Option(longName = "host", argName = "host")
  @Description("The management endpoint's host (default: as the process, 127.0.0.1).")
  public void setHost(String host) {
    this.host = host;
  }

  /**
   * The management port to ask.
   *
   * @param port a port
   */
  @Option(longName = "port", argName = "port")
  @Description("The management endpoint's port (default: as the process, 9191).")
  public void setPort(String port) {
    this.port = port;
  }

  /**
   * Lists every node's workers.
   *
   * @param cluster whether to
   */
  @Option(longName = "cluster", flag = true)
  @Description("List the workers of every node of the process's cluster.")
  public void setCluster(boolean cluster) {
    this.cluster = cluster;
  }

  @Override
  public void run() throws CLIException {
    ManagementSettings settings;
    try {
      java.util.Properties properties = (java.util.Properties) System.getProperties().clone();
      if (host != null) {
        properties.setProperty(ManagementSettings.HOST_PROPERTY, host);
      }
      if (port != null) {
        properties.setProperty(ManagementSettings.PORT_PROPERTY, port);
      }
      settings = ManagementSettings.read(System.getenv(), properties);
    } catch (IllegalArgumentException e) {
      throw exit(e.getMessage().replace(ManagementSettings.PORT_PROPERTY, "-port"), DomainsLauncher.BAD_INPUT);
    }
    if (!settings.enabled() || settings.port() == 0) {
      throw exit("-port: must name the port the process listens on, from 1 to 65535", DomainsLauncher.BAD_INPUT);
    }
    String where = settings.host() + ":" + settings.port();
    URI uri = URI.create("http://" + where + "/workers?scope=" + (cluster ? "cluster" : "local"));
    HttpResponse<String> response;
    try {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
      response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15)).build(),
        HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw exit("no vertx-domains process answers on " + where + " (start one with run, or pass -port)",
        UNREACHABLE);
    } catch (IOException e) {
      throw exit("cannot read " + uri + ": " + e, UNREACHABLE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw exit("interrupted", UNREACHABLE);
    }
    JsonObject body;
    try {
      body = new JsonObject(response.body());
    } catch (DecodeException e) {
      throw exit(where + " is not a vertx-domains management endpoint (HTTP " + response.statusCode() + ")",
        UNREACHABLE);
    }
    if (response.statusCode() != 200) {
      throw exit(where + ": " + printable(oneLine(String.valueOf(body.getValue("error", "HTTP " + response.statusCode())))),
        UNREACHABLE);
    }
    out.print(table(body.getJsonArray("workers", new JsonArray()), body.getJsonObject("nodes", new JsonObject())));
    if (cluster) {
      out.print(safety(body.getValue("safe")));
    }
    out.flush();
  }

  /** Exit code when the endpoint cannot be reached or read. */
  static final int UNREACHABLE = 1;

  private static RuntimeException exit(String line, int code) {
    System.err.println("vertx-domains: " + line);
    System.err.flush();
    System.exit(code);
    return new IllegalStateException(line); // not reached
  }

  /** The workers as an aligned text table, one row per worker, a header first. */
  static String table(JsonArray workers) {
    return table(workers, new JsonObject());
  }

  /**
   * The workers as an aligned text table; {@code nodes} (node id → host, managementPort, pid) turns the NODE column
   * into an address an operator can act on.
   */
  static String table(JsonArray workers, JsonObject nodes) {
    List<String[]> rows = new ArrayList<>();
    rows.add(COLUMNS);
    for (int i = 0; i < workers.size(); i++) {
      JsonObject w = workers.getJsonObject(i);
      String[] row = {
        shortId(text(w, "deployment", "-")) + " " + simpleName(text(w, "verticle", "")),
        shortWorker(text(w, "worker", "-")) + "#" + number(w, "generation"),
        node(text(w, "node", "-"), nodes),
        text(w, "state", "-"),
        String.valueOf(number(w, "restarts")),
        uptime(number(w, "uptimeMillis")),
        oneLine(text(w, "lastError", null))
      };
      for (int c = 0; c < row.length; c++) {
        row[c] = printable(row[c]);
      }
      rows.add(row);
    }
    int[] widths = new int[COLUMNS.length];
    for (String[] row : rows) {
      for (int c = 0; c < row.length; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < row.length; c++) {
        line.append(c == row.length - 1 ? row[c] : String.format("%-" + widths[c] + "s  ", row[c]));
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    if (workers.isEmpty()) {
      out.append("(no supervised workers)\n");
    }
    return out.toString();
  }

  /** {@code host:port pid N} when the node's address is known, else its id (shortened). */
  static String node(String id, JsonObject nodes) {
    Object entry = nodes.getValue(id);
    if (entry instanceof JsonObject address && address.getValue("host") != null) {
      return address.getValue("host") + ":" + address.getValue("managementPort") + " pid " + address.getValue("pid");
    }
    return shortId(id);
  }

  /** A field as text, whatever its JSON type (a process of another version may send other types). */
  private static String text(JsonObject json, String key, String fallback) {
    Object value = json.getValue(key);
    return value == null ? fallback : String.valueOf(value);
  }

  private static long number(JsonObject json, String key) {
    return json.getValue(key) instanceof Number n ? n.longValue() : 0L;
  }

  /**
   * Text safe for a terminal: control characters (ESC, BEL, CR, ... including C1 and DEL), invisible format
   * characters (bidirectional overrides), lone surrogates and unassigned code points are stripped, so that nothing
   * taken from an exception message can move the cursor, recolour or retitle the operator's terminal, or reorder
   * what it shows.
   */
  static String printable(String text) {
    if (text == null) {
      return null;
    }
    StringBuilder out = new StringBuilder(text.length());
    text.codePoints().forEach(c -> {
      int type = Character.getType(c);
      if (!Character.isISOControl(c) && type != Character.FORMAT && type != Character.SURROGATE
        && type != Character.UNASSIGNED) {
        out.appendCodePoint(c);
      }
    });
    return out.toString();
  }

  /** The line under a cluster table: whether a node may be stopped now (see the README, Cluster). */
  static String safety(Object safe) {
    if (Boolean.TRUE.equals(safe)) {
      return "safe: yes (every piece of cluster data has its backups; a node may be stopped)\n";
    }
    if (Boolean.FALSE.equals(safe)) {
      return "safe: NO (backups are still migrating; stopping a node now can lose what it ran)\n";
    }
    return "safe: unknown (the process did not say)\n";
  }

  /** Cluster ids are UUIDs: their first 8 characters tell them apart in a table. */
  static String shortId(String id) {
    return id.length() == 36 && id.charAt(8) == '-' ? id.substring(0, 8) : id;
  }

  private static String simpleName(String verticle) {
    return verticle.substring(verticle.lastIndexOf('.') + 1);
  }

  private static String shortWorker(String worker) {
    int slash = worker.lastIndexOf('/');
    return slash < 0 ? worker : shortId(worker.substring(0, slash)) + worker.substring(slash);
  }

  /** {@code 950ms}, {@code 12.3s}, {@code 4m05s}, {@code 2h03m}. */
  static String uptime(long millis) {
    if (millis <= 0) {
      return "-";
    }
    if (millis < 1000) {
      return millis + "ms";
    }
    if (millis < 60_000) {
      return String.format(java.util.Locale.ROOT, "%.1fs", millis / 1000.0);
    }
    long seconds = millis / 1000;
    if (seconds < 3600) {
      return String.format(java.util.Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return String.format(java.util.Locale.ROOT, "%dh%02dm", seconds / 3600, seconds / 60 % 60);
  }

  private static String oneLine(String error) {
    if (error == null || error.isEmpty()) {
      return "-";
    }
    String line = error.replaceAll("\\s+", " ");
    return line.length() <= 80 ? line : line.substring(0, 77) + "...";
  }
}
