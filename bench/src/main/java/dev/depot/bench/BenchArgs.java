package dev.depot.bench;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * A bench's command line, parsed by picocli: {@code --quick}, {@code --dir PATH} and {@code
 * -h}/{@code --help} for every bench, and the flags the bench declares, each with a value (the last
 * one given counts, see {@link #all} for a repeated one). Picocli writes the usage text from the
 * declarations, so there is one per bench; the bench asks for the values with their defaults:
 *
 * <pre>{@code
 * BenchArgs in = BenchArgs.read("sink", "The depot sink vs ...", args,
 *     BenchArgs.number("--records", "records per run (default 1,000,000; --quick 200,000)"));
 * if (in == null) {
 *   return; // --help
 * }
 * long records = in.number("--records", 1, Long.MAX_VALUE, in.quick() ? 200_000 : 1_000_000);
 * }</pre>
 *
 * A bad argument or value prints {@code "<bench> bench: <message>"} on stderr and exits with status
 * 2 (after the usage, for an argument picocli refuses).
 */
final class BenchArgs {
  /** A flag a bench declares: its name, the label of its value, and what it sets. */
  record Flag(String name, String label, String description, boolean repeated) {}

  private final String bench;
  private final ParseResult parsed;

  private BenchArgs(String bench, ParseResult parsed) {
    this.bench = bench;
    this.parsed = parsed;
  }

  /** A flag taking a whole number ({@code _} may group its digits). */
  static Flag number(String name, String description) {
    return new Flag(name, "N", description, false);
  }

  /** A flag taking one value, shown as {@code label} in the usage. */
  static Flag value(String name, String label, String description) {
    return new Flag(name, label, description, false);
  }

  /** A flag that may be given many times, each with a value; see {@link #all}. */
  static Flag repeated(String name, String label, String description) {
    return new Flag(name, label, description, true);
  }

  /**
   * Reads the whole command line of {@code bench} ({@code bench/run <bench>}). Returns null after
   * printing the usage on stdout for {@code -h} or {@code --help}; exits with status 2 on an
   * argument it does not know or a flag without its value.
   */
  static BenchArgs read(String bench, String description, String[] args, Flag... flags) {
    CommandSpec spec = CommandSpec.create().name("bench/run " + bench);
    spec.usageMessage().description(description);
    spec.addOption(
        OptionSpec.builder("--quick")
            .type(boolean.class)
            .description("a short run (each option says its --quick default)")
            .build());
    spec.addOption(
        OptionSpec.builder("--dir")
            .paramLabel("PATH")
            .type(String.class)
            .description(
                "where the bench's temporary directory goes (default: the system's temporary"
                    + " directory); it is created fresh and deleted after the run")
            .build());
    spec.addOption(
        OptionSpec.builder("-h", "--help")
            .usageHelp(true)
            .description("print this text and exit")
            .build());
    for (Flag flag : flags) {
      OptionSpec.Builder option =
          OptionSpec.builder(flag.name()).paramLabel(flag.label()).description(flag.description());
      if (flag.repeated()) {
        option.type(List.class).auxiliaryTypes(String.class);
      } else {
        option.type(String.class);
      }
      spec.addOption(option.build());
    }
    CommandLine line = new CommandLine(spec).setOverwrittenOptionsAllowed(true);
    ParseResult parsed = null;
    try {
      parsed = line.parseArgs(args);
    } catch (ParameterException e) {
      System.err.println(bench + " bench: " + e.getMessage());
      line.usage(System.err);
      System.exit(2);
    }
    if (line.isUsageHelpRequested()) {
      line.usage(System.out);
      return null;
    }
    return new BenchArgs(bench, parsed);
  }

  /** Whether {@code --quick} was given. */
  boolean quick() {
    return parsed.hasMatchedOption("--quick");
  }

  /** The {@code --dir} given, or null. */
  Path dir() {
    return path("--dir", null);
  }

  /**
   * The whole number given for {@code flag}, between {@code min} and {@code max} (_ allowed), or
   * {@code absent} when it was not given; exits with status 2 when it is no such number.
   */
  long number(String flag, long min, long max, long absent) {
    String given = parsed.matchedOptionValue(flag, null);
    if (given == null) {
      return absent;
    }
    try {
      long n = Long.parseLong(given.replace("_", ""));
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw fail(
        flag
            + " must be a whole number from "
            + min
            + (max == Long.MAX_VALUE ? " up" : " to " + max)
            + ", was "
            + given);
  }

  /** The path given for {@code flag}, or {@code absent} when it was not given. */
  Path path(String flag, Path absent) {
    String given = parsed.matchedOptionValue(flag, null);
    return given == null ? absent : Path.of(given);
  }

  /** The value given for {@code flag}, or {@code absent} when it was not given. */
  String string(String flag, String absent) {
    return parsed.matchedOptionValue(flag, absent);
  }

  /** Every value given for a {@link #repeated} {@code flag}, in order. */
  List<String> all(String flag) {
    return parsed.matchedOptionValue(flag, List.of());
  }

  /**
   * Prints {@code message} as a usage error of this bench and exits with status 2; the exception it
   * returns is never thrown, but lets a caller write {@code throw in.fail(...)}.
   */
  IllegalArgumentException fail(String message) {
    System.err.println(bench + " bench: " + message);
    System.exit(2);
    return new IllegalArgumentException(message);
  }
}
