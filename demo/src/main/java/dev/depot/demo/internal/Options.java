package dev.depot.demo.internal;

import dev.depot.generator.ReadingGenerator.Layout;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The quickstart's command line, parsed with picocli. Its usage text ({@link #usage()}) is the only
 * one: {@code ./quickstart --help} prints the copy in the script's header, which {@code
 * OptionsTest} keeps equal to it, so that help works before a build.
 *
 * <p>Bad values get a message naming the flag and the value, as {@code --records must be between 1
 * and 1000000000, was 0}. As with the hand-written parser this one replaced, a flag given twice
 * keeps its last value, a value may look like a flag ({@code --data --keep-running} is a
 * directory), and there are no {@code --flag=value}, {@code @file} or {@code --} forms.
 */
public record Options(
    long records,
    double duplicateRate,
    boolean keepRunning,
    boolean registry,
    Path data,
    Path home,
    int batchKeys,
    Layout layout) {

  /**
   * Parses {@code args}; throws {@link IllegalArgumentException} with a message for the user.
   *
   * @param home the repository, where the build left what the quickstart runs
   */
  public static Options parse(String[] args, Path home) {
    Flags flags = new Flags();
    try {
      commandLine(flags).parseArgs(args);
    } catch (UnmatchedArgumentException e) {
      throw new IllegalArgumentException(
          "unknown option " + e.getUnmatched().get(0) + " (--help lists them)", e);
    } catch (MissingParameterException e) {
      throw new IllegalArgumentException(name(e.getMissing().get(0)) + " needs a value", e);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new Options(
        flags.records,
        flags.duplicateRate,
        flags.keepRunning,
        !flags.noRegistry,
        Path.of(flags.data).toAbsolutePath(),
        home,
        flags.batchKeys,
        flags.layout);
  }

  /** The usage text, what {@code --help} prints (without a trailing line break). */
  public static String usage() {
    return commandLine(new Flags()).getUsageMessage(Help.Ansi.OFF).stripTrailing();
  }

  private static CommandLine commandLine(Flags flags) {
    return new CommandLine(flags)
        .setOverwrittenOptionsAllowed(true)
        .setAllowOptionsAsOptionParameters(true)
        .setExpandAtFiles(false)
        // no end-of-options delimiter, as before picocli: a "--" is an unknown option (no
        // argument can hold a NUL character, so none matches this one)
        .setEndOfOptionsDelimiter("--\u0000")
        .setUsageHelpLongOptionsMaxWidth(24);
  }

  private static String name(ArgSpec spec) {
    return spec instanceof OptionSpec option ? option.longestName() : spec.paramLabel();
  }

  /** The flags as picocli binds them; the setters check each value as it comes. */
  @Command(
      name = "./quickstart",
      separator = " ",
      sortOptions = false,
      sortSynopsis = false,
      usageHelpWidth = 100,
      synopsisHeading = "usage: ",
      descriptionHeading = "%n",
      optionListHeading = "%n",
      description = {
        "The main job: the whole pipeline running for real on this machine. It builds what it"
            + " needs with Maven (unless --no-build), then starts a single-node KRaft broker, a"
            + " schema registry (Apicurio, Confluent-compatible; not with --no-registry), a"
            + " Connect worker running the depot sink from its plugin zip, the dedup application,"
            + " and a generator of IoT readings that re-sends some uploads (by default one Kafka"
            + " record per upload of 500 readings):",
        "",
        "  readings -> dedup application -> readings-unique -> depot sink -> DIR/depot",
        "  (the raw readings topic is sunk too, so the two can be compared)",
        "",
        "It shows progress, verifies the depot, prints a summary and stops everything (Ctrl-C"
            + " stops it at any time). Logs go to DIR/logs. Exit code 0 when the depot verified,"
            + " 1 when something failed (the message names the log to read), 2 for a bad option,"
            + " 130 after Ctrl-C."
      })
  static final class Flags {
    @Spec CommandSpec spec;

    long records;
    double duplicateRate;
    int batchKeys;
    Layout layout;

    @Option(
        names = "--keep-running",
        order = 3,
        description = "leave everything running after the summary, until Ctrl-C")
    boolean keepRunning;

    @Option(
        names = "--no-registry",
        order = 4,
        description =
            "JSON readings and no schema registry (default: Avro readings in the Confluent wire"
                + " format, with a local Apicurio registry)")
    boolean noRegistry;

    @Option(
        names = "--data",
        order = 5,
        paramLabel = "DIR",
        defaultValue = "quickstart-data",
        description = "where the data goes (default ./${DEFAULT-VALUE}, emptied first)")
    String data;

    @Option(
        names = "--no-build",
        order = 8,
        description = "skip the Maven build (./quickstart does it before starting Java)")
    boolean noBuild;

    @Option(
        names = {"-h", "--help"},
        order = 9,
        usageHelp = true,
        description = "show this help")
    boolean help;

    @Option(
        names = "--records",
        order = 1,
        paramLabel = "N",
        defaultValue = "200000",
        description = "readings to produce, in either layout (default ${DEFAULT-VALUE})")
    void records(String value) {
      records = number("--records", value, 1, 1_000_000_000L);
    }

    @Option(
        names = "--duplicate-rate",
        order = 2,
        paramLabel = "R",
        defaultValue = "0.1",
        description =
            "share of uploads the devices send twice, 0 to 0.9 (default ${DEFAULT-VALUE})")
    void duplicateRate(String value) {
      double r;
      try {
        r = Double.parseDouble(value);
      } catch (NumberFormatException e) {
        r = Double.NaN;
      }
      if (!(r >= 0 && r <= 0.9)) {
        throw bad("--duplicate-rate must be a number from 0 to 0.9, was " + value);
      }
      duplicateRate = r;
    }

    @Option(
        names = "--batch",
        order = 6,
        paramLabel = "N",
        defaultValue = "500",
        description = "readings per device upload (default ${DEFAULT-VALUE})")
    void batchKeys(String value) {
      batchKeys = (int) number("--batch", value, 1, 100_000);
    }

    @Option(
        names = "--layout",
        order = 7,
        paramLabel = "batch|reading",
        defaultValue = "batch",
        description =
            "batch: one record per upload, an array of readings; reading: one record per reading"
                + " (default ${DEFAULT-VALUE})")
    void layout(String value) {
      try {
        layout = Layout.parse(value);
      } catch (IllegalArgumentException e) {
        throw bad(e.getMessage());
      }
    }

    private long number(String option, String value, long min, long max) {
      long n;
      try {
        n = Long.parseLong(value.replace("_", ""));
      } catch (NumberFormatException e) {
        throw bad(option + " must be a whole number, was " + value);
      }
      if (n < min || n > max) {
        throw bad(option + " must be between " + min + " and " + max + ", was " + value);
      }
      return n;
    }

    private ParameterException bad(String message) {
      return new ParameterException(spec.commandLine(), message);
    }
  }
}
