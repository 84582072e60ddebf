package dev.depot.bench;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The figures a bench prints: {@code name: value} lines on stdout, in the order they were put.
 * Rates print as whole numbers, ratios with three decimals.
 */
final class Figures {
  private final Map<String, String> values = new LinkedHashMap<>();

  /** A value printed as it is (a count, a setting). */
  void put(String name, String value) {
    values.put(name, value);
  }

  /** A rate (items, keys or records per second), printed as a whole number. */
  void rate(String name, double perSecond) {
    values.put(name, String.format(Locale.ROOT, "%.0f", perSecond));
  }

  /** A ratio between contenders, printed with three decimals. */
  void ratio(String name, double value) {
    values.put(name, String.format(Locale.ROOT, "%.3f", value));
  }

  Set<Map.Entry<String, String>> entrySet() {
    return values.entrySet();
  }

  /** Prints the figures as {@code name: value} lines, in the order they were put. */
  void print(PrintStream out) {
    for (Map.Entry<String, String> e : values.entrySet()) {
      out.println(e.getKey() + ": " + e.getValue());
    }
  }

  /** The median of the values (the upper one of an even count). */
  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
