package dev.vertxdomains.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The leases of the HA deployments that run on this node, and this node's votes on the others' (see {@link LeaseBook}
 * for the rules). Requests and votes go over the event bus, to each data member's {@value #ADDRESS_PREFIX}{@code
 * <node id>}; Hazelcast stays the membership. No lease is stored anywhere but in the grantors' memory: after a
 * partition, a promise runs out by itself.
 * <p>
 * A holder renews each lease every fifth of a term. When a renewal falls short of the quorum, the lease runs out a
 * term after the last good one was sent, and a watch thread stops the deployment's intake a renewal period before
 * that ({@link Holder#expired}), on its own clock, whatever this node's view of the cluster says. A later renewal
 * that a quorum grants opens it again ({@link Holder#renewed}); one that finds the lease promised to another node
 * once it has run out means the deployment runs there ({@link Holder#lost}).
 * <p>
 * A node taking a deployment over ({@link #acquire}) gets the lease only when a quorum has no live promise to anyone
 * else, so it starts only once the old holder's lease has certainly ended, on every clock. Where the old holder is
 * certainly dead, it need not wait: a grantor whose promise belongs to a node that has left the cluster connects to
 * that node's Hazelcast port, and a refused connection (nothing listens there: the process is gone, as after
 * {@code kill -9}) ends the promise at once. A cut network drops packets, so the probe times out and the promise
 * runs its term.
 */
final class ClusterLease {

  /** Each node's address for lease requests: this prefix and the node id. */
  static final String ADDRESS_PREFIX = "vertx-domains.lease.";

  private static final Logger LOG = LoggerFactory.getLogger(ClusterLease.class);
  private static final long WATCH_TICK_MILLIS = 20;
  private static final int PROBE_MILLIS = 250;
  /** How long a take-over waits for a lease before the deployment fails (below Vert.x HA's 120 s failover wait). */
  private static final long ACQUIRE_DEADLINE_MILLIS = 100_000;
  private static final LeaseBook.Vote UNANSWERED = new LeaseBook.Vote(false, null, null, 0);

  /** What the claims do when a lease changes. */
  interface Holder {
    /** The lease of {@code haId} ran out here: stop its intake (called on the watch thread). */
    void expired(String haId);

    /** A quorum granted the lease of {@code haId} again after it ran out: its intake may open. */
    void renewed(String haId);

    /** The lease of {@code haId} is another node's now: the copy here must go. */
    void lost(String haId, String node);
  }

  /** A lease held here. */
  private static final class Held {
    final String haId;
    final String token;
    /** The lease's end, on this node's clock; written by renewals, read by the watch. */
    volatile long validUntil;
    /** Whether the intake is open as far as the lease goes; changed under this object's lock. */
    boolean serving = true;
    /** A renewal round is in flight (event loop only). */
    boolean renewing;

    Held(String haId, String token, long validUntil) {
      this.haId = haId;
      this.token = token;
      this.validUntil = validUntil;
    }
  }

  /** The outcome of one round of requests. */
  private record Round(long sentAt, int granted, List<LeaseBook.Vote> votes) {
    String describe(int quorum) {
      StringBuilder why = new StringBuilder(granted + " of the " + quorum + " votes needed");
      for (LeaseBook.Vote vote : votes) {
        if (vote.holder() != null) {
          why.append("; promised to node ").append(vote.holder()).append(" for ")
            .append(TimeUnit.NANOSECONDS.toMillis(vote.remainingNanos())).append(" ms more");
          break;
        }
      }
      return why.toString();
    }
  }

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final String nodeId;
  private final int quorum;
  private final LeaseBook book;
  private final LeaseBook.Terms terms;
  private final Holder holder;
  private final Map<String, Held> held = new ConcurrentHashMap<>();
  /** Each node's Hazelcast address, kept after it leaves, for the death probe. */
  private final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();
  /** The number of data members the last majority warning was about (event loop only). */
  private int warnedMembers;
  /** When this node started voting: it grants nothing for a promise's length, what it may have granted before. */
  private final long startedAt = System.nanoTime();

  ClusterLease(Vertx vertx, HazelcastInstance hazelcast, String nodeId, int quorum, LeaseBook.Terms terms,
               Holder holder) {
    this.vertx = vertx;
    this.hazelcast = hazelcast;
    this.nodeId = nodeId;
    this.quorum = quorum;
    this.terms = terms;
    this.book = new LeaseBook(terms);
    this.holder = holder;
  }

  /** Starts answering requests, renewing, and watching the leases held here (until the node leaves the cluster). */
  ClusterLease start() {
    vertx.eventBus().consumer(ADDRESS_PREFIX + nodeId, this::handle);
    vertx.setPeriodic(Math.max(1, TimeUnit.NANOSECONDS.toMillis(terms.renewNanos())), id -> renewAll());
    LOG.info("HA deployments take work here only under a lease granted by {} of the cluster's data members (term {} ms, "
      + "renewed every {} ms){}", quorum, TimeUnit.NANOSECONDS.toMillis(terms.termNanos()),
      TimeUnit.NANOSECONDS.toMillis(terms.renewNanos()), quorum > 1 ? ""
        : "; with a quorum of 1 a node cut off from the others keeps its copies (set -quorum to a majority)");
    Thread watch = new Thread(this::watch, "vertx-domains-lease-watch");
    watch.setDaemon(true);
    watch.start();
    return this;
  }

  /** When this node started voting ({@link System#nanoTime()}). */
  long startedAt() {
    return startedAt;
  }

  /** Whether this node holds the lease of {@code haId} and may let it take work. */
  boolean serving(String haId) {
    Held lease = held.get(haId);
    if (lease == null) {
      return false;
    }
    synchronized (lease) {
      return lease.serving;
    }
  }

  /**
   * Gets the lease of {@code haId} for this node: asks every data member until a quorum grants it, releasing a
   * partial grant between attempts (so two nodes asking at once do not hold each other off), for at most
   * {@value #ACQUIRE_DEADLINE_MILLIS} ms.
   *
   * @param haId the deployment's identity
   * @return completes when held; fails naming who holds it
   */
  Future<Void> acquire(String haId) {
    Held current = held.get(haId);
    if (current != null) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    attempt(haId, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ACQUIRE_DEADLINE_MILLIS), true, done);
    return done.future();
  }

  /** One attempt, with a token of its own: a late vote for an earlier attempt's token counts for nothing. */
  private void attempt(String haId, long deadline, boolean first, Promise<Void> done) {
    String token = UUID.randomUUID().toString();
    round(haId, token).onComplete(ar -> {
      Round round = ar.result();
      if (round.granted() >= quorum) {
        held.put(haId, new Held(haId, token, round.sentAt() + terms.termNanos()));
        if (!first) {
          LOG.info("Got the lease of HA deployment {}", haId);
        }
        done.complete();
        return;
      }
      releaseEverywhere(haId, token);
      if (System.nanoTime() - deadline > 0) {
        done.fail(new IllegalStateException("HA deployment " + haId + ": no lease from a quorum within "
          + ACQUIRE_DEADLINE_MILLIS + " ms (" + round.describe(quorum) + "); not starting it here"));
        return;
      }
      if (first) {
        LOG.info("Waiting for the lease of HA deployment {} ({})", haId, round.describe(quorum));
      }
      vertx.setTimer(retryMillis(round), id -> attempt(haId, deadline, false, done));
    });
  }

  /**
   * When to ask again after a round without a quorum: just after the longest promise a grantor named runs out (a
   * little jitter, so that two nodes taking over at once do not keep colliding), else after one or two renewal
   * periods (nobody named a promise: grantors did not answer, or were starting).
   */
  private long retryMillis(Round round) {
    long renew = TimeUnit.NANOSECONDS.toMillis(terms.renewNanos());
    long promised = round.votes().stream().filter(vote -> vote.holder() != null)
      .mapToLong(LeaseBook.Vote::remainingNanos).max().orElse(-1);
    if (promised < 0) {
      return renew + ThreadLocalRandom.current().nextLong(renew + 1);
    }
    return Math.min(renew, TimeUnit.NANOSECONDS.toMillis(promised)) + 10
      + ThreadLocalRandom.current().nextLong(renew / 10 + 1);
  }

  /** Gives the lease of {@code haId} up (its deployment ended here). */
  void release(String haId) {
    Held lease = held.remove(haId);
    if (lease != null) {
      releaseEverywhere(haId, lease.token);
    }
  }

  private void releaseEverywhere(String haId, String token) {
    book.forget(haId, token);
    JsonObject release = new JsonObject().put("op", "release").put("haId", haId).put("token", token);
    for (String node : dataMembers()) {
      vertx.eventBus().send(ADDRESS_PREFIX + node, release);
    }
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Holding

  private void renewAll() {
    if (!hazelcast.getLifecycleService().isRunning()) {
      return; // the watch has stopped every intake
    }
    warnIfNoMajority();
    for (Held lease : held.values()) {
      if (lease.renewing) {
        continue;
      }
      lease.renewing = true;
      round(lease.haId, lease.token).onComplete(ar -> {
        lease.renewing = false;
        renewed(lease, ar.result());
      });
    }
  }

  private void renewed(Held lease, Round round) {
    if (held.get(lease.haId) != lease) {
      return; // released meanwhile
    }
    long now = System.nanoTime();
    lease.validUntil = LeaseBook.renewed(lease.validUntil, round.sentAt(), round.granted(), quorum, terms);
    for (LeaseBook.Vote vote : round.votes()) {
      if (LeaseBook.lost(lease.validUntil, now, vote, nodeId)) {
        held.remove(lease.haId, lease);
        holder.lost(lease.haId, vote.holder());
        return;
      }
    }
    boolean reopened;
    synchronized (lease) {
      reopened = !lease.serving && LeaseBook.mayServe(lease.validUntil, now, terms);
      lease.serving |= reopened;
    }
    if (reopened) {
      LOG.info("HA deployment {}: a quorum renewed this node's lease; it takes work again", lease.haId);
      holder.renewed(lease.haId);
    }
  }

  /**
   * One WARN line when a quorum above 1 is not a majority of the data members this node sees: two sides of a partition could
   * then both hold a lease. Once per change of the member count.
   */
  private void warnIfNoMajority() {
    if (held.isEmpty()) {
      return;
    }
    int members = dataMembers().size() + 1;
    if (quorum > 1 && members > 2 * quorum - 1 && members != warnedMembers) {
      warnedMembers = members;
      LOG.warn("The lease quorum {} (-quorum) is not a majority of the {} data members: two sides of a partition "
        + "could each run a copy of an HA deployment; set -quorum to {} or more", quorum, members, members / 2 + 1);
    }
  }

  /**
   * The watch thread: stops a lease's intake, on this node's clock, before the lease runs out, and keeps it stopped
   * while it is out (so that a resume queued just before cannot reopen it). When this node leaves the cluster (its
   * Hazelcast instance stops while the process lives on), every lease is out for good.
   */
  private void watch() {
    while (true) {
      try {
        Thread.sleep(WATCH_TICK_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      boolean member = hazelcast.getLifecycleService().isRunning();
      long now = System.nanoTime();
      for (Held lease : held.values()) {
        boolean expired;
        boolean out;
        synchronized (lease) {
          expired = lease.serving && (!member || !LeaseBook.mayServe(lease.validUntil, now, terms));
          lease.serving &= !expired;
          out = !lease.serving;
        }
        if (expired) {
          LOG.warn("HA deployment {}: {}; it takes no new work until a quorum renews its lease", lease.haId,
            member ? "no quorum of " + quorum + " renewed this node's lease in time" : "this node left the cluster");
        }
        if (out) {
          holder.expired(lease.haId);
        }
      }
      if (!member) {
        return;
      }
      book.expire(now);
    }
  }

  // ----------------------------------------------------------------------------------------------------------------
  // Voting

  /**
   * One round: this node's own vote (none on a lite member) and every other data member's, each within a renewal
   * period. It ends as soon as a quorum has granted, else when every vote is in.
   */
  private Future<Round> round(String haId, String token) {
    long sentAt = System.nanoTime();
    List<Future<LeaseBook.Vote>> votes = new ArrayList<>();
    if (!hazelcast.getCluster().getLocalMember().isLiteMember()) {
      votes.add(vote(haId, nodeId, token));
    }
    JsonObject request = new JsonObject().put("op", "vote").put("haId", haId).put("token", token).put("node", nodeId);
    DeliveryOptions timeout = new DeliveryOptions()
      .setSendTimeout(Math.max(1, TimeUnit.NANOSECONDS.toMillis(terms.renewNanos())));
    for (String node : dataMembers()) {
      votes.add(vertx.eventBus().<JsonObject>request(ADDRESS_PREFIX + node, request, timeout)
        .map(reply -> fromJson(reply.body()))
        .otherwise(UNANSWERED));
    }
    Promise<Round> result = Promise.promise();
    List<LeaseBook.Vote> all = new ArrayList<>();
    int[] granted = {0};
    for (Future<LeaseBook.Vote> vote : votes) {
      vote.onComplete(ar -> {
        synchronized (all) {
          LeaseBook.Vote cast = ar.succeeded() ? ar.result() : UNANSWERED;
          all.add(cast);
          granted[0] += cast.granted() ? 1 : 0;
          if (granted[0] >= quorum || all.size() == votes.size()) {
            result.tryComplete(new Round(sentAt, granted[0], List.copyOf(all)));
          }
        }
      });
    }
    if (votes.isEmpty()) {
      result.tryComplete(new Round(sentAt, 0, List.of()));
    }
    return result.future();
  }

  private void handle(Message<JsonObject> message) {
    JsonObject body = message.body();
    String haId = body.getString("haId");
    String token = body.getString("token");
    if (haId == null || token == null) {
      message.fail(400, "haId and token are required");
      return;
    }
    String op = body.getString("op");
    if ("release".equals(op)) {
      book.forget(haId, token);
      return;
    }
    if (!"vote".equals(op)) {
      message.fail(400, "op: must be vote or release, got " + op);
      return;
    }
    String node = body.getString("node");
    if (node == null) {
      message.fail(400, "node is required");
      return;
    }
    vote(haId, node, token).onComplete(ar -> message.reply(toJson(ar.result())));
  }

  /**
   * This node's vote on a request; where the lease is promised to a node that has left the cluster, that node is
   * probed first, and a refused connection ends its promise.
   */
  private Future<LeaseBook.Vote> vote(String haId, String node, String token) {
    if (System.nanoTime() - startedAt - terms.promiseNanos() < 0) {
      // Perhaps a restart: what this node promised before it does not know, so it promises nothing yet.
      return Future.succeededFuture(new LeaseBook.Vote(false, LeaseBook.Refusal.STARTING, null, 0));
    }
    Set<String> members = memberIds();
    LeaseBook.Promise before = book.promise(haId);
    LeaseBook.Vote vote = book.vote(haId, node, token, members.contains(node), System.nanoTime());
    if (vote.refusal() != LeaseBook.Refusal.HELD || before == null || members.contains(before.node())) {
      return Future.succeededFuture(vote);
    }
    InetSocketAddress address = addresses.get(before.node());
    if (address == null) {
      return Future.succeededFuture(vote);
    }
    return vertx.executeBlocking(() -> refuses(address), false).map(dead -> {
      if (!dead) {
        return vote;
      }
      LOG.info("Node {} has gone (its cluster port {} refuses connections): its lease of {} ends now",
        before.node(), address, haId);
      book.forget(haId, before.token());
      return book.vote(haId, node, token, members.contains(node), System.nanoTime());
    }).otherwise(vote);
  }

  /** Whether nothing listens at {@code address}: a refused connection, not a timeout. */
  private static boolean refuses(InetSocketAddress address) {
    try (Socket socket = new Socket()) {
      socket.connect(address, PROBE_MILLIS);
      return false;
    } catch (ConnectException e) {
      return String.valueOf(e.getMessage()).contains("refused");
    } catch (IOException e) {
      return false;
    }
  }

  /** The Vert.x node ids of the current members; remembers each one's address. */
  private Set<String> memberIds() {
    Set<String> ids = new HashSet<>();
    for (Member member : hazelcast.getCluster().getMembers()) {
      String id = Members.nodeId(member);
      if (id != null) {
        ids.add(id);
        addresses.putIfAbsent(id, member.getSocketAddress());
      }
    }
    return ids;
  }

  /** The other data members (lite members hold no vote). */
  private List<String> dataMembers() {
    List<String> nodes = new ArrayList<>();
    for (Member member : hazelcast.getCluster().getMembers()) {
      String id = Members.nodeId(member);
      if (id != null && !member.isLiteMember() && !id.equals(nodeId)) {
        nodes.add(id);
        addresses.putIfAbsent(id, member.getSocketAddress());
      }
    }
    return nodes;
  }

  private static JsonObject toJson(LeaseBook.Vote vote) {
    JsonObject json = new JsonObject().put("granted", vote.granted());
    if (vote.refusal() != null) {
      json.put("refusal", vote.refusal().name());
    }
    if (vote.holder() != null) {
      json.put("holder", vote.holder()).put("remainingNanos", vote.remainingNanos());
    }
    return json;
  }

  private static LeaseBook.Vote fromJson(JsonObject json) {
    String refusal = json.getString("refusal");
    return new LeaseBook.Vote(json.getBoolean("granted", false),
      refusal == null ? null : LeaseBook.Refusal.valueOf(refusal), json.getString("holder"),
      json.getLong("remainingNanos", 0L));
  }
}
