package dev.vertxdomains.supervisor.spi;

import org.slf4j.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Quiet logging under faults: one line per fault, and the stack trace of a given throw site at most once a minute
 * (every time at DEBUG). At one request in a hundred failing, the log must not become the workload.
 * <p>
 * Integrations put a short description of the failed work (an HTTP method and path, an event-bus address) in the
 * SLF4J MDC under {@value #WHAT} while they escalate a request's error, so that the supervisor's single recycle line
 * names it.
 */
public final class FaultLog {

  /** The MDC key describing the work that failed, such as {@code GET /error} or {@code eventbus work.service}. */
  public static final String WHAT = "request";

  private static final long TRACE_INTERVAL_MS = 60_000;
  private static final int MAX_SITES = 1_024;
  private static final Map<String, Long> LAST_TRACE = new ConcurrentHashMap<>();

  private FaultLog() {
  }

  /**
   * Logs one line at WARN; the error's stack trace goes with it if its throw site has not been traced in the last
   * minute, else only at DEBUG.
   *
   * @param log     the logger
   * @param error   the error
   * @param format  an SLF4J format
   * @param args    its arguments
   */
  public static void warn(Logger log, Throwable error, String format, Object... args) {
    if (log.isWarnEnabled()) {
      boolean trace = traceNow(error);
      log.warn(format, trace ? append(args, error) : args);
      traceAtDebug(log, error, trace);
    }
  }

  /**
   * As {@link #warn}, at INFO.
   *
   * @param log     the logger
   * @param error   the error
   * @param format  an SLF4J format
   * @param args    its arguments
   */
  public static void info(Logger log, Throwable error, String format, Object... args) {
    if (log.isInfoEnabled()) {
      boolean trace = traceNow(error);
      log.info(format, trace ? append(args, error) : args);
      traceAtDebug(log, error, trace);
    }
  }

  private static void traceAtDebug(Logger log, Throwable error, boolean traced) {
    if (!traced && log.isDebugEnabled()) {
      log.debug("Stack trace of the fault above", error);
    }
  }

  /**
   * An error as one line: its class and message.
   *
   * @param error the error
   * @return {@code class: message}, or the class alone
   */
  public static String describe(Throwable error) {
    String message = error.getMessage();
    return message == null ? error.getClass().getName() : error.getClass().getName() + ": " + message;
  }

  private static boolean traceNow(Throwable error) {
    long now = System.currentTimeMillis();
    // The same class and message as a fault traced within the minute: the same site in practice, and far cheaper to
    // tell than the site itself (materialising a stack trace costs more than the rest of a recycle).
    String quick = error.getClass().getName() + ':' + error.getMessage();
    if (recent(quick, now)) {
      return false;
    }
    StackTraceElement[] trace = error.getStackTrace();
    String site = error.getClass().getName() + (trace.length > 0 ? "@" + trace[0] : "");
    boolean fresh = !recent(site, now) && claim(site, now);
    claim(quick, now);
    return fresh;
  }

  private static boolean recent(String key, long now) {
    Long last = LAST_TRACE.get(key);
    return last != null && now - last < TRACE_INTERVAL_MS;
  }

  private static boolean claim(String key, long now) {
    if (LAST_TRACE.size() >= MAX_SITES) {
      LAST_TRACE.clear();
    }
    Long last = LAST_TRACE.get(key);
    return last == null ? LAST_TRACE.putIfAbsent(key, now) == null : LAST_TRACE.replace(key, last, now);
  }

  private static Object[] append(Object[] args, Throwable error) {
    Object[] all = java.util.Arrays.copyOf(args, args.length + 1);
    all[args.length] = error;
    return all;
  }
}
