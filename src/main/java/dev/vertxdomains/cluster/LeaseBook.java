package dev.vertxdomains.cluster;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The lease decisions, as pure functions over values, and one node's book of the promises it has granted.
 * <p>
 * The right to run an HA deployment (its {@code haId}) is a lease: a node may let the deployment take work only while
 * a quorum of nodes has promised the lease to its token. A node promises each {@code haId} to one token at a time, for
 * a term plus a margin counted from when the request arrived; the holder counts its lease from when it sent the
 * request, for the term alone. So the holder's lease ends before the promises it rests on, as long as the clocks of two
 * nodes do not drift apart by more than the margin over one term, and two quorums always share a node: two leases of
 * one {@code haId} can never be valid at once. Times are nanoseconds of each node's monotonic clock; no two clocks are
 * ever compared.
 */
final class LeaseBook {

  /** The lease's timing, derived from the cluster's failure-detection bound. */
  record Terms(long termNanos, long marginNanos, long renewNanos, long guardNanos) {

    /**
     * The terms for a failure-detection bound: a term of half the bound, renewed five times per term; a margin of a
     * tenth of the term (at least 100 ms) for clock drift; the holder stops taking work a renewal before its term ends.
     * So a holder cut off from its quorum stops within half the bound, before the others can even decide it has gone,
     * and a node cut off only from some of the cluster loses the lease at most a term after the others dropped it.
     *
     * @param boundMillis the failure-detection bound (Hazelcast's max.no.heartbeat)
     * @return the terms
     */
    static Terms forBound(long boundMillis) {
      long term = TimeUnit.MILLISECONDS.toNanos(boundMillis) / 2;
      long renew = term / 5;
      return new Terms(term, Math.max(TimeUnit.MILLISECONDS.toNanos(100), term / 10), renew, renew);
    }

    /** How long a promise lasts where it was granted: the term and the margin. */
    long promiseNanos() {
      return termNanos + marginNanos;
    }
  }

  /** A promise granted here: the lease of an {@code haId} to a token of a node, until a time of this node's clock. */
  record Promise(String token, String node, long until) {
  }

  /** Why a request was refused. */
  enum Refusal {
    /** Another token holds the lease here. */
    HELD,
    /** The requesting node is not a member in this node's view of the cluster. */
    NOT_MEMBER,
    /**
     * This node started less than a promise's length ago: it may have been restarted, and forgotten a promise it made
     * before, so it promises nothing yet.
     */
    STARTING
  }

  /**
   * A vote on a lease request.
   *
   * @param granted        whether the lease is promised to the requester
   * @param refusal        why not, or {@code null}
   * @param holder         the node the lease is promised to here, if another, else {@code null}
   * @param remainingNanos how long that promise lasts yet
   */
  record Vote(boolean granted, Refusal refusal, String holder, long remainingNanos) {
    static final Vote GRANTED = new Vote(true, null, null, 0);
  }

  /** A grantor's decision: the promise to keep ({@code null}: none) and the vote. */
  record Decision(Promise keep, Vote vote) {
  }

  /**
   * A grantor's decision on a request, as a new promise (or the same) and a vote. A node not in this node's view of
   * the cluster gets nothing: the view is the one the cluster's master makes, so a node the others removed loses its
   * lease within a term even where it can still reach some of them. The lease goes to a token when nobody holds it,
   * when its promise has run out, or when the token already holds it (a renewal).
   *
   * @param current the promise of this {@code haId} here, or {@code null}
   * @param node    the requesting node
   * @param token   the requester's token
   * @param member  whether the requesting node is a member in this node's view
   * @param now     this node's clock
   * @param terms   the terms
   * @return the promise to keep (may be {@code current}) and the vote
   */
  static Decision decide(Promise current, String node, String token, boolean member, long now,
                                         Terms terms) {
    boolean live = current != null && current.until() - now > 0;
    if (!member) {
      return new Decision(current, refused(Refusal.NOT_MEMBER, live ? current : null, now));
    }
    if (!live || current.token().equals(token)) {
      return new Decision(new Promise(token, node, now + terms.promiseNanos()), Vote.GRANTED);
    }
    return new Decision(current, refused(Refusal.HELD, current, now));
  }

  private static Vote refused(Refusal why, Promise holder, long now) {
    return holder == null ? new Vote(false, why, null, 0)
      : new Vote(false, why, holder.node(), holder.until() - now);
  }

  /**
   * A holder's lease after a round of requests sent at {@code sentAt}: valid for a term from the send when a quorum
   * granted it, else unchanged.
   *
   * @param validUntil the lease's end before the round
   * @param sentAt     when the round's requests were sent
   * @param granted    the votes granted, this node's own included
   * @param quorum     how many are needed
   * @param terms      the terms
   * @return the lease's end after the round
   */
  static long renewed(long validUntil, long sentAt, int granted, int quorum, Terms terms) {
    if (granted < quorum) {
      return validUntil;
    }
    long end = sentAt + terms.termNanos();
    return end - validUntil > 0 ? end : validUntil;
  }

  /**
   * Whether a holder may take new work: until a renewal period before its lease ends.
   *
   * @param validUntil the lease's end
   * @param now        this node's clock
   * @param terms      the terms
   * @return whether the intake may be open
   */
  static boolean mayServe(long validUntil, long now, Terms terms) {
    return validUntil - terms.guardNanos() - now > 0;
  }

  /**
   * Whether a holder has lost its lease to another node for good: its own lease has ended and a grantor promised the
   * lease to someone else. (While the lease is still valid a refusal cannot be another node's grant that counts: that
   * node cannot hold a quorum yet.)
   *
   * @param validUntil the lease's end
   * @param now        this node's clock
   * @param vote       a grantor's vote
   * @param self       the holder's node id
   * @return whether the deployment runs elsewhere now, or soon will
   */
  static boolean lost(long validUntil, long now, Vote vote, String self) {
    return vote.refusal() == Refusal.HELD && !self.equals(vote.holder()) && validUntil - now <= 0;
  }

  private final Terms terms;
  private final Map<String, Promise> promises = new HashMap<>();

  LeaseBook(Terms terms) {
    this.terms = terms;
  }

  Terms terms() {
    return terms;
  }

  /** Decides a request here and keeps the resulting promise. */
  synchronized Vote vote(String haId, String node, String token, boolean member, long now) {
    Decision decision = decide(promises.get(haId), node, token, member, now, terms);
    if (decision.keep() == null) {
      promises.remove(haId);
    } else {
      promises.put(haId, decision.keep());
    }
    return decision.vote();
  }

  /** Drops the promise of an {@code haId} if {@code token} holds it (a release, or a holder found dead). */
  synchronized void forget(String haId, String token) {
    promises.computeIfPresent(haId, (id, promise) -> promise.token().equals(token) ? null : promise);
  }

  /** The promise of an {@code haId} here, or {@code null}. */
  synchronized Promise promise(String haId) {
    return promises.get(haId);
  }

  /** Drops the promises that have run out. */
  synchronized void expire(long now) {
    promises.values().removeIf(promise -> promise.until() - now <= 0);
  }
}
