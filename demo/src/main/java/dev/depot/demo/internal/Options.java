package dev.depot.demo.internal;

import dev.depot.generator.ReadingGenerator.Layout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The quickstart's command line. Bad values get a message naming the value and the flag. */
public record Options(
    long records,
    double duplicateRate,
    boolean keepRunning,
    boolean registry,
    Path data,
    Path home,
    int batchKeys,
    Layout layout) {
  public static final String USAGE =
      String.join(
          "\n",
          "usage: ./quickstart [--records N] [--duplicate-rate R] [--keep-running] [--no-registry]",
          "                    [--data DIR] [--batch N] [--layout batch|reading] [--no-build]",
          "",
          "Runs the whole pipeline on this machine: a KRaft broker, a schema registry, a Connect",
          "worker with the depot sink (from its plugin zip), the dedup application and a generator of",
          "IoT readings; readings -> dedup -> readings-unique -> depot sink -> DIR/depot. Then it",
          "verifies the depot and prints a summary.",
          "",
          "  --records N         readings to produce, in either layout (default 200000)",
          "  --duplicate-rate R  share of uploads the devices send twice, 0 to 0.9 (default 0.1)",
          "  --keep-running      leave everything running after the summary, until Ctrl-C",
          "  --no-registry       JSON readings and no schema registry (default: Avro readings in",
          "                      the Confluent wire format, with a local Apicurio registry)",
          "  --data DIR          where the data goes (default ./quickstart-data, emptied first)",
          "  --batch N           readings per device upload (default 500)",
          "  --layout L          batch: one record per upload, an array of readings; reading: one",
          "                      record per reading (default batch)",
          "  --no-build          skip the Maven build (./quickstart only)");

  /** Parses {@code args}; throws {@link IllegalArgumentException} with a message for the user. */
  public static Options parse(String[] args, Path home) {
    long records = 200_000;
    double duplicateRate = 0.1;
    boolean keepRunning = false;
    boolean registry = true;
    Path data = Path.of("quickstart-data");
    int batchKeys = 500;
    Layout layout = Layout.BATCH;
    List<String> rest = new ArrayList<>(List.of(args));
    while (!rest.isEmpty()) {
      String arg = rest.remove(0);
      switch (arg) {
        case "--records" -> records = number(arg, take(arg, rest), 1, 1_000_000_000L);
        case "--duplicate-rate" -> duplicateRate = rate(take(arg, rest));
        case "--keep-running" -> keepRunning = true;
        case "--no-registry" -> registry = false;
        case "--data" -> data = Path.of(take(arg, rest));
        case "--batch" -> batchKeys = (int) number(arg, take(arg, rest), 1, 100_000);
        case "--layout" -> layout = Layout.parse(take(arg, rest));
        default ->
            throw new IllegalArgumentException("unknown option " + arg + " (--help lists them)");
      }
    }
    return new Options(
        records,
        duplicateRate,
        keepRunning,
        registry,
        data.toAbsolutePath(),
        home,
        batchKeys,
        layout);
  }

  private static String take(String option, List<String> rest) {
    if (rest.isEmpty()) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return rest.remove(0);
  }

  private static long number(String option, String value, long min, long max) {
    long n;
    try {
      n = Long.parseLong(value.replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " must be a whole number, was " + value);
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(
          option + " must be between " + min + " and " + max + ", was " + value);
    }
    return n;
  }

  private static double rate(String value) {
    double r;
    try {
      r = Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--duplicate-rate must be a number from 0 to 0.9, was " + value);
    }
    if (!(r >= 0 && r <= 0.9)) {
      throw new IllegalArgumentException(
          "--duplicate-rate must be a number from 0 to 0.9, was " + value);
    }
    return r;
  }
}
