package dev.depot.bench;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * What every bench's command line has, as a picocli mixin ({@code --quick}, {@code --dir PATH},
 * {@code -h}/{@code --help}), and the parsing every bench's {@code main} does. A bench declares its
 * own options in a {@link Command} class that mixes this in; picocli writes the usage text from
 * those declarations, so there is one per bench:
 *
 * <pre>{@code
 * @Command(name = "bench/run sink", description = "...")
 * static final class Options {
 *   @Mixin BenchArgs common;
 *
 *   @Option(names = "--records", paramLabel = "N", converter = BenchArgs.WholeNumber.class,
 *       description = "records per run (default 1,000,000; --quick 200,000)")
 *   Long records;
 * }
 *
 * Options o = BenchArgs.parse("sink", new Options(), args);
 * if (o == null) {
 *   return; // --help
 * }
 * long records = BenchArgs.within("sink", "--records", o.records, 1, Long.MAX_VALUE,
 *     o.common.quick ? 200_000 : 1_000_000);
 * }</pre>
 *
 * A bad argument prints {@code "<bench> bench: <message>"} and the usage on stderr and exits with
 * status 2.
 */
@Command
final class BenchArgs {
  @Option(names = "--quick", description = "a short run (each option says its --quick default)")
  boolean quick;

  @Option(
      names = "--dir",
      paramLabel = "PATH",
      description =
          "where the bench's temporary directory goes (default: the system's temporary"
              + " directory); it is created fresh and deleted after the run")
  Path dir;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "print this text and exit")
  boolean help;

  /**
   * Parses {@code args} into {@code options}, a {@link Command} class mixing in a {@code
   * BenchArgs}. Returns null after printing the usage on stdout for {@code -h} or {@code --help};
   * exits with status 2 on an argument it does not know or a bad value.
   */
  static <T> T parse(String bench, T options, String[] args) {
    CommandLine line = new CommandLine(options);
    try {
      line.parseArgs(args);
    } catch (ParameterException e) {
      System.err.println(bench + " bench: " + e.getMessage());
      line.usage(System.err);
      System.exit(2);
    }
    if (line.isUsageHelpRequested()) {
      line.usage(System.out);
      return null;
    }
    return options;
  }

  /**
   * {@code given}, or {@code absent} when the option was not given; exits with status 2 naming
   * {@code flag} and the value when it is not between {@code min} and {@code max}.
   */
  static long within(String bench, String flag, Long given, long min, long max, long absent) {
    if (given == null) {
      return absent;
    }
    if (given < min || given > max) {
      System.err.println(
          bench
              + " bench: "
              + flag
              + " must be a whole number from "
              + min
              + (max == Long.MAX_VALUE ? " up" : " to " + max)
              + ", was "
              + given);
      System.exit(2);
    }
    return given;
  }

  /** Prints {@code "<bench> bench: <message>"} on stderr and exits with status 2. */
  static void exitWithUsageError(String bench, String message) {
    System.err.println(bench + " bench: " + message);
    System.exit(2);
  }

  /** A whole number; {@code _} may group its digits ({@code 10_000_000}). */
  static final class WholeNumber implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return Long.parseLong(value.replace("_", ""));
      } catch (NumberFormatException e) {
        throw new CommandLine.TypeConversionException("not a whole number: " + value);
      }
    }
  }
}
