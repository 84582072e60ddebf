package dev.depot.bench;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A bench's command line. Either read as a whole with {@link #read}, which knows {@code --quick},
 * {@code --dir} and {@code --help} and takes the flags the bench declares, whose values the bench
 * then asks for with their defaults:
 *
 * <pre>{@code
 * BenchArgs in = BenchArgs.read("sink", USAGE, args, "--records");
 * if (in == null) {
 *   return; // --help
 * }
 * long records = in.number("--records", 1, Long.MAX_VALUE, in.quick() ? 200_000 : 1_000_000);
 * }</pre>
 *
 * or one argument at a time. Bad values throw {@link IllegalArgumentException} with a message
 * naming the flag and the value, {@link #unknown} names an argument no bench knows; {@link #read}
 * and what asks it for values print such a message and exit with status 2.
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
  private final String bench;
  private final Map<String, List<String>> values = new HashMap<>();
  private boolean quick;
  private Path dir;

  BenchArgs(String[] args) {
    this(null, args);
  }

  private BenchArgs(String bench, String[] args) {
    this.bench = bench;
    this.rest = new ArrayDeque<>(Arrays.asList(args));
  }

  /**
   * Reads the whole command line of {@code bench}: {@code --quick}, {@code --dir PATH}, and each of
   * {@code flags} with a value (the last one given counts, see {@link #all} for a repeated one).
   * Returns null after printing {@code usage} on stdout for {@code -h} or {@code --help}; exits
   * with status 2 on an argument it does not know or a flag without its value.
   */
  static BenchArgs read(String bench, String usage, String[] args, String... flags) {
    BenchArgs in = new BenchArgs(bench, args);
    List<String> known = List.of(flags);
    try {
      while (in.hasNext()) {
        String arg = in.next();
        switch (arg) {
          case "--quick" -> in.quick = true;
          case "--dir" -> in.dir = in.path(arg);
          case "-h", "--help" -> {
            System.out.println(usage);
            return null;
          }
          default -> {
            if (!known.contains(arg)) {
              throw unknown(arg);
            }
            String value = in.value(arg);
            in.values.computeIfAbsent(arg, k -> new ArrayList<>()).add(value);
          }
        }
      }
    } catch (IllegalArgumentException e) {
      exitWithUsageError(bench, e);
    }
    return in;
  }

  /** Whether {@code --quick} was given. */
  boolean quick() {
    return quick;
  }

  /** The {@code --dir} given, or null. */
  Path dir() {
    return dir;
  }

  /**
   * The whole number given for {@code flag}, between {@code min} and {@code max} (_ allowed), or
   * {@code absent} when it was not given; exits with status 2 when it is no such number.
   */
  long number(String flag, long min, long max, long absent) {
    List<String> given = values.get(flag);
    if (given == null) {
      return absent;
    }
    try {
      return parse(flag, given.get(given.size() - 1), min, max);
    } catch (IllegalArgumentException e) {
      throw fail(e.getMessage());
    }
  }

  /** The path given for {@code flag}, or {@code absent} when it was not given. */
  Path path(String flag, Path absent) {
    List<String> given = values.get(flag);
    return given == null ? absent : Path.of(given.get(given.size() - 1));
  }

  /** Every value given for {@code flag}, in order. */
  List<String> all(String flag) {
    return values.getOrDefault(flag, List.of());
  }

  /**
   * Prints {@code message} as a usage error of {@link #read}'s bench and exits with status 2; the
   * exception it returns is never thrown, but lets a caller write {@code throw in.fail(...)}.
   */
  IllegalArgumentException fail(String message) {
    IllegalArgumentException e = new IllegalArgumentException(message);
    exitWithUsageError(bench, e);
    return e;
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
    return parse(flag, value(flag), min, max);
  }

  private static long parse(String flag, String value, long min, long max) {
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
