package dev.depot.bench;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * A bench's command line, read one argument at a time. Bad values throw {@link
 * IllegalArgumentException} with a message naming the flag and the value; {@link #unknown} names an
 * argument no bench knows.
 *
 * <pre>{@code
 * BenchArgs in = new BenchArgs(args);
 * while (in.hasNext()) {
 *   String arg = in.next();
 *   switch (arg) {
 *     case "--records" -> records = in.number(arg, 1, Long.MAX_VALUE);
 *     default -> throw BenchArgs.unknown(arg);
 *   }
 * }
 * }</pre>
 */
final class BenchArgs {
  private final Deque<String> rest;

  BenchArgs(String[] args) {
    this.rest = new ArrayDeque<>(Arrays.asList(args));
  }

  boolean hasNext() {
    return !rest.isEmpty();
  }

  String next() {
    return rest.removeFirst();
  }

  /** The value after {@code flag}. */
  String value(String flag) {
    if (rest.isEmpty()) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return rest.removeFirst();
  }

  /** The whole number after {@code flag}, between {@code min} and {@code max}; _ allowed. */
  long number(String flag, long min, long max) {
    String value = value(flag);
    try {
      long n = Long.parseLong(value.replace("_", ""));
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException(
        flag
            + " must be a whole number from "
            + min
            + (max == Long.MAX_VALUE ? " up" : " to " + max)
            + ", was "
            + value);
  }

  Path path(String flag) {
    return Path.of(value(flag));
  }

  static IllegalArgumentException unknown(String arg) {
    return new IllegalArgumentException("unknown argument " + arg + " (--help lists them)");
  }

  /** Prints {@code "<bench> bench: <message>"} on stderr and exits with status 2. */
  static void exitWithUsageError(String bench, IllegalArgumentException e) {
    System.err.println(bench + " bench: " + e.getMessage());
    System.exit(2);
  }
}
