package dev.vertxdomains.domain;

import io.vertx.core.Context;

/**
 * Node's domain stack for {@link Domain#enter()} and {@link Domain#exit()}, one per thread.
 * <p>
 * Each frame remembers the context that {@code enter} made current and the one it replaced. A stack belongs to the
 * event in which it was built: Vert.x restores the thread's context when that event ends, so a stack whose top
 * frame's context is no longer current is stale and is discarded by the next {@code enter} or by an error.
 */
final class DomainStack {

  private static final ThreadLocal<DomainStack> STACK = ThreadLocal.withInitial(DomainStack::new);

  private Domain[] domains = new Domain[4];
  private Context[] entered = new Context[4];
  private Context[] previous = new Context[4];
  private int size;

  static void push(Domain domain, Context context) {
    DomainStack stack = STACK.get();
    Context current = VertxInternals.current();
    if (stack.size > 0 && stack.entered[stack.size - 1] != current) {
      stack.clear();
    }
    Context prev = VertxInternals.begin(context);
    stack.add(domain, context, prev);
  }

  /** Pops {@code domain} and every frame above it; does nothing when {@code domain} is not on a live stack. */
  static void pop(Domain domain) {
    DomainStack stack = STACK.get();
    if (stack.size == 0 || stack.entered[stack.size - 1] != VertxInternals.current()) {
      return;
    }
    int index = stack.size - 1;
    while (index >= 0 && stack.domains[index] != domain) {
      index--;
    }
    if (index < 0) {
      return;
    }
    for (int i = stack.size - 1; i >= index; i--) {
      VertxInternals.end(stack.entered[i], stack.previous[i]);
      stack.domains[i] = null;
      stack.entered[i] = null;
      stack.previous[i] = null;
    }
    stack.size = index;
  }

  /** The number of live frames on this thread's stack. */
  static int depth() {
    DomainStack stack = STACK.get();
    if (stack.size > 0 && stack.entered[stack.size - 1] != VertxInternals.current()) {
      stack.clear();
    }
    return stack.size;
  }

  /** Forgets the frames of an event that ended with an uncaught error (the thread's context is restored by Vert.x). */
  static void discard() {
    STACK.get().clear();
  }

  private void add(Domain domain, Context context, Context prev) {
    if (size == domains.length) {
      domains = java.util.Arrays.copyOf(domains, size * 2);
      entered = java.util.Arrays.copyOf(entered, size * 2);
      previous = java.util.Arrays.copyOf(previous, size * 2);
    }
    domains[size] = domain;
    entered[size] = context;
    previous[size] = prev;
    size++;
  }

  private void clear() {
    java.util.Arrays.fill(domains, 0, size, null);
    java.util.Arrays.fill(entered, 0, size, null);
    java.util.Arrays.fill(previous, 0, size, null);
    size = 0;
  }
}
