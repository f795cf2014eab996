package dev.vertxdomains.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real network partitions between processes of one machine, made with Linux network namespaces (Linux, root).
 * <p>
 * {@link #create(int)} makes a bridge {@code vdpbrN} in the root namespace with the address {@code 10.213.N.254/24}
 * and one namespace {@code vdp-N-i} per node, each joined to the bridge by a veth pair ({@code vdpN-i} on the
 * bridge, {@code vdpN-ip} inside) with the address {@code 10.213.N.(i+1)/24}; {@code N} is chosen per run so that
 * runs do not collide. A process started with {@link #exec(int)} in front of its command line lives in namespace
 * {@code i} and has its own network stack (its own ports, its own loopback, its own iptables tables).
 * <p>
 * The root namespace, where the test JVM runs, is the <em>observer</em>: it reaches every namespace through the bridge
 * and is never cut. {@link #cut(int, int)} drops, inside each of the two namespaces, every packet coming from the
 * other one (iptables {@code DROP} on {@code INPUT}, both ends): the processes keep running and their packets vanish,
 * with no reset and no refusal, as in a real network split. {@link #heal()} removes the rules.
 * <p>
 * Everything it makes carries the prefix {@code vdp}: {@link #close()} removes it (also from a JVM shutdown hook),
 * and {@link #cleanLeftovers()} removes what a crashed earlier run left, unless the run that made it still runs.
 * <p>
 * Bridge netfilter: when {@code br_netfilter} is loaded (here it is) bridged packets between two namespaces pass
 * through the root namespace's iptables {@code FORWARD} chain. When that chain has a {@code DROP} policy or rules of
 * its own (Docker installs both), an {@code ACCEPT} rule for the bridge is put first in it for the run and removed
 * by {@link #close()}. Connectivity between every pair is checked after {@link #create(int)} either way.
 */
public final class Netns implements AutoCloseable {

  /** The environment variable that turns a missing capability into a failure instead of a skip ({@code 1}). */
  public static final String REQUIRE = "VERTX_DOMAINS_REQUIRE_NETNS";

  private static final String PREFIX = "vdp";
  private static final Pattern NAMESPACE = Pattern.compile("vdp-(\\d+)-\\d+");
  private static final Pattern LINK = Pattern.compile("vdp(?:br)?(\\d+)(?:-\\d+p?)?");
  /** Who made the resources of each subnet: one file per {@code N} holding the owner's pid. */
  private static final Path OWNERS = Path.of("/run/vdp-netns");
  /** A port nobody listens on: a refusal proves the path works, a timeout that packets are dropped. */
  private static final int PROBE_PORT = 9;
  private static final long PROBE_MILLIS = 700;

  private static volatile String unavailable;
  private static volatile boolean checked;

  private final int subnet;
  private final int nodes;
  /** The rules added by cuts, each {namespace index, source index}. */
  private final Set<List<Integer>> rules = new LinkedHashSet<>();
  /** Commands that undo the root-namespace FORWARD rules added for bridge netfilter. */
  private final List<List<String>> forwardUndo = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread hook;

  private Netns(int subnet, int nodes) {
    this.subnet = subnet;
    this.nodes = nodes;
    this.hook = new Thread(this::close, "netns-cleanup-" + subnet);
  }

  /**
   * Whether namespaces can be made here.
   *
   * @return {@code null} when they can, else a one-line reason (not Linux, not root, a missing command, or
   *     {@code ip netns add} failing)
   */
  public static String unavailable() {
    if (!checked) {
      synchronized (Netns.class) {
        if (!checked) {
          unavailable = check();
          checked = true;
        }
      }
    }
    return unavailable;
  }

  private static String check() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return "not Linux: " + System.getProperty("os.name");
    }
    try {
      String uid = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
        .map(l -> l.split("\\s+")[2]).findFirst().orElse("?");
      if (!uid.equals("0")) {
        return "not root (effective uid " + uid + ")";
      }
    } catch (IOException e) {
      return "cannot read /proc/self/status: " + e.getMessage();
    }
    for (String tool : List.of("ip", "iptables", "bash", "timeout")) {
      if (which(tool) == null) {
        return "no '" + tool + "' command on the PATH or in /usr/sbin, /sbin";
      }
    }
    String probe = PREFIX + "-probe-" + ProcessHandle.current().pid();
    try {
      Result add = run(List.of(tool("ip"), "netns", "add", probe), 10);
      if (add.code() != 0) {
        return "'ip netns add' fails: " + add.firstLine();
      }
      try {
        Result rules = run(List.of(tool("ip"), "netns", "exec", probe, tool("iptables"), "-w", "-S", "INPUT"), 10);
        if (rules.code() != 0) {
          return "iptables does not work inside a namespace: " + rules.firstLine();
        }
        String bridge = PREFIX + "t" + ProcessHandle.current().pid();
        Result link = run(List.of(tool("ip"), "link", "add", bridge, "type", "bridge"), 10);
        if (link.code() != 0) {
          return "cannot make a bridge: " + link.firstLine();
        }
        run(List.of(tool("ip"), "link", "del", bridge), 10);
      } finally {
        run(List.of(tool("ip"), "netns", "del", probe), 10);
      }
    } catch (IOException e) {
      return "cannot run ip: " + e.getMessage();
    }
    return null;
  }

  /**
   * Skips the calling test when namespaces cannot be made here, with the reason; fails it instead when the
   * environment variable {@value #REQUIRE} is {@code 1} (CI sets it, so that a lost capability is not a silent skip).
   */
  public static void assumeAvailable() {
    String why = unavailable();
    if (why == null) {
      return;
    }
    if ("1".equals(System.getenv(REQUIRE))) {
      Assertions.fail("network namespaces are required (" + REQUIRE + "=1) but cannot be made: " + why);
    }
    Assumptions.assumeTrue(false, "network namespaces cannot be made here: " + why);
  }

  /**
   * Makes the bridge and {@code nodes} namespaces (after {@link #cleanLeftovers()}), and checks that the observer
   * reaches every namespace and every namespace every other.
   *
   * @param nodes how many namespaces, 1 to 250
   * @return the namespaces; close them
   * @throws IllegalStateException when namespaces cannot be made here or a step fails (what was made is removed)
   */
  public static Netns create(int nodes) throws IOException, InterruptedException {
    if (nodes < 1 || nodes > 250) {
      throw new IllegalArgumentException("nodes: 1 to 250, got " + nodes);
    }
    String why = unavailable();
    if (why != null) {
      throw new IllegalStateException("network namespaces cannot be made here: " + why);
    }
    cleanLeftovers();
    Netns netns = new Netns(claimSubnet(), nodes);
    Runtime.getRuntime().addShutdownHook(netns.hook);
    try {
      netns.setUp();
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      netns.close();
      throw e;
    }
    return netns;
  }

  /** Picks a subnet {@code 10.213.N.0/24} that no interface here uses, and records this JVM as its owner. */
  private static int claimSubnet() throws IOException {
    Files.createDirectories(OWNERS);
    String addresses = run(List.of(tool("ip"), "-o", "addr"), 10).output()
      + run(List.of(tool("ip"), "-o", "route"), 10).output() + run(List.of(tool("ip"), "-o", "link"), 10).output();
    for (int attempt = 0; attempt < 1000; attempt++) {
      int n = ThreadLocalRandom.current().nextInt(1, 251);
      if (addresses.contains("10.213." + n + ".") || addresses.contains("vdpbr" + n + ":")
        || addresses.contains("vdp" + n + "-")) {
        continue;
      }
      try {
        Files.writeString(OWNERS.resolve(Integer.toString(n)), Long.toString(ProcessHandle.current().pid()),
          java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
        return n;
      } catch (FileAlreadyExistsException taken) {
        // another run's: try another
      }
    }
    throw new IllegalStateException("no free subnet 10.213.N.0/24");
  }

  private void setUp() throws IOException, InterruptedException {
    String bridge = bridge();
    must(List.of(tool("ip"), "link", "add", bridge, "type", "bridge"));
    must(List.of(tool("ip"), "addr", "add", observer() + "/24", "dev", bridge));
    must(List.of(tool("ip"), "link", "set", bridge, "up"));
    for (int i = 0; i < nodes; i++) {
      must(List.of(tool("ip"), "netns", "add", name(i)));
      must(List.of(tool("ip"), "link", "add", veth(i), "type", "veth", "peer", "name", veth(i) + "p", "netns",
        name(i)));
      must(List.of(tool("ip"), "link", "set", veth(i), "master", bridge, "up"));
      must(List.of(tool("ip"), "-n", name(i), "addr", "add", address(i) + "/24", "dev", veth(i) + "p"));
      must(List.of(tool("ip"), "-n", name(i), "link", "set", veth(i) + "p", "up"));
      must(List.of(tool("ip"), "-n", name(i), "link", "set", "lo", "up"));
    }
    allowBridgedForwarding();
    // The links come up asynchronously: the first probes may find no path yet.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String broken;
    while ((broken = unreachablePair()) != null) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the namespaces do not reach each other: " + broken
          + forwardHint());
      }
      Thread.sleep(100); // a link coming up has no event to wait on here
    }
  }

  /** With bridge netfilter, bridged packets go through the root FORWARD chain: let the bridge's through. */
  private void allowBridgedForwarding() throws IOException {
    Path sysctl = Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables");
    if (!Files.isReadable(sysctl) || !Files.readString(sysctl).trim().equals("1")) {
      return; // no br_netfilter: bridged traffic never meets iptables
    }
    List<String> tools = new ArrayList<>(List.of(tool("iptables")));
    // Legacy tables are also traversed when they exist (Docker on an older distribution): look only if they do,
    // listing them would load the module.
    Path legacyNames = Path.of("/proc/net/ip_tables_names");
    if (which("iptables-legacy") != null && Files.isReadable(legacyNames)
      && Files.readString(legacyNames).contains("filter")) {
      tools.add(tool("iptables-legacy"));
    }
    for (String iptables : tools) {
      Result chain = run(List.of(iptables, "-w", "-S", "FORWARD"), 10);
      if (chain.code() != 0) {
        continue;
      }
      boolean filters = chain.output().lines().anyMatch(l -> l.startsWith("-P FORWARD DROP")
        || l.startsWith("-A FORWARD"));
      if (filters) {
        List<String> rule = List.of("FORWARD", "-i", bridge(), "-o", bridge(), "-m", "comment", "--comment",
          "vdp-netns-" + subnet, "-j", "ACCEPT");
        List<String> insert = new ArrayList<>(List.of(iptables, "-w", "-I"));
        insert.addAll(rule);
        must(insert);
        List<String> delete = new ArrayList<>(List.of(iptables, "-w", "-D"));
        delete.addAll(rule);
        forwardUndo.add(delete);
      }
    }
  }

  private String forwardHint() {
    return forwardUndo.isEmpty() ? "" : " (an ACCEPT rule for the bridge was added to the root FORWARD chain; "
      + "another firewall, nftables or ebtables, may still drop bridged packets)";
  }

  /** The first pair (observer included) that does not reach each other, or {@code null}. */
  private String unreachablePair() throws IOException, InterruptedException {
    for (int i = 0; i < nodes; i++) {
      if (!observerReaches(address(i))) {
        return "observer -> " + address(i);
      }
    }
    List<Probe> probes = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      probes.add(probe(i, observer()));
      for (int j = 0; j < nodes; j++) {
        if (i != j) {
          probes.add(probe(i, address(j)));
        }
      }
    }
    String broken = null;
    for (Probe probe : probes) {
      if (!probe.reached() && broken == null) {
        broken = probe.describe();
      }
    }
    return broken;
  }

  /** The bridge's name in the root namespace. */
  private String bridge() {
    return "vdpbr" + subnet;
  }

  /** The root-side end of namespace {@code i}'s veth pair (the other end is this name plus {@code p}). */
  private String veth(int i) {
    return "vdp" + subnet + "-" + i;
  }

  /**
   * The address of namespace {@code i}.
   *
   * @param i the namespace, 0 to {@code nodes - 1}
   * @return {@code 10.213.N.(i+1)}
   */
  public String address(int i) {
    check(i);
    return "10.213." + subnet + "." + (i + 1);
  }

  /**
   * The observer's address (the test JVM's, on the bridge).
   *
   * @return {@code 10.213.N.254}
   */
  public String observer() {
    return "10.213." + subnet + ".254";
  }

  /**
   * The name of namespace {@code i}.
   *
   * @param i the namespace
   * @return {@code vdp-N-i}
   */
  public String name(int i) {
    check(i);
    return PREFIX + "-" + subnet + "-" + i;
  }

  /**
   * How many namespaces there are.
   *
   * @return the count given to {@link #create(int)}
   */
  public int size() {
    return nodes;
  }

  /**
   * The prefix that runs a command line inside namespace {@code i}. {@code ip netns exec} execs the command, so the
   * process started is the command's own (its pid, {@code destroy()} and signals reach it).
   *
   * @param i the namespace
   * @return {@code ["ip", "netns", "exec", name(i)]}
   */
  public List<String> exec(int i) {
    return List.of(tool("ip"), "netns", "exec", name(i));
  }

  /**
   * A command line to run inside namespace {@code i}.
   *
   * @param i       the namespace
   * @param command the command line
   * @return {@link #exec(int)} followed by {@code command}
   */
  public List<String> exec(int i, List<String> command) {
    List<String> line = new ArrayList<>(exec(i));
    line.addAll(command);
    return line;
  }

  private void check(int i) {
    if (i < 0 || i >= nodes) {
      throw new IndexOutOfBoundsException("namespace " + i + " of " + nodes);
    }
  }

  /**
   * Cuts {@code a} and {@code b} apart, both ways (see {@link #isolate(int, int...)}).
   *
   * @param a one namespace
   * @param b another
   * @return {@link System#nanoTime()} when the rules were in place (before the check)
   */
  public long cut(int a, int b) throws IOException, InterruptedException {
    return isolate(a, b);
  }

  /**
   * Cuts {@code a} from each of {@code others}: inside {@code a}, DROP on INPUT of every packet from the other's
   * address, and inside the other, of every packet from {@code a}'s. Then checks each rule ({@code iptables -C}) and
   * that a TCP connection attempt each way now times out (it was refused, quickly, before). The observer stays
   * connected to all.
   *
   * @param a      the namespace to cut off
   * @param others the namespaces it no longer reaches
   * @return {@link System#nanoTime()} when every rule was in place, before the checks: the moment of the cut
   * @throws IllegalStateException when a rule cannot be added or a probe still gets through
   */
  public synchronized long isolate(int a, int... others) throws IOException, InterruptedException {
    check(a);
    for (int b : others) {
      check(b);
      if (b == a) {
        throw new IllegalArgumentException("cannot cut namespace " + a + " from itself");
      }
    }
    for (int b : others) {
      addRule(a, b);
      addRule(b, a);
    }
    long cutAt = System.nanoTime();
    List<Probe> probes = new ArrayList<>();
    for (int b : others) {
      for (List<Integer> rule : List.of(List.of(a, b), List.of(b, a))) {
        Result present = run(iptables(rule.get(0), "-C", rule.get(1)), 10);
        if (present.code() != 0) {
          throw new IllegalStateException("rule missing in " + name(rule.get(0)) + ": " + present.firstLine());
        }
      }
      probes.add(probe(a, address(b)));
      probes.add(probe(b, address(a)));
    }
    for (Probe probe : probes) {
      if (probe.reached()) {
        throw new IllegalStateException("still connected after the cut: " + probe.describe());
      }
    }
    return cutAt;
  }

  private void addRule(int in, int from) throws IOException {
    if (rules.add(List.of(in, from))) {
      must(iptables(in, "-I", from));
    }
  }

  /** {@code iptables -w OP INPUT -s address(from)/32 -j DROP} inside namespace {@code in}. */
  private List<String> iptables(int in, String op, int from) {
    return exec(in, List.of(tool("iptables"), "-w", op, "INPUT", "-s", address(from) + "/32", "-j", "DROP"));
  }

  /**
   * Removes every rule the cuts added, checks that none is left ({@code iptables -C}), and checks that every
   * namespace reaches every other again (a TCP connection attempt is answered: refused at once).
   *
   * @return {@link System#nanoTime()} when the last rule was removed, before the checks
   * @throws IllegalStateException when a rule cannot be removed or a pair does not reach each other
   */
  public synchronized long heal() throws IOException, InterruptedException {
    List<List<Integer>> removing = new ArrayList<>(rules);
    for (List<Integer> rule : removing) {
      must(iptables(rule.get(0), "-D", rule.get(1)));
      rules.remove(rule);
    }
    long healedAt = System.nanoTime();
    for (List<Integer> rule : removing) {
      if (run(iptables(rule.get(0), "-C", rule.get(1)), 10).code() == 0) {
        throw new IllegalStateException("a DROP rule is still in " + name(rule.get(0)));
      }
    }
    String broken = unreachablePair();
    if (broken != null) {
      throw new IllegalStateException("not connected after the heal: " + broken);
    }
    return healedAt;
  }

  /**
   * Removes the rules, the namespaces (killing any process still inside one), the veths and the bridge, and the
   * FORWARD rules added for bridge netfilter. Idempotent; also runs from a JVM shutdown hook.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (Thread.currentThread() != hook) {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook runs, or has run, anyway
      }
    }
    List<String> problems = new ArrayList<>();
    try {
      for (List<String> undo : forwardUndo) {
        Result result = run(undo, 10);
        if (result.code() != 0) {
          problems.add(String.join(" ", undo) + ": " + result.firstLine());
        }
      }
      Set<String> namespaces = new TreeSet<>();
      for (int i = 0; i < nodes; i++) {
        namespaces.add(name(i));
      }
      removeAll(subnet, namespaces, linksOf(subnet), problems);
      if (!problems.isEmpty()) {
        System.err.println("Netns " + subnet + ": cleanup problems: " + problems);
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("Netns " + subnet + ": cleanup failed: " + e);
    }
  }

  /**
   * Removes what earlier runs left behind: namespaces {@code vdp-*} (and the processes still in them), links
   * {@code vdp*}, the root FORWARD rules commented {@code vdp-netns-N}, each unless the JVM that made it still runs.
   */
  public static void cleanLeftovers() throws IOException {
    if (unavailable() != null) {
      return;
    }
    Set<Integer> subnets = new TreeSet<>();
    Set<String> namespaces = new TreeSet<>();
    for (String line : run(List.of(tool("ip"), "netns", "list"), 10).output().lines().toList()) {
      String name = line.split("\\s+")[0];
      Matcher m = NAMESPACE.matcher(name);
      if (m.matches()) {
        subnets.add(Integer.parseInt(m.group(1)));
        namespaces.add(name);
      } else if (name.startsWith(PREFIX + "-probe-") && !ownerRuns(name.substring((PREFIX + "-probe-").length()))) {
        run(List.of(tool("ip"), "netns", "del", name), 10);
      }
    }
    for (String link : links()) {
      Matcher m = LINK.matcher(link);
      if (m.matches()) {
        subnets.add(Integer.parseInt(m.group(1)));
      } else if (link.matches(PREFIX + "t\\d+") && !ownerRuns(link.substring(PREFIX.length() + 1))) {
        run(List.of(tool("ip"), "link", "del", link), 10);
      }
    }
    if (Files.isDirectory(OWNERS)) {
      try (var files = Files.list(OWNERS)) {
        files.map(f -> f.getFileName().toString()).filter(f -> f.matches("\\d+"))
          .forEach(f -> subnets.add(Integer.parseInt(f)));
      }
    }
    for (int n : subnets) {
      if (ownerRuns(n)) {
        continue;
      }
      Set<String> mine = new TreeSet<>();
      for (String name : namespaces) {
        Matcher m = NAMESPACE.matcher(name);
        if (m.matches() && Integer.parseInt(m.group(1)) == n) {
          mine.add(name);
        }
      }
      List<String> problems = new ArrayList<>();
      for (String iptables : List.of("iptables", "iptables-legacy")) {
        if (which(iptables) != null && (iptables.equals("iptables")
          || Files.isReadable(Path.of("/proc/net/ip_tables_names")))) {
          for (String rule : run(List.of(tool(iptables), "-w", "-S", "FORWARD"), 10).output().lines().toList()) {
            if (rule.startsWith("-A FORWARD") && rule.contains("vdp-netns-" + n + " ")
              || rule.startsWith("-A FORWARD") && rule.endsWith("vdp-netns-" + n)) {
              List<String> delete = new ArrayList<>(List.of(tool(iptables), "-w", "-D"));
              delete.addAll(List.of(rule.substring("-A ".length()).split(" ")));
              run(delete, 10);
            }
          }
        }
      }
      removeAll(n, mine, linksOf(n), problems);
      System.err.println("Netns: removed the leftovers of subnet 10.213." + n + ".0/24: " + mine
        + (problems.isEmpty() ? "" : ", problems: " + problems));
    }
  }

  /** Whether the JVM that owns subnet {@code n} still runs (this JVM counts: its own instances close themselves). */
  private static boolean ownerRuns(int n) {
    try {
      return ownerRuns(Files.readString(OWNERS.resolve(Integer.toString(n))).trim());
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether the process {@code pid} runs. */
  private static boolean ownerRuns(String pid) {
    try {
      return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Every link name in the root namespace. */
  private static List<String> links() throws IOException {
    List<String> names = new ArrayList<>();
    for (String line : run(List.of(tool("ip"), "-o", "link", "show"), 10).output().lines().toList()) {
      String[] fields = line.split(":\\s+", 3);
      if (fields.length >= 2) {
        names.add(fields[1].split("@")[0].trim());
      }
    }
    return names;
  }

  /** The root-namespace links of subnet {@code n}: veths first, the bridge last. */
  private static List<String> linksOf(int n) throws IOException {
    List<String> mine = new ArrayList<>();
    for (String link : links()) {
      Matcher m = LINK.matcher(link);
      if (m.matches() && Integer.parseInt(m.group(1)) == n && !link.startsWith("vdpbr")) {
        mine.add(link);
      }
    }
    if (links().contains("vdpbr" + n)) {
      mine.add("vdpbr" + n);
    }
    return mine;
  }

  /** Kills what runs in the namespaces, deletes the links (a veth takes its peer along), the namespaces, the owner. */
  private static void removeAll(int n, Set<String> namespaces, List<String> links, List<String> problems)
    throws IOException {
    for (String namespace : namespaces) {
      Result pids = run(List.of(tool("ip"), "netns", "pids", namespace), 10);
      for (String pid : pids.output().lines().map(String::trim).filter(p -> p.matches("\\d+")).toList()) {
        ProcessHandle.of(Long.parseLong(pid)).ifPresent(p -> {
          problems.add("process " + pid + " still ran in " + namespace + ": killed");
          p.destroyForcibly();
        });
      }
    }
    for (String link : links) {
      Result result = run(List.of(tool("ip"), "link", "del", link), 10);
      if (result.code() != 0 && !result.output().contains("Cannot find device")) {
        problems.add("ip link del " + link + ": " + result.firstLine());
      }
    }
    for (String namespace : namespaces) {
      Result result = run(List.of(tool("ip"), "netns", "del", namespace), 10);
      if (result.code() != 0 && !result.output().contains("No such file")) {
        problems.add("ip netns del " + namespace + ": " + result.firstLine());
      }
    }
    try {
      Files.deleteIfExists(OWNERS.resolve(Integer.toString(n)));
    } catch (IOException e) {
      problems.add("owner file: " + e.getMessage());
    }
  }

  /** Whether the observer's TCP connection attempt to {@code address} is answered (accepted or refused). */
  private static boolean observerReaches(String address) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address, PROBE_PORT), (int) PROBE_MILLIS);
      return true;
    } catch (ConnectException refused) {
      return refused.getMessage() != null && refused.getMessage().contains("refused");
    } catch (SocketTimeoutException dropped) {
      return false;
    } catch (java.net.NoRouteToHostException | java.net.PortUnreachableException unreachable) {
      return false; // a link still coming up: the caller retries
    }
  }

  /** A TCP connection attempt from inside namespace {@code from}, running. */
  private Probe probe(int from, String address) throws IOException {
    String seconds = String.format(Locale.ROOT, "%.1f", PROBE_MILLIS / 1000.0);
    List<String> command = exec(from, List.of(tool("timeout"), seconds, tool("bash"), "-c",
      "exec 3<>/dev/tcp/" + address + "/" + PROBE_PORT));
    File out = File.createTempFile("vdp-probe", ".txt");
    out.deleteOnExit();
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out).start();
    return new Probe(name(from), address, process, out.toPath());
  }

  /** A running connection attempt. */
  private record Probe(String from, String address, Process process, Path out) {

    /** Whether the attempt was answered: connected (0) or refused; a timeout (124) means dropped. */
    boolean reached() throws InterruptedException, IOException {
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          throw new IllegalStateException("probe " + describe() + " did not end");
        }
        String output = Files.readString(out);
        return process.exitValue() == 0 || process.exitValue() != 124 && output.contains("refused");
      } finally {
        Files.deleteIfExists(out);
      }
    }

    String describe() {
      return from + " -> " + address + ":" + PROBE_PORT;
    }
  }

  private static void must(List<String> command) throws IOException {
    Result result = run(command, 30);
    if (result.code() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed (" + result.code() + "): "
        + result.output().trim());
    }
  }

  /** A finished command. */
  private record Result(int code, String output) {
    String firstLine() {
      return output.lines().findFirst().orElse("exit code " + code);
    }
  }

  /** Runs a command to its end (at most {@code seconds}); output and errors together. */
  private static Result run(List<String> command, int seconds) throws IOException {
    File out = File.createTempFile("vdp-cmd", ".txt");
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out).start();
      boolean ended;
      try {
        ended = process.waitFor(seconds, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ended = false;
      }
      if (!ended) {
        process.destroyForcibly();
        return new Result(-1, String.join(" ", command) + ": did not end within " + seconds + " s");
      }
      return new Result(process.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out.toPath());
    }
  }

  /** The absolute path of a command, from the PATH or the sbin directories (often missing from a PATH). */
  private static String which(String command) {
    List<String> dirs = new ArrayList<>();
    Collections.addAll(dirs, System.getenv().getOrDefault("PATH", "").split(File.pathSeparator));
    dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
    for (String dir : dirs) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, command);
        if (Files.isExecutable(candidate)) {
          return candidate.toString();
        }
      }
    }
    return null;
  }

  private static String tool(String command) {
    String path = which(command);
    return path != null ? path : command;
  }

  @Override
  public String toString() {
    return "Netns[10.213." + subnet + ".0/24, " + nodes + " namespaces]";
  }
}
