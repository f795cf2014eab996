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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What a domain per event-bus message costs: request/reply throughput and p99 of five services side by side, each one
 * instance on its own event loop, driven by the same lanes (each keeps one request outstanding), alternated round by
 * round, all lanes on one client event loop and every service on an event loop of its own (16 loops, so that no service
 * shares the client's thread and every call crosses threads the same way): a bare consumer, an {@link EventBusDomains}
 * consumer, the same supervised, a service proxy registered with
 * vertx-service-proxy's {@code ServiceBinder}, and the {@link Accounts} example supervised. Then the faults figure: the
 * supervised consumer with 1 request in 100 failing against none. Both comparisons also run at a fixed rate, as CPU
 * time of both JVMs per call (the faults with a third run answering the same calls from the failing one's timer).
 * Locally (one Vert.x), or clustered: the services in a second JVM on 127.0.0.1, this one the client.
 * Args: {@code local|clustered}, seconds per run, rounds, lanes, and optionally {@code faults} for the faults figure
 * alone.
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
      ProcessHandle services = server != null ? server.toHandle() : null;
      run(vertx, seconds, rounds, lanes, clustered ? "clustered" : "local", faultsOnly, () -> cpuNanos(services));
    } finally {
      vertx.close().await(60, TimeUnit.SECONDS);
      if (server != null) {
        server.destroy();
        server.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private static void run(Vertx vertx, int seconds, int rounds, int lanes, String where, boolean faultsOnly,
                          LongSupplier cpu) throws Exception {
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
    if (!faultsOnly) {
      for (Supplier<Future<?>> call : calls.values()) {
        load(client, call, null, Math.max(1, seconds / 2), lanes);
      }
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
    // The services again at a fixed rate (half the slower one's closed-loop rate: the consumers at one rate, the
    // proxies at another), as CPU per call of both JVMs: what a domain per message costs, without the drift of the
    // closed-loop rates between runs (their ratios swing by more than the 5 % measured).
    Map<String, double[]> cpuPerCall = new LinkedHashMap<>();
    if (!faultsOnly) {
      double consumerRate = Math.min(median(rps.get("bare")), Math.min(median(rps.get("domain")),
        median(rps.get("supervised")))) / 2;
      double proxyRate = Math.min(median(rps.get("proxy")), median(rps.get("supervised-proxy"))) / 2;
      for (String service : SERVICES) {
        paced(client, calls.get(service), null, service.contains("proxy") ? proxyRate : consumerRate, 1);
      }
      for (int round = 1; round <= rounds; round++) {
        StringBuilder line = new StringBuilder(String.format("eventbus %s fixed rate (consumers %.0f/s, proxies "
          + "%.0f/s) round %d: CPU per call", where, consumerRate, proxyRate, round));
        for (int i = 0; i < SERVICES.length; i++) {
          String service = SERVICES[(i + round - 1) % SERVICES.length];
          double perCall = cpuPerCall(cpu, client, calls.get(service), null, service.contains("proxy") ? proxyRate
            : consumerRate, Math.max(1, seconds / 2))[0];
          cpuPerCall.computeIfAbsent(service, k -> new double[rounds])[round - 1] = perCall;
          line.append(String.format(" %s %.2f us;", service, perCall / 1_000));
        }
        System.err.println(line);
      }
    }
    double[] clean = new double[rounds];
    double[] faults = new double[rounds];
    for (int round = 1; round <= rounds; round++) {
      clean[round - 1] = load(client, calls.get("supervised"), null, seconds, lanes)[0];
      faults[round - 1] = load(client, calls.get("supervised"), faulting(vertx), seconds, lanes)[0];
      System.err.printf("eventbus %s faults round %d: clean %.0f/s | 1 in 100 failing %.0f/s%n", where, round,
        clean[round - 1], faults[round - 1]);
    }
    // The same at a fixed rate, half the clean closed-loop one, so that the runs do the same work but the faults':
    // the CPU both JVMs spend per call. The closed-loop ratio above moves with the machine (the rate sets how much
    // each wake-up batches); this one does not. A third run answers the same 1 in 100 calls from the same 1 ms timer
    // instead of failing them: what that timer costs by itself (Netty's NIO loop polls through the last half
    // millisecond before a timer is due) is then told apart from what handling the error costs.
    double rate = median(clean) / 2;
    paced(client, calls.get("supervised"), null, rate, Math.max(1, seconds / 2));
    paced(client, calls.get("supervised"), slow(vertx), rate, Math.max(1, seconds / 2));
    paced(client, calls.get("supervised"), faulting(vertx), rate, Math.max(1, seconds / 2));
    double[] cpuRatio = new double[rounds];
    double[] timerRatio = new double[rounds];
    double[] extraCpu = new double[rounds];
    double[] timerCpu = new double[rounds];
    double[] p99Clean = new double[rounds];
    double[] p99Faults = new double[rounds];
    for (int round = 1; round <= rounds; round++) {
      double[] c = cpuPerCall(cpu, client, calls.get("supervised"), null, rate, seconds);
      double[] t = cpuPerCall(cpu, client, calls.get("supervised"), slow(vertx), rate, seconds);
      double[] f = cpuPerCall(cpu, client, calls.get("supervised"), faulting(vertx), rate, seconds);
      double cleanPerCall = c[0];
      double timerPerCall = t[0];
      double faultsPerCall = f[0];
      cpuRatio[round - 1] = cleanPerCall / faultsPerCall;
      timerRatio[round - 1] = timerPerCall / faultsPerCall;
      // Per special call (1 in 100): the difference per call times the calls per special one.
      extraCpu[round - 1] = (faultsPerCall - cleanPerCall) * f[1] / f[2] / 1_000;
      timerCpu[round - 1] = (timerPerCall - cleanPerCall) * t[1] / t[2] / 1_000;
      p99Clean[round - 1] = c[3];
      p99Faults[round - 1] = f[3];
      System.err.printf("eventbus %s fixed rate %.0f/s round %d: CPU per call clean %.2f us | 1 in 100 answered from "
        + "a 1 ms timer %.2f us | 1 in 100 failing from it %.2f us; beyond a clean call, a failing call %.0f us, a "
        + "timer-answered one %.0f us; p99 of the answered calls %.0f us | %.0f us%n", where, rate, round,
        cleanPerCall / 1_000, timerPerCall / 1_000, faultsPerCall / 1_000, extraCpu[round - 1], timerCpu[round - 1],
        c[3], f[3]);
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
      // At a fixed rate: the baseline's CPU per call over the service's (the capacity a CPU-bound server keeps).
      result.addAll(List.of("domain_cpu_ratio", medianRatio(cpuPerCall.get("bare"), cpuPerCall.get("domain")),
        "supervised_cpu_ratio", medianRatio(cpuPerCall.get("bare"), cpuPerCall.get("supervised")),
        "supervised_proxy_cpu_ratio", medianRatio(cpuPerCall.get("proxy"), cpuPerCall.get("supervised-proxy"))));
      for (String service : SERVICES) {
        result.add(service.replace('-', '_') + "_cpu_us");
        result.add(median(cpuPerCall.get(service)) / 1_000);
      }
    }
    result.add("clean_rps");
    result.add(Arrays.stream(clean).sum() / rounds);
    result.add("faults_rps");
    result.add(Arrays.stream(faults).sum() / rounds);
    result.add("faults_ratio");
    result.add(medianRatio(faults, clean));
    result.addAll(List.of("paced_rate", rate, "paced_cpu_ratio", median(cpuRatio),
      "paced_timer_ratio", median(timerRatio), "fault_cpu_us", median(extraCpu),
      "timer_cpu_us", median(timerCpu), "paced_p99_clean_us", median(p99Clean), "paced_p99_faults_us",
      median(p99Faults)));
    Results.print("eventbus-" + where, result.toArray());
  }

  /** The median over the rounds of {@code a[round] / b[round]}. */
  private static double medianRatio(double[] a, double[] b) {
    double[] ratios = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      ratios[i] = a[i] / b[i];
    }
    return median(ratios);
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** CPU time used so far by this JVM and by {@code services} (the services' JVM, or null), in nanoseconds. */
  private static long cpuNanos(ProcessHandle services) {
    long total = ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    if (services != null) {
      total += services.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    }
    return total;
  }

  /** A request the supervised consumer answers from a 1 ms timer, as the failing one fails from it. */
  private static Supplier<Future<?>> slow(Vertx vertx) {
    return supervised(vertx, "slow");
  }

  /** A failing request to the supervised consumer: its handler starts a timer that throws. */
  private static Supplier<Future<?>> faulting(Vertx vertx) {
    return supervised(vertx, "error");
  }

  private static Supplier<Future<?>> supervised(Vertx vertx, String body) {
    return () -> vertx.eventBus().request("bench.eb.supervised", body, new DeliveryOptions().setSendTimeout(10_000));
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
    return new double[] {count / (double) seconds, p99(histogram)};
  }

  /**
   * {@link #paced} with the CPU time both JVMs spent on it.
   *
   * @return CPU nanoseconds per call sent, then what {@link #paced} returns
   */
  private static double[] cpuPerCall(LongSupplier cpu, Context client, Supplier<Future<?>> call,
                                     Supplier<Future<?>> fault, double rate, int seconds) throws Exception {
    long before = cpu.getAsLong();
    double[] result = paced(client, call, fault, rate, seconds);
    double perCall = (cpu.getAsLong() - before) / result[0];
    return new double[] {perCall, result[0], result[1], result[2]};
  }

  /**
   * Sends calls at a fixed {@code rate} for {@code seconds}, whatever the answers do: a 1 ms periodic timer on the
   * client's context sends what the time elapsed allows. With a {@code fault}, every {@value #CLEAN_PER_FAULT}+1st
   * call is that one instead. Waits for every answer.
   *
   * @return calls sent, {@code fault} calls sent, and the p99 latency in microseconds of the answered ones
   */
  private static double[] paced(Context client, Supplier<Future<?>> call, Supplier<Future<?>> fault, double rate,
                                int seconds) throws Exception {
    long[] histogram = new long[HISTOGRAM_MICROS + 1];
    long[] sent = new long[1];
    long[] failing = new long[1];
    long[] pending = new long[1];
    boolean[] sending = {true};
    Promise<Void> finished = Promise.promise();
    client.runOnContext(v -> {
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      client.owner().setPeriodic(1, timer -> {
        long now = System.nanoTime();
        if (now >= end) {
          client.owner().cancelTimer(timer);
          sending[0] = false;
          if (pending[0] == 0) {
            finished.tryComplete();
          }
          return;
        }
        long due = (long) ((now - start) * rate / 1e9);
        while (sent[0] < due) {
          sent[0]++;
          boolean fails = fault != null && sent[0] % (CLEAN_PER_FAULT + 1) == 0;
          if (fails) {
            failing[0]++;
          }
          pending[0]++;
          long at = System.nanoTime();
          (fails ? fault : call).get().onComplete(ar -> {
            if (ar.succeeded()) {
              histogram[(int) Math.min(HISTOGRAM_MICROS, (System.nanoTime() - at) / 1_000)]++;
            }
            if (--pending[0] == 0 && !sending[0]) {
              finished.tryComplete();
            }
          });
        }
      });
    });
    finished.future().await(seconds + 60L, TimeUnit.SECONDS);
    return new double[] {sent[0], failing[0], p99(histogram)};
  }

  /** The 99th percentile of a histogram of 1 µs buckets, in microseconds. */
  private static int p99(long[] histogram) {
    long rank = (long) Math.ceil(Arrays.stream(histogram).sum() * 0.99);
    long seen = 0;
    for (int micros = 0; micros <= HISTOGRAM_MICROS; micros++) {
      seen += histogram[micros];
      if (seen >= rank) {
        return micros;
      }
    }
    return HISTOGRAM_MICROS;
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

  /**
   * An {@link EventBusDomains} consumer: {@code ok} answered, {@code error} fails from a 1 ms timer, {@code slow} is
   * answered from one.
   */
  public static final class WithDomains extends VerticleBase {
    @Override
    public Future<?> start() {
      String address = config().getString("address", "bench.eb.domain");
      return EventBusDomains.<String>consumer(vertx, address, message -> {
        if ("error".equals(message.body())) {
          vertx.setTimer(1, id -> {
            throw new IllegalStateException("bench fault");
          });
        } else if ("slow".equals(message.body())) {
          vertx.setTimer(1, id -> message.reply("ok"));
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
