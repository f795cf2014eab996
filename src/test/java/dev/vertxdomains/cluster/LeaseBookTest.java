package dev.vertxdomains.cluster;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lease rules as values: what a grantor decides, and what a holder may do. */
class LeaseBookTest {

  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  /** The terms of the default 5 s failure-detection bound. */
  private static final LeaseBook.Terms TERMS = LeaseBook.Terms.forBound(5_000);

  @Test
  @DisplayName("a 5 s bound gives a 2.5 s term renewed every 500 ms, a 250 ms drift margin, and a stop 500 ms early")
  void terms() {
    assertEquals(2_500 * MS, TERMS.termNanos());
    assertEquals(500 * MS, TERMS.renewNanos());
    assertEquals(250 * MS, TERMS.marginNanos());
    assertEquals(500 * MS, TERMS.guardNanos());
    assertEquals(100 * MS, LeaseBook.Terms.forBound(2_000).marginNanos(), "the margin is at least 100 ms");
  }

  @Test
  @DisplayName("a grantor promises a lease to one token at a time, for the term and the margin from the request")
  void grantorDecisions() {
    long now = 1_000 * MS;
    // Free: granted, promised from now.
    LeaseBook.Decision free = LeaseBook.decide(null, "a", "t1", true, now, TERMS);
    assertTrue(free.vote().granted());
    assertEquals(new LeaseBook.Promise("t1", "a", now + 2_750 * MS), free.keep());

    // The same token renews: the promise moves on.
    LeaseBook.Decision renew = LeaseBook.decide(free.keep(), "a", "t1", true, now + 500 * MS, TERMS);
    assertTrue(renew.vote().granted());
    assertEquals(now + 3_250 * MS, renew.keep().until());

    // Another token, while the promise lasts: refused, naming the holder and how long it lasts yet.
    LeaseBook.Decision other = LeaseBook.decide(renew.keep(), "b", "t2", true, now + 1_000 * MS, TERMS);
    assertFalse(other.vote().granted());
    assertEquals(LeaseBook.Refusal.HELD, other.vote().refusal());
    assertEquals("a", other.vote().holder());
    assertEquals(2_250 * MS, other.vote().remainingNanos());
    assertSame(renew.keep(), other.keep(), "a refusal keeps the promise");

    // Once the promise has run out, to the last nanosecond: granted to the other token.
    LeaseBook.Decision after = LeaseBook.decide(renew.keep(), "b", "t2", true, renew.keep().until(), TERMS);
    assertTrue(after.vote().granted());
    assertEquals("t2", after.keep().token());

    // A node this grantor's view does not hold gets nothing, not even the renewal of its own token.
    LeaseBook.Decision removed = LeaseBook.decide(renew.keep(), "a", "t1", false, now + 600 * MS, TERMS);
    assertFalse(removed.vote().granted());
    assertEquals(LeaseBook.Refusal.NOT_MEMBER, removed.vote().refusal());
    assertSame(renew.keep(), removed.keep(), "the old promise runs its course");
    LeaseBook.Decision stranger = LeaseBook.decide(null, "c", "t3", false, now, TERMS);
    assertFalse(stranger.vote().granted());
    assertNull(stranger.keep());
    assertNull(stranger.vote().holder());
  }

  @Test
  @DisplayName("a holder's lease lasts a term from the send of the last round a quorum granted, and never shrinks")
  void holderLease() {
    long sent = 10_000 * MS;
    assertEquals(sent + 2_500 * MS, LeaseBook.renewed(0, sent, 2, 2, TERMS));
    assertEquals(7 * MS, LeaseBook.renewed(7 * MS, sent, 1, 2, TERMS), "short of the quorum: unchanged");
    long later = sent + 2_500 * MS;
    assertEquals(later, LeaseBook.renewed(later, sent - 100 * MS, 3, 2, TERMS), "a late answer to an older round");

    // It stops taking work a renewal period before the end.
    assertTrue(LeaseBook.mayServe(later, later - 501 * MS, TERMS));
    assertFalse(LeaseBook.mayServe(later, later - 500 * MS, TERMS));

    // The holder's lease ends before any grantor's promise: granted at the send at the earliest, a promise lasts a
    // margin longer than the lease.
    LeaseBook.Decision grant = LeaseBook.decide(null, "a", "t1", true, sent, TERMS);
    assertTrue(grant.keep().until() - LeaseBook.renewed(0, sent, 2, 2, TERMS) >= TERMS.marginNanos());
  }

  @Test
  @DisplayName("a holder has lost its lease only once it ran out and a grantor promised it to another node")
  void lost() {
    long end = 5_000 * MS;
    LeaseBook.Vote held = new LeaseBook.Vote(false, LeaseBook.Refusal.HELD, "b", 100 * MS);
    assertTrue(LeaseBook.lost(end, end, held, "a"));
    assertFalse(LeaseBook.lost(end, end - 1, held, "a"), "still valid: b cannot hold a quorum yet");
    assertFalse(LeaseBook.lost(end, end, new LeaseBook.Vote(false, LeaseBook.Refusal.HELD, "a", 1), "a"),
      "an older token of its own");
    assertFalse(LeaseBook.lost(end, end, new LeaseBook.Vote(false, LeaseBook.Refusal.NOT_MEMBER, "b", 1), "a"),
      "not a member there: the lease is out, not lost");
    assertFalse(LeaseBook.lost(end, end, new LeaseBook.Vote(false, null, null, 0), "a"), "unreachable");
  }

  @Test
  @DisplayName("the book keeps one promise per deployment: a release or a dead holder frees it, expiry drops it")
  void book() {
    LeaseBook book = new LeaseBook(TERMS);
    long now = 0;
    assertTrue(book.vote("svc", "a", "t1", true, now).granted());
    assertFalse(book.vote("svc", "b", "t2", true, now + MS).granted());
    assertTrue(book.vote("other", "b", "t2", true, now + MS).granted(), "one promise per deployment");
    book.forget("svc", "t-unknown");
    assertFalse(book.vote("svc", "b", "t2", true, now + 2 * MS).granted(), "only its token releases a promise");
    book.forget("svc", "t1");
    assertTrue(book.vote("svc", "b", "t2", true, now + 3 * MS).granted());
    book.expire(now + 3 * MS + TERMS.promiseNanos());
    assertNull(book.promise("svc"));
    assertNull(book.promise("other"));
  }
}
