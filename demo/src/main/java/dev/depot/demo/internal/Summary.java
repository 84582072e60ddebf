package dev.depot.demo.internal;

import dev.depot.generator.ReadingGenerator;
import dev.depot.generator.ReadingGenerator.Layout;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The quickstart's summary on stdout: what the generator produced and re-sent, what the dedup
 * application dropped, what the depot holds and whether it verified, the throughput, and the {@code
 * bin/depot} commands to look at the depot. {@code QuickstartIT} reads its rows ("two spaces, name,
 * two or more spaces, value"), so their names and numbers are an interface.
 */
public final class Summary {
  private final PrintStream out;
  private final DataDir data;
  private final String rawTopic;
  private final String uniqueTopic;

  public Summary(PrintStream out, DataDir data, String rawTopic, String uniqueTopic) {
    this.out = out;
    this.data = data;
    this.rawTopic = rawTopic;
    this.uniqueTopic = uniqueTopic;
  }

  /**
   * Prints the summary.
   *
   * @param pipelineNanos from the first send to the last record in the depot
   * @param format the values' format, as "JSON, no registry; one record per reading"
   */
  public void print(
      ReadingGenerator generator, DepotWatch.Verification v, long pipelineNanos, String format) {
    long produced = generator.produced();
    long producedRecords = generator.producedRecords();
    long rawRecords = v.records().getOrDefault(rawTopic, 0L);
    long uniqueRecords = v.records().getOrDefault(uniqueTopic, 0L);
    long rawReadings = v.readings().getOrDefault(rawTopic, 0L);
    long uniqueReadings = v.readings().getOrDefault(uniqueTopic, 0L);
    Map<String, String> rows = new LinkedHashMap<>();
    rows.put(
        "produced",
        String.format(
            Locale.ROOT,
            "%,d readings in %,d records to %s (%s)",
            produced,
            producedRecords,
            rawTopic,
            format));
    rows.put(
        "duplicates sent",
        String.format(
            Locale.ROOT,
            "%,d readings in %,d records (%.1f %% of the readings: re-sent uploads)",
            generator.duplicates(),
            generator.duplicateRecords(),
            100.0 * generator.duplicates() / Math.max(produced, 1)));
    rows.put(
        "duplicates dropped",
        String.format(
            Locale.ROOT,
            "%,d readings (%,d records dropped, %,d trimmed; by the dedup application: %s minus"
                + " %s)",
            rawReadings - uniqueReadings,
            rawRecords - uniqueRecords,
            v.trimmed(),
            rawTopic,
            uniqueTopic));
    rows.put(
        "depot " + rawTopic,
        String.format(
            Locale.ROOT,
            "%,d readings in %,d records in %d partitions",
            rawReadings,
            rawRecords,
            v.partitions().getOrDefault(rawTopic, 0)));
    rows.put(
        "depot " + uniqueTopic,
        String.format(
            Locale.ROOT,
            "%,d readings in %,d records in %d partitions",
            uniqueReadings,
            uniqueRecords,
            v.partitions().getOrDefault(uniqueTopic, 0)));
    rows.put(
        "depot verified",
        v.ok()
            ? String.format(
                Locale.ROOT,
                "yes: %,d records read, every checksum good, no partial record; %s holds each of"
                    + " %,d distinct readings once, and %s every offset once",
                v.recordsRead(),
                uniqueTopic,
                v.distinctReadings(),
                rawTopic)
            : "NO: "
                + String.join("; ", v.problems().subList(0, Math.min(5, v.problems().size()))));
    rows.put(
        "throughput",
        String.format(
            Locale.ROOT,
            "produced %,.0f readings/s (%,.0f records/s); end to end %,.0f readings/s (%.1f s from"
                + " the first send to the last record in the depot)",
            produced / (generator.elapsedNanos() / 1e9),
            producedRecords / (generator.elapsedNanos() / 1e9),
            produced / (pipelineNanos / 1e9),
            pipelineNanos / 1e9));
    Path depot = data.depot();
    rows.put("data", shown(depot) + "/<topic>/<partition>/");
    rows.put("logs", shown(data.logs()) + "/");
    int width = rows.keySet().stream().mapToInt(String::length).max().orElse(10);
    out.println();
    out.println("Quickstart summary");
    for (Map.Entry<String, String> row : rows.entrySet()) {
      out.printf(Locale.ROOT, "  %-" + width + "s  %s%n", row.getKey(), row.getValue());
    }
    out.println();
    out.println("Look at the depot:");
    String unique0 = shown(depot.resolve(uniqueTopic).resolve("0"));
    String raw0 = shown(depot.resolve(rawTopic).resolve("0"));
    out.println("  bin/depot ls " + unique0);
    out.println("  bin/depot cat --limit 3 " + unique0);
    out.println("  bin/depot stats " + raw0);
    out.println("  bin/depot verify " + raw0);
    out.flush();
  }

  /**
   * The values' format as the summary and the progress name it, as {@code JSON, no registry; one
   * record per reading}.
   *
   * @param registryUrl the registry, null without one (JSON values)
   */
  public static String valueFormat(String registryUrl, Layout layout) {
    return (registryUrl != null
            ? "Avro, Confluent wire format, registry " + registryUrl
            : "JSON, no registry")
        + (layout == Layout.BATCH ? "; one record per upload" : "; one record per reading");
  }

  /** A path relative to the working directory when it is under it. */
  static String shown(Path path) {
    Path cwd = Path.of("").toAbsolutePath();
    return path.startsWith(cwd) ? cwd.relativize(path).toString() : path.toString();
  }
}
