package dev.depot.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.store.timekey.TimeKey;
import dev.depot.testing.ChildJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code ./quickstart --no-build} (the build has packaged what it needs: the plugin zip, the
 * dedup application, the registry) with a small {@code --records}, then reads the depot on disk
 * here, with its own decoding, and checks every number of the summary against it, and that no
 * process outlives the quickstart.
 */
class QuickstartIT {
  private static final Path HOME = Path.of(System.getProperty("depot.home", "..")).toAbsolutePath();
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);
  private static final String RAW = "readings";
  private static final String UNIQUE = "readings-unique";
  private static final String READING_JSON =
      "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"dev.depot.quickstart\","
          + "\"fields\":[{\"name\":\"ts_us\",\"type\":\"long\"},{\"name\":\"user_id\","
          + "\"type\":\"int\"},{\"name\":\"device_id\",\"type\":\"int\"},{\"name\":\"hr\","
          + "\"type\":\"int\"}]}";

  /** The schema the generator writes readings with (the reading layout). */
  private static final Schema READING = new Schema.Parser().parse(READING_JSON);

  /** The schema the generator writes uploads with (the batch layout), hand-written here. */
  private static final Schema READING_BATCH =
      new Schema.Parser()
          .parse(
              "{\"type\":\"record\",\"name\":\"ReadingBatch\",\"namespace\":"
                  + "\"dev.depot.quickstart\",\"fields\":[{\"name\":\"user_id\",\"type\":\"int\"},"
                  + "{\"name\":\"device_id\",\"type\":\"int\"},{\"name\":\"readings\",\"type\":"
                  + "{\"type\":\"array\",\"items\":"
                  + READING_JSON
                  + "}}]}");

  @TempDir Path tmp;

  @Test
  void avroBatchRecordsThroughThePipelineMatchTheSummaryAndTheDepotOnDisk() throws Exception {
    Path data = tmp.resolve("qs-avro");
    Run run = start(data, "--records", "30000", "--duplicate-rate", "0.3", "--batch", "200");
    assertThat(run.awaitExit()).as(run.describe()).isZero();

    Map<String, String> summary = run.summary();
    Depot depot = Depot.read(data.resolve("depot"), READING_BATCH);
    assertSummaryMatches(summary, depot, 30_000, 150);
    assertThat(summary.get("produced")).contains("Avro, Confluent wire format");
    assertThat(depot.schemaIds)
        .as("every value of both topics carries the one schema id the generator registered")
        .hasSize(1);
    assertNoProcessLeft(data);
  }

  @Test
  void aSmallDefaultRunDropsDuplicates() throws Exception {
    Path data = tmp.resolve("qs-small");
    Run run = start(data, "--records", "20000");
    assertThat(run.awaitExit()).as(run.describe()).isZero();

    Map<String, String> summary = run.summary();
    Depot depot = Depot.read(data.resolve("depot"), READING_BATCH);
    assertSummaryMatches(summary, depot, 20_000, 40);
    assertThat(numbers(summary.get("duplicates dropped")).get(0))
        .as("readings dropped by a 20,000-reading run")
        .isPositive();
    assertThat(depot.records.get(UNIQUE)).isLessThan(depot.records.get(RAW));
    assertNoProcessLeft(data);
  }

  @Test
  void jsonReadingsWithoutRegistryKeepRunningUntilInterruptedThenStopEverything() throws Exception {
    Path data = tmp.resolve("qs-json");
    Run run =
        start(
            data,
            "--records",
            "12000",
            "--duplicate-rate",
            "0.5",
            "--batch",
            "100",
            "--layout",
            "reading",
            "--no-registry",
            "--keep-running");
    run.awaitOutput("Everything keeps running");
    List<Long> pids = pids(data);
    assertThat(pids).as("broker, dedup application, Connect worker").hasSize(3);
    assertThat(pids)
        .allMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

    // Ctrl-C, unless this test runs where SIGINT is ignored (a background job of a shell without
    // job control passes that on, and a JVM then never sees SIGINT): then SIGTERM, the same stop
    boolean intIgnored = ignoresSigint(run.process().pid());
    String signal = intIgnored ? "-TERM" : "-INT";
    new ProcessBuilder("kill", signal, Long.toString(run.process().pid())).start().waitFor();
    // 128 + the signal's number: what a shell reports after Ctrl-C (130) or kill (143)
    assertThat(run.awaitExit()).as(run.describe()).isEqualTo(intIgnored ? 143 : 130);
    assertThat(run.stderr()).contains("Connect worker stopped", "broker stopped");

    Map<String, String> summary = run.summary();
    Depot depot = Depot.read(data.resolve("depot"), null);
    assertSummaryMatches(summary, depot, 12_000, 12_000);
    assertThat(depot.readings).isEqualTo(depot.records);
    assertThat(summary.get("produced")).contains("JSON, no registry");
    assertNoProcessLeft(data);
  }

  @Test
  void processesStopByThemselvesWhenTheQuickstartIsKilled() throws Exception {
    Path data = tmp.resolve("qs-killed");
    Run run = start(data, "--records", "2000", "--no-registry", "--keep-running");
    run.awaitOutput("Everything keeps running");
    List<Long> pids = pids(data);
    assertThat(pids).hasSize(3);

    run.quickstart().kill(); // kill -9: no shutdown hook runs
    // each child watches the quickstart's pid and stops (cleanly) when it is gone
    assertNoProcessLeft(data);
    assertThat(pids).noneMatch(QuickstartIT::running);
    assertThat(Files.readString(data.resolve("logs/connect.log"))).contains("is gone: stopping");
  }

  @Test
  void aBadOptionNamesTheValueAndTheFlagAndStartsNothing() throws Exception {
    Path data = tmp.resolve("qs-bad");
    Run run = start(data, "--duplicate-rate", "1.5");
    assertThat(run.awaitExit()).isEqualTo(2);
    assertThat(run.stderr()).contains("--duplicate-rate must be a number from 0 to 0.9, was 1.5");
    assertThat(data).doesNotExist();
  }

  /**
   * Checks every number of the summary against the depot as read here: readings and records per
   * topic, duplicates sent and dropped, records dropped and trimmed.
   */
  private static void assertSummaryMatches(
      Map<String, String> summary, Depot depot, long readings, long records) {
    assertThat(depot.partial).as("partial records").isZero();
    assertThat(depot.readings.get(RAW)).as("raw readings in the depot").isEqualTo(readings);
    assertThat(depot.records.get(RAW)).as("raw records in the depot").isEqualTo(records);
    assertThat(numbers(summary.get("produced"))).startsWith(readings, records);
    assertThat(numbers(summary.get("depot " + RAW)))
        .startsWith(depot.readings.get(RAW), depot.records.get(RAW));
    assertThat(numbers(summary.get("depot " + UNIQUE)))
        .startsWith(depot.readings.get(UNIQUE), depot.records.get(UNIQUE));

    long distinct = depot.keys.get(RAW).size();
    long duplicatesSent = readings - distinct;
    assertThat(duplicatesSent).as("the workload re-sent some uploads").isPositive();
    assertThat(numbers(summary.get("duplicates sent")))
        .startsWith(duplicatesSent, depot.repeatRecords);
    assertThat(numbers(summary.get("duplicates dropped")))
        .startsWith(
            duplicatesSent,
            depot.records.get(RAW) - depot.records.get(UNIQUE),
            depot.trimmedRecords);

    // exactly once: every distinct reading once in the deduplicated topic, nothing else; a record
    // for each raw record with a new reading, none for a raw record of repeats only
    assertThat(depot.readings.get(UNIQUE)).isEqualTo(distinct);
    assertThat(depot.keys.get(UNIQUE)).isEqualTo(depot.keys.get(RAW));
    assertThat(depot.records.get(UNIQUE)).isEqualTo(depot.records.get(RAW) - depot.repeatRecords);
    assertThat(summary.get("depot verified")).startsWith("yes");
    assertThat(numbers(summary.get("depot verified")))
        .startsWith(depot.records.get(RAW) + depot.records.get(UNIQUE))
        .contains(distinct);
    assertThat(summary.get("data")).contains("depot");
  }

  /**
   * Whether the process runs: it exists and is not a zombie (a child whose parent was killed stays
   * a zombie until some process reaps it, and ProcessHandle calls that alive).
   */
  private static boolean running(long pid) {
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    try {
      String text = Files.readString(stat);
      return text.charAt(text.lastIndexOf(')') + 2) != 'Z';
    } catch (IOException e) {
      return false; // gone
    }
  }

  /** Whether SIGINT (2) is in the process's ignored signal mask ({@code /proc/PID/status}). */
  private static boolean ignoresSigint(long pid) throws IOException {
    Path status = Path.of("/proc", Long.toString(pid), "status");
    if (!Files.exists(status)) {
      return false;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 1)) != 0;
      }
    }
    return false;
  }

  /** The whole numbers in a summary row, in order ("1,234" is one number). */
  private static List<Long> numbers(String value) {
    assertThat(value).isNotNull();
    List<Long> numbers = new ArrayList<>();
    Matcher m = Pattern.compile("\\d[\\d,]*").matcher(value);
    while (m.find()) {
      numbers.add(Long.parseLong(m.group().replace(",", "")));
    }
    assertThat(numbers).as(value).isNotEmpty();
    return numbers;
  }

  private static List<Long> pids(Path data) throws IOException {
    List<Long> pids = new ArrayList<>();
    for (String line : Files.readAllLines(data.resolve("pids"))) {
      pids.add(Long.parseLong(line.split(" ")[0]));
    }
    return pids;
  }

  /** No process whose command line names the data directory (every child's does). */
  private static void assertNoProcessLeft(Path data) throws IOException {
    assertThat(pids(data)).isNotEmpty();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    List<String> left;
    do {
      left =
          ProcessHandle.allProcesses()
              .filter(p -> p.info().commandLine().orElse("").contains(data.toString()))
              .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
              .toList();
      if (left.isEmpty()) {
        return;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
    } while (System.nanoTime() < deadline);
    assertThat(left).as("processes left behind").isEmpty();
  }

  private Run start(Path data, String... options) throws IOException {
    Path stdout = tmp.resolve(data.getFileName() + ".out");
    Path stderr = tmp.resolve(data.getFileName() + ".err");
    ChildJvm quickstart =
        ChildJvm.script(HOME.resolve("quickstart"))
            .args("--no-build", "--data", data.toString())
            .args(options)
            .directory(HOME)
            .log(stdout)
            .errors(stderr)
            .start();
    return new Run(quickstart, stdout, stderr);
  }

  private record Run(ChildJvm quickstart, Path stdoutFile, Path stderrFile) {
    Process process() {
      return quickstart.process();
    }

    /** Its exit code; fails, stopping it (SIGTERM, then SIGKILL), if it runs on too long. */
    int awaitExit() throws InterruptedException {
      if (!process().waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        quickstart.close();
        throw new AssertionError(
            "the quickstart did not finish in " + RUN_TIMEOUT + "\n" + describe());
      }
      return process().exitValue();
    }

    void awaitOutput(String text) {
      try {
        quickstart.awaitLog(text, RUN_TIMEOUT);
      } catch (AssertionError e) {
        quickstart.close();
        throw new AssertionError(e.getMessage() + "\n" + describe(), e);
      }
    }

    String stdout() throws IOException {
      return Files.readString(stdoutFile, StandardCharsets.UTF_8);
    }

    String stderr() throws IOException {
      return Files.readString(stderrFile, StandardCharsets.UTF_8);
    }

    String describe() {
      try {
        return "stdout:\n" + stdout() + "\nstderr:\n" + stderr();
      } catch (IOException e) {
        return e.toString();
      }
    }

    /** The rows of the summary table: name to value. */
    Map<String, String> summary() throws IOException {
      Map<String, String> rows = new LinkedHashMap<>();
      boolean in = false;
      for (String line : stdout().lines().toList()) {
        if (line.equals("Quickstart summary")) {
          in = true;
        } else if (in && line.isBlank()) {
          break;
        } else if (in) {
          Matcher m = Pattern.compile("^  (\\S.*?)\\s{2,}(\\S.*)$").matcher(line);
          assertThat(m.matches()).as(line).isTrue();
          rows.put(m.group(1), m.group(2));
        }
      }
      assertThat(rows).as("summary in:\n" + stdout()).containsKeys("produced", "depot verified");
      return rows;
    }
  }

  /**
   * The depot as read here: complete records, readings and the readings' keys per topic; the raw
   * records that repeat only readings sent before, and those that hold some new readings and some
   * repeats (which the dedup application forwards trimmed).
   */
  private static final class Depot {
    final Map<String, Long> records = new LinkedHashMap<>();
    final Map<String, Long> readings = new LinkedHashMap<>();
    final Map<String, Set<TimeKey>> keys = new LinkedHashMap<>();
    final Set<Integer> schemaIds = new HashSet<>();
    long repeatRecords;
    long trimmedRecords;
    long partial;

    /**
     * @param schema the generator's writer schema for Avro values (a reading or an upload), null
     *     for JSON values
     */
    static Depot read(Path root, Schema schema) throws IOException {
      Depot depot = new Depot();
      ObjectMapper json = new ObjectMapper();
      GenericDatumReader<GenericRecord> reader =
          schema == null ? null : new GenericDatumReader<>(schema);
      for (String topic : List.of(RAW, UNIQUE)) {
        long count = 0;
        long readingCount = 0;
        Set<TimeKey> keys = new HashSet<>();
        List<Path> partitions;
        try (Stream<Path> dirs = Files.list(root.resolve(topic))) {
          partitions = dirs.toList();
        }
        assertThat(partitions).as(topic + " partitions").hasSize(2);
        for (Path dir : partitions) {
          try (DepotQueue queue = DepotQueue.builder(dir).readOnly(true).build();
              DepotCursor cursor = queue.stream()) {
            DepotRecord record;
            while ((record = cursor.next()) != null) {
              if (!record.complete()) {
                depot.partial++;
                continue;
              }
              count++;
              DepotEnvelope envelope = EnvelopeCodec.decode(record.item());
              assertThat(envelope.topic()).isEqualTo(topic);
              List<TimeKey> inRecord = decode(envelope.value(), reader, json, depot.schemaIds);
              assertThat(inRecord).as("readings in a record").isNotEmpty();
              readingCount += inRecord.size();
              int fresh = 0;
              for (TimeKey key : inRecord) {
                if (keys.add(key)) {
                  fresh++;
                } else if (topic.equals(UNIQUE)) {
                  throw new AssertionError(UNIQUE + " holds " + key + " twice");
                }
              }
              if (topic.equals(RAW) && fresh == 0) {
                depot.repeatRecords++;
              } else if (topic.equals(RAW) && fresh < inRecord.size()) {
                depot.trimmedRecords++;
              }
            }
          }
        }
        depot.records.put(topic, count);
        depot.readings.put(topic, readingCount);
        depot.keys.put(topic, keys);
      }
      return depot;
    }

    /** The readings of one value: a reading, or an upload's array of readings. */
    private static List<TimeKey> decode(
        byte[] v, GenericDatumReader<GenericRecord> reader, ObjectMapper json, Set<Integer> ids)
        throws IOException {
      List<TimeKey> keys = new ArrayList<>();
      if (reader != null) {
        assertThat(v[0]).as("magic byte").isZero();
        ids.add(
            ((v[1] & 0xff) << 24) | ((v[2] & 0xff) << 16) | ((v[3] & 0xff) << 8) | (v[4] & 0xff));
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(v, 5, v.length - 5, null);
        GenericRecord r = reader.read(null, decoder);
        assertThat(decoder.isEnd()).as("nothing after the record").isTrue();
        if (r.getSchema().getField("readings") == null) {
          keys.add(avroKey(r));
        } else {
          for (Object reading : (List<?>) r.get("readings")) {
            GenericRecord one = (GenericRecord) reading;
            assertThat(one.get("user_id")).isEqualTo(r.get("user_id"));
            assertThat(one.get("device_id")).isEqualTo(r.get("device_id"));
            keys.add(avroKey(one));
          }
        }
        return keys;
      }
      JsonNode node = json.readTree(v);
      if (node.has("readings")) {
        for (JsonNode reading : node.get("readings")) {
          assertThat(reading.get("user_id")).isEqualTo(node.get("user_id"));
          keys.add(jsonKey(reading));
        }
      } else {
        keys.add(jsonKey(node));
      }
      return keys;
    }

    private static TimeKey avroKey(GenericRecord r) {
      return TimeKey.of(
          (Long) r.get("ts_us"), (Integer) r.get("user_id"), (Integer) r.get("device_id"));
    }

    private static TimeKey jsonKey(JsonNode node) {
      return TimeKey.of(
          node.get("ts_us").asLong(), node.get("user_id").asInt(), node.get("device_id").asInt());
    }
  }
}
