package dev.vertxdomains.bench;

import java.util.Arrays;
import java.util.Locale;

/** The line format bench/run.sh reads: {@code RESULT <figure> <key>=<value> ...}; and percentiles. */
final class Results {

  private Results() {
  }

  static void print(String figure, Object... keyValues) {
    StringBuilder line = new StringBuilder("RESULT ").append(figure);
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      Object value = keyValues[i + 1];
      String text = value instanceof Double d ? String.format(Locale.ROOT, "%.3f", d) : String.valueOf(value);
      line.append(' ').append(keyValues[i]).append('=').append(text);
    }
    System.out.println(line);
    System.out.flush();
  }

  /** The p-th percentile (0..100) of the values, nearest rank. */
  static double percentile(double[] values, double p) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
