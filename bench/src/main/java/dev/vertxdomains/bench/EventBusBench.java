package dev.vertxdomains.bench;

import dev.vertxdomains.cluster.ClusterConfig;
import dev.vertxdomains.eventbus.EventBusDomains;
import dev.vertxdomains.examples.Accounts;
import dev.vertxdomains.examples.AccountsVerticle;
import dev.vertxdomains.supervisor.Supervisor;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.serviceproxy.ServiceBinder;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What a domain per event-bus message costs: request/reply throughput and p99 of five services side by side, each one
 * instance on its own event loop, driven by the same lanes (each keeps one request outstanding), alternated round by
 * round, all lanes on one client event loop and every service on an event loop of its own (16 loops, so that no service
 * shares the client's thread and every call crosses threads the same way): a bare consumer, an {@link EventBusDomains}
 * consumer, the same supervised, a service proxy registered with
 * vertx-service-proxy's {@code ServiceBinder}, and the {@link Accounts} example supervised. Then the faults figure: the
 * supervised consumer with 1 request in 100 failing against none. Locally (one Vert.x), or clustered: the services in
 * a second JVM on 127.0.0.1, this one the client. Args: {@code local|clustered}, seconds per run, rounds, lanes, and optionally {@code faults} for the faults
 * figure alone.
 */
public final class EventBusBench {

  private static final String[] SERVICES = {"bare", "domain", "supervised", "proxy", "supervised-proxy"};
  private static final int LOOPS = 16;
  /** Under the fault load, one failing call after every 99 answered ones: 1 request in 100 fails. */
  private static final int CLEAN_PER_FAULT = 99;
  /** The histogram's range: 1 µs buckets up to 1 s (beyond: the last bucket). */
  private static final int HISTOGRAM_MICROS = 1_000_000;

  private EventBusBench() {
  }

  /**
   * Runs the figure and prints its result; {@code serve <name> <members> <port>} is the clustered services' JVM.
   *
   * @param args {@code local|clustered}, seconds, rounds, lanes; or {@code serve}, cluster name, members, port
   */
  public static void main(String[] args) throws Exception {
    if (args[0].equals("serve")) {
      serve(args[1], args[2], Integer.parseInt(args[3]));
      return;
    }
    boolean clustered = args[0].equals("clustered");
    int seconds = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    int lanes = Integer.parseInt(args[3]);
    boolean faultsOnly = args.length > 4 && args[4].equals("faults");
    Process server = null;
    Vertx vertx;
    if (clustered) {
      String name = "bench-eb-" + UUID.randomUUID();
      int serverPort = freePort();
      int clientPort = freePort();
      String members = "127.0.0.1:" + serverPort + ",127.0.0.1:" + clientPort;
      List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-Xmx512m"));
      // Extra options for the services' JVM, say a profiler's (-Dbench.server.options="-XX:StartFlightRecording=...").
      String extra = System.getProperty("bench.server.options", "").trim();
      if (!extra.isEmpty()) {
        command.addAll(Arrays.asList(extra.split("\\s+")));
      }
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), EventBusBench.class.getName(), "serve",
        name, members, Integer.toString(serverPort)));
      server = new ProcessBuilder(command).redirectErrorStream(true).start();
      awaitReady(server);
      vertx = clustered(name, members, clientPort).await(120, TimeUnit.SECONDS);
    } else {
      vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(LOOPS));
      deployServices(vertx).await(60, TimeUnit.SECONDS);
    }
    try {
      run(vertx, seconds, rounds, lanes, clustered ? "clustered" : "local", faultsOnly);
    } finally {
      vertx.close().await(60, TimeUnit.SECONDS);
      if (server != null) {
        server.destroy();
        server.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private static void run(Vertx vertx, int seconds, int rounds, int lanes, String where, boolean faultsOnly)
    throws Exception {
    Context client = vertx.getOrCreateContext(); // the next event loop, which no service uses
    Map<String, Supplier<Future<?>>> calls = new LinkedHashMap<>();
    Accounts proxy = Accounts.createProxy(vertx, "bench.eb.proxy");
    Accounts supervisedProxy = Accounts.createProxy(vertx, "bench.eb.supervised-proxy");
    for (String service : new String[] {"bare", "domain", "supervised"}) {
      calls.put(service, () -> vertx.eventBus().request("bench.eb." + service, "ok"));
    }
    calls.put("proxy", () -> proxy.balance("a"));
    calls.put("supervised-proxy", () -> supervisedProxy.balance("a"));
    // Warm-up: every service, then the fault load for twice a round (the JIT compiles the fault paths late: with a
    // short warm-up the first fault rounds lose half their throughput, the later ones nothing).
    for (Map.Entry<String, Supplier<Future<?>>> call : faultsOnly ? Map.<String, Supplier<Future<?>>>of().entrySet()
      : calls.entrySet()) {
      load(client, call.getValue(), null, Math.max(1, seconds / 2), lanes);
    }
    load(client, calls.get("supervised"), faulting(vertx), 2 * seconds, lanes);
    Map<String, double[]> rps = new LinkedHashMap<>();
    Map<String, Double> p99 = new LinkedHashMap<>();
    for (int round = 1; round <= (faultsOnly ? 0 : rounds); round++) {
      StringBuilder line = new StringBuilder("eventbus " + where + " round " + round + ":");
      // Each round starts with the next service, so that none always runs first (or last).
      for (int i = 0; i < SERVICES.length; i++) {
        String service = SERVICES[(i + round - 1) % SERVICES.length];
        double[] result = load(client, calls.get(service), null, seconds, lanes);
        rps.computeIfAbsent(service, k -> new double[rounds])[round - 1] = result[0];
        p99.merge(service, result[1], Math::max);
        line.append(String.format(" %s %.0f/s p99 %.0f us;", service, result[0], result[1]));
      }
      System.err.println(line);
    }
    double[] clean = new double[rounds];
    double[] faults = new double[rounds];
    for (int round = 1; round <= rounds; round++) {
      clean[round - 1] = load(client, calls.get("supervised"), null, seconds, lanes)[0];
      faults[round - 1] = load(client, calls.get("supervised"), faulting(vertx), seconds, lanes)[0];
      System.err.printf("eventbus %s faults round %d: clean %.0f/s | 1 in 100 failing %.0f/s%n", where, round,
        clean[round - 1], faults[round - 1]);
    }
    List<Object> result = new ArrayList<>();
    for (String service : faultsOnly ? new String[0] : SERVICES) {
      result.add(service.replace('-', '_') + "_rps");
      result.add(Arrays.stream(rps.get(service)).sum() / rounds);
      result.add(service.replace('-', '_') + "_p99_us");
      result.add(p99.get(service));
    }
    if (!faultsOnly) {
      // Each service against its baseline in the same round, the median over the rounds: the machine's drift
      // between rounds (larger than what is measured) cancels out of a ratio taken side by side.
      result.addAll(List.of("domain_ratio", medianRatio(rps.get("domain"), rps.get("bare")), "supervised_ratio",
        medianRatio(rps.get("supervised"), rps.get("bare")), "supervised_proxy_ratio",
        medianRatio(rps.get("supervised-proxy"), rps.get("proxy"))));
    }
    result.add("clean_rps");
    result.add(Arrays.stream(clean).sum() / rounds);
    result.add("faults_rps");
    result.add(Arrays.stream(faults).sum() / rounds);
    result.add("faults_ratio");
    result.add(medianRatio(faults, clean));
    Results.print("eventbus-" + where, result.toArray());
  }

  /** The median over the rounds of {@code a[round] / b[round]}. */
  private static double medianRatio(double[] a, double[] b) {
    double[] ratios = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      ratios[i] = a[i] / b[i];
    }
    Arrays.sort(ratios);
    int n = ratios.length;
    return n % 2 == 1 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
  }

  /** A failing request to the supervised consumer: its handler starts a timer that throws. */
  private static Supplier<Future<?>> faulting(Vertx vertx) {
    return () -> vertx.eventBus().request("bench.eb.supervised", "error", new DeliveryOptions().setSendTimeout(10_000));
  }

  /**
   * Keeps one call outstanding per lane, every lane on the client's context, for {@code seconds}. With a
   * {@code fault}, one failing call is sent beside the lanes after every {@value #CLEAN_PER_FAULT} answered calls (1
   * request in 100 fails), not in a lane: a lane would wait for the failing call's own latency (its timer), which
   * would measure that latency rather than what the faults cost the other calls. A failing call counts as completed
   * when its failure arrives. Latencies go into a histogram of 1 µs buckets (the lanes share the client's thread).
   *
   * @return completed calls per second, and the p99 latency in microseconds
   */
  private static double[] load(Context client, Supplier<Future<?>> call, Supplier<Future<?>> fault, int seconds,
                               int lanes) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long[] histogram = new long[HISTOGRAM_MICROS + 1];
    long[] answered = new long[1];
    List<Future<?>> done = new ArrayList<>();
    Runnable onAnswer = fault == null ? () -> { } : () -> {
      if (++answered[0] % CLEAN_PER_FAULT == 0) {
        long sent = System.nanoTime();
        Future<?> failing = fault.get();
        done.add(failing.transform(ar -> {
          histogram[(int) Math.min(HISTOGRAM_MICROS, (System.nanoTime() - sent) / 1_000)]++;
          return Future.succeededFuture();
        }));
      }
    };
    List<Future<Void>> lanesDone = new ArrayList<>();
    for (int lane = 0; lane < lanes; lane++) {
      Promise<Void> finished = Promise.promise();
      lanesDone.add(finished.future());
      client.runOnContext(v -> next(call, end, histogram, onAnswer, finished));
    }
    Future.all(lanesDone).await(seconds + 60L, TimeUnit.SECONDS);
    // The failing calls still out (sent in the last milliseconds), on the client's thread that added them.
    Promise<List<Future<?>>> failing = Promise.promise();
    client.runOnContext(v -> failing.complete(new ArrayList<>(done)));
    Future.all(failing.future().await(10, TimeUnit.SECONDS)).await(60, TimeUnit.SECONDS);
    long count = Arrays.stream(histogram).sum();
    long rank = (long) Math.ceil(count * 0.99);
    long seen = 0;
    int p99 = 0;
    for (int micros = 0; micros <= HISTOGRAM_MICROS; micros++) {
      seen += histogram[micros];
      if (seen >= rank) {
        p99 = micros;
        break;
      }
    }
    return new double[] {count / (double) seconds, p99};
  }

  private static void next(Supplier<Future<?>> call, long end, long[] histogram, Runnable onAnswer,
                           Promise<Void> finished) {
    if (System.nanoTime() >= end) {
      finished.complete();
      return;
    }
    long sent = System.nanoTime();
    call.get().onComplete(ar -> {
      if (ar.succeeded()) {
        histogram[(int) Math.min(HISTOGRAM_MICROS, (System.nanoTime() - sent) / 1_000)]++;
        onAnswer.run();
      }
      next(call, end, histogram, onAnswer, finished);
    });
  }

  // ----------------------------------------------------------------------------------------------------------------
  // The services

  /** Deploys the five services, each with one instance. */
  static Future<?> deployServices(Vertx vertx) {
    JsonObject supervised = new JsonObject().put("address", "bench.eb.supervised");
    return Future.all(List.of(
      vertx.deployVerticle(new Bare()),
      vertx.deployVerticle(new WithDomains()),
      Supervisor.deploy(vertx, WithDomains.class, new DeploymentOptions().setConfig(supervised)),
      vertx.deployVerticle(new Binder()),
      Supervisor.deploy(vertx, AccountsVerticle.class.getName(), new DeploymentOptions()
        .setConfig(new JsonObject().put("address", "bench.eb.supervised-proxy")))));
  }

  /** A bare consumer. */
  public static final class Bare extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().<String>consumer("bench.eb.bare", message -> message.reply("ok")).completion();
    }
  }

  /** An {@link EventBusDomains} consumer: {@code ok} answered, {@code error} fails from a timer. */
  public static final class WithDomains extends VerticleBase {
    @Override
    public Future<?> start() {
      String address = config().getString("address", "bench.eb.domain");
      return EventBusDomains.<String>consumer(vertx, address, message -> {
        if ("error".equals(message.body())) {
          vertx.setTimer(1, id -> {
            throw new IllegalStateException("bench fault");
          });
        } else {
          message.reply("ok");
        }
      }).completion();
    }
  }

  /** The {@link Accounts} service registered with vertx-service-proxy's own {@code ServiceBinder}. */
  public static final class Binder extends VerticleBase {
    @Override
    public Future<?> start() {
      Accounts accounts = new Accounts() {
        @Override
        public Future<JsonObject> balance(String id) {
          return Future.succeededFuture(new JsonObject().put("id", id).put("balance", 100));
        }

        @Override
        public Future<JsonObject> audit(String id) {
          return Future.failedFuture("not in the bench");
        }
      };
      return new ServiceBinder(vertx).setAddress("bench.eb.proxy").register(Accounts.class, accounts).completion();
    }
  }

  // ----------------------------------------------------------------------------------------------------------------
  // The clustered services' JVM

  private static void serve(String name, String members, int port) throws Exception {
    Vertx vertx = clustered(name, members, port).await(120, TimeUnit.SECONDS);
    deployServices(vertx).await(60, TimeUnit.SECONDS);
    System.out.println("READY");
    System.out.flush();
    // Until the driver ends this process.
    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
  }

  private static Future<Vertx> clustered(String name, String members, int port) {
    Properties properties = new Properties();
    properties.setProperty(ClusterConfig.NAME, name);
    properties.setProperty(ClusterConfig.MEMBERS, members);
    properties.setProperty(ClusterConfig.PORT, Integer.toString(port));
    VertxOptions options = new VertxOptions().setEventLoopPoolSize(LOOPS);
    options.getEventBusOptions().setHost("127.0.0.1");
    return Vertx.builder().with(options).withClusterManager(ClusterConfig.clusterManager(System.getenv(), properties))
      .buildClustered();
  }

  private static void awaitReady(Process server) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    for (String line; (line = in.readLine()) != null; ) {
      if (line.contains("READY")) {
        Thread drain = new Thread(() -> {
          try {
            while (in.readLine() != null) {
              // keep the pipe empty
            }
          } catch (Exception ignored) {
            // the process ended
          }
        });
        drain.setDaemon(true);
        drain.start();
        return;
      }
      if (System.nanoTime() > deadline) {
        break;
      }
    }
    throw new IllegalStateException("the services' JVM did not start");
  }

  private static int freePort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
