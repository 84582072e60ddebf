package dev.depot.bench;

import dev.depot.generator.ReadingGenerator;
import dev.depot.generator.SeedWorkload;
import dev.depot.registry.ConfluentWire;
import dev.depot.streams.app.DedupApp;
import dev.depot.streams.internal.KeyBlock;
import dev.depot.testing.TestFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * The dedup application end to end, batch records vs one reading per record, on a real broker in
 * this process; then a cold restore of the batch app's store from its changelog.
 *
 * <pre>
 * bench/run dedup-e2e [--quick] [--batch-readings N] [--reading-readings N] [--runs N]
 *                     [--jfr FILE] [--dir PATH]
 * </pre>
 *
 * <p>Workload: the seed ({@link SeedWorkload}, seed 42): 1,000 users x 4 devices at 10 Hz, each
 * reading up to 1 ms after its tick, uploads of 500 readings, 10 % of the uploads re-sent whole 1
 * to 50 uploads later. Values are Avro in the Confluent wire format, their writer schemas served by
 * an in-process stub registry ({@link RegistryStub}: {@code GET /schemas/ids/{id}} only). Record
 * key: the device's 8-byte id; record timestamp: when it was produced.
 *
 * <ul>
 *   <li>batch: topic {@code uploads}, one record per upload, {@code Upload {user_id: int,
 *       device_id: int, readings: array<Sample {ts_us: long, hr: int}>}}; the app with {@code
 *       dedup.record.layout=batch}, {@code dedup.batch.field=readings};
 *   <li>reading: topic {@code readings}, one record per reading, the generator's {@code Reading
 *       {ts_us: long, user_id: int, device_id: int, hr: int}} ({@link ReadingGenerator#SCHEMA});
 *       the app with {@code dedup.record.layout=reading}. The same readings in the same order, but
 *       only the first uploads' worth ({@code --reading-readings}): at its rate the whole workload
 *       would take most of an hour.
 * </ul>
 *
 * Both topics (one partition) are loaded before anything is timed. Each run is a new application
 * ({@link DedupApp#topology}; its own {@code application.id}, state directory, output topic and
 * changelog) with the settings of {@code config/streams-dedup.properties} ({@code exactly_once_v2},
 * one stream thread, commits every second, 1-hour segments, 256 MiB, 7 days) and no standby. The
 * contenders take turns (batch first), {@code --runs} times; medians are reported.
 *
 * <p>Timed: the bench polls the app's committed offset of its input partition every 50 ms. The
 * clock starts at the first commit seen and stops when the committed offset reaches the end of the
 * topic; readings/s is the readings between those two offsets over that time (start-up, the group
 * join and the first second of processing are not counted). The lowest rate over any 10-s stretch
 * between commits is printed as well, to show the rate is sustained. After each run the output
 * topic is read with {@code read_committed}: it must hold one record per upload that is not a
 * re-send (batch) or one per distinct reading (reading), else the bench exits 1.
 *
 * <p>Changelog bytes per key: the size of the store's changelog partition on the broker ({@code
 * describeLogDirs}: record batches, their headers and the transaction markers), over the distinct
 * readings of the run.
 *
 * <p>Restore: after the last run, the last batch app's state directory is deleted and the same
 * application started again with a restore listener: keys in its changelog (decoded with {@link
 * KeyBlock#keysOf}, and checked against the distinct readings) over the time from {@code start()}
 * to RUNNING.
 *
 * <p>{@code --jfr FILE}: records the first batch run (from the app's start to its end) with Flight
 * Recorder's {@code profile} settings into FILE.
 */
public final class DedupE2EBench {
  static {
    // Kafka Streams and the broker log at WARN on stderr; set before Avro's first logger below
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
  }

  static final String UPLOADS = "uploads";
  static final String READINGS = "readings";
  static final String STORE = "dedup";
  static final int UPLOAD_READINGS = 500;

  static final Schema SAMPLE =
      SchemaBuilder.record("Sample")
          .namespace("dev.depot.bench")
          .fields()
          .requiredLong("ts_us")
          .requiredInt("hr")
          .endRecord();
  static final Schema UPLOAD =
      SchemaBuilder.record("Upload")
          .namespace("dev.depot.bench")
          .fields()
          .requiredInt("user_id")
          .requiredInt("device_id")
          .name("readings")
          .type()
          .array()
          .items(SAMPLE)
          .noDefault()
          .endRecord();

  /** The two record layouts of the app. */
  enum Layout {
    BATCH("batch", UPLOADS, UPLOAD_READINGS),
    READING("reading", READINGS, 1);

    final String label;
    final String topic;
    final int readingsPerRecord;

    Layout(String label, String topic, int readingsPerRecord) {
      this.label = label;
      this.topic = topic;
      this.readingsPerRecord = readingsPerRecord;
    }
  }

  /** What was loaded into one topic. */
  private record Input(long records, long readings, long distinct, long uniqueRecords) {}

  /** One run of one app. */
  private record Run(
      String appId,
      Properties props,
      double perSecond,
      double lowestTenSeconds,
      double seconds,
      long changelogBytes) {}

  private final PrintStream progress = System.err;
  private final long batchReadings;
  private final long readingReadings;
  private final int runs;
  private final Path root;
  private final Path jfr;
  private final Map<Layout, Input> inputs = new HashMap<>();
  private BenchBroker broker;
  private RegistryStub registry;

  private DedupE2EBench(long batchReadings, long readingReadings, int runs, Path root, Path jfr) {
    this.batchReadings = batchReadings;
    this.readingReadings = readingReadings;
    this.runs = runs;
    this.root = root;
    this.jfr = jfr;
  }

  public static void main(String[] args) throws Exception {
    BenchArgs in =
        BenchArgs.read(
            "dedup-e2e",
            "The dedup app end to end on an in-process broker, Avro batch records vs one reading"
                + " per record; then a cold restore of its store.",
            args,
            BenchArgs.number(
                "--batch-readings",
                "readings in the batch app's input (default 450,000,000: over 60 s at 7 M/s;"
                    + " --quick 10,000,000)"),
            BenchArgs.number(
                "--reading-readings",
                "readings in the per-reading app's input, the first of the same (default"
                    + " 4,000,000; --quick 1,000,000)"),
            BenchArgs.number("--runs", "runs of each app, taking turns (default 3; --quick 1)"),
            BenchArgs.value("--jfr", "FILE", "record the first batch run with Flight Recorder"));
    if (in == null) {
      return;
    }
    boolean quick = in.quick();
    long batchReadings =
        in.number("--batch-readings", 10_000, 1_000_000_000, quick ? 10_000_000 : 450_000_000);
    long readingReadings =
        in.number("--reading-readings", 10_000, 1_000_000_000, quick ? 1_000_000 : 4_000_000);
    int runs = (int) in.number("--runs", 1, 100, quick ? 1 : 3);
    Path jfr = in.path("--jfr", null);
    BenchRun.inTempRoot(
        in.dir(),
        "dedup-e2e-",
        (root, figures) ->
            new DedupE2EBench(batchReadings, readingReadings, runs, root, jfr).run(figures));
  }

  static SeedWorkload seed() {
    return new SeedWorkload(42, 1000, 4, 10, UPLOAD_READINGS, 0.10, 0, 0, 1).withJitter(1000);
  }

  /** Returns the exit status: 0, or 1 when an app's output or changelog is not what it must be. */
  private int run(Figures figures) throws Exception {
    // records carry the time they were produced; no retention, in case a run takes long
    try (RegistryStub stub = RegistryStub.start();
        BenchBroker started =
            BenchBroker.start(root.resolve("kafka"), Map.of("log.retention.ms", "-1"))) {
      registry = stub;
      broker = started;
      progress.printf(
          Locale.ROOT,
          "[e2e] broker up in %.1f s at %s; registry stub at %s%n",
          broker.bootSeconds(),
          broker.bootstrap(),
          stub.url());
      broker.createTopics(1, UPLOADS, READINGS);
      load();
      return measureAll(figures);
    }
  }

  /** Produces both inputs in one pass over the workload. */
  private void load() throws IOException {
    long started = System.nanoTime();
    byte[] uploadHeader = ConfluentWire.header(registry.add(UPLOAD));
    byte[] readingHeader = ConfluentWire.header(registry.add(ReadingGenerator.SCHEMA));
    SeedWorkload workload = seed();
    progress.printf(Locale.ROOT, "[e2e] workload: %s, 1 ms jitter%n", workload);
    long[] micros = new long[workload.batchKeys()];
    long[] ids = new long[workload.batchKeys()];
    Map<String, Object> config = new HashMap<>();
    config.put("acks", "all");
    config.put("linger.ms", "20");
    config.put("batch.size", Integer.toString(1 << 20));
    config.put("buffer.memory", Long.toString(128L << 20));
    config.put("compression.type", "none");
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    BinaryEncoder encoder = null;
    long[] records = new long[2];
    long[] readings = new long[2];
    long[] distinct = new long[2];
    long[] uniqueRecords = new long[2];
    long nextReport = started + TimeUnit.SECONDS.toNanos(10);
    try (KafkaProducer<byte[], byte[]> producer = broker.producer(config)) {
      while (readings[0] < batchReadings) {
        int n = workload.next(micros, ids);
        boolean resent = workload.lastWasResend();
        long id = ids[0];
        byte[] key = Readings.key(id);
        // Upload: user_id, device_id, then one block of n samples and the end of the array
        out.reset();
        out.write(uploadHeader);
        encoder = EncoderFactory.get().directBinaryEncoder(out, encoder);
        encoder.writeInt((int) (id >>> 32));
        encoder.writeInt((int) id);
        encoder.writeArrayStart();
        encoder.setItemCount(n);
        for (int i = 0; i < n; i++) {
          encoder.startItem();
          encoder.writeLong(micros[i]);
          encoder.writeInt(Readings.heartRate(micros[i], id));
        }
        encoder.writeArrayEnd();
        encoder.flush();
        producer.send(new ProducerRecord<>(UPLOADS, 0, key, out.toByteArray()));
        count(0, n, resent, 1, records, readings, distinct, uniqueRecords);
        if (readings[1] < readingReadings) {
          for (int i = 0; i < n; i++) {
            out.reset();
            out.write(readingHeader);
            encoder = EncoderFactory.get().directBinaryEncoder(out, encoder);
            encoder.writeLong(micros[i]);
            encoder.writeInt((int) (id >>> 32));
            encoder.writeInt((int) id);
            encoder.writeInt(Readings.heartRate(micros[i], id));
            encoder.flush();
            producer.send(new ProducerRecord<>(READINGS, 0, key, out.toByteArray()));
          }
          count(1, n, resent, n, records, readings, distinct, uniqueRecords);
        }
        long now = System.nanoTime();
        if (now > nextReport) {
          progress.printf(
              Locale.ROOT,
              "[e2e] loading: %,d of %,d readings as uploads after %.0f s%n",
              readings[0],
              batchReadings,
              (now - started) / 1e9);
          nextReport = now + TimeUnit.SECONDS.toNanos(10);
        }
      }
      producer.flush();
    }
    for (Layout layout : Layout.values()) {
      int i = layout.ordinal();
      inputs.put(layout, new Input(records[i], readings[i], distinct[i], uniqueRecords[i]));
      progress.printf(
          Locale.ROOT,
          "[e2e] %s: %,d records, %,d readings, %,d distinct (%.1f %% repeats)%n",
          layout.topic,
          records[i],
          readings[i],
          distinct[i],
          100.0 * (readings[i] - distinct[i]) / readings[i]);
    }
    progress.printf(Locale.ROOT, "[e2e] loaded in %.1f s%n", (System.nanoTime() - started) / 1e9);
  }

  private static void count(
      int i,
      int n,
      boolean resent,
      int recordsAdded,
      long[] records,
      long[] readings,
      long[] distinct,
      long[] uniqueRecords) {
    records[i] += recordsAdded;
    readings[i] += n;
    if (!resent) {
      distinct[i] += n;
      uniqueRecords[i] += recordsAdded;
    }
  }

  private int measureAll(Figures figures) throws Exception {
    Map<Layout, List<Run>> done = new HashMap<>();
    List<String> errors = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      for (Layout layout : Layout.values()) {
        Run run = measure(layout, r, errors, r == 0 && layout == Layout.BATCH ? jfr : null);
        done.computeIfAbsent(layout, k -> new ArrayList<>()).add(run);
      }
    }
    double[] rate = new double[2];
    for (Layout layout : Layout.values()) {
      List<Run> list = done.get(layout);
      Input input = inputs.get(layout);
      double[] rates = list.stream().mapToDouble(Run::perSecond).toArray();
      double[] lowest = list.stream().mapToDouble(Run::lowestTenSeconds).toArray();
      double[] seconds = list.stream().mapToDouble(Run::seconds).toArray();
      double[] bytes = list.stream().mapToDouble(Run::changelogBytes).toArray();
      String prefix = "dedup.e2e." + layout.label + ".";
      rate[layout.ordinal()] = Figures.median(rates);
      figures.put(prefix + "readings", Long.toString(input.readings()));
      figures.put(prefix + "distinct_readings", Long.toString(input.distinct()));
      figures.rate(prefix + "readings_per_s", Figures.median(rates));
      figures.rate(prefix + "lowest_10s_readings_per_s", Figures.median(lowest));
      figures.put(
          prefix + "measured_s", String.format(Locale.ROOT, "%.1f", Figures.median(seconds)));
      figures.put(
          prefix + "changelog_bytes_per_key",
          String.format(Locale.ROOT, "%.3f", Figures.median(bytes) / input.distinct()));
    }
    figures.ratio(
        "ratio.dedup_e2e_batch_vs_reading",
        rate[Layout.BATCH.ordinal()] / rate[Layout.READING.ordinal()]);
    List<Run> batches = done.get(Layout.BATCH);
    restore(batches.get(batches.size() - 1), figures, errors);
    for (String error : errors) {
      progress.println("[e2e] ERROR: " + error);
    }
    return errors.isEmpty() ? 0 : 1;
  }

  /**
   * As config/streams-dedup.properties, on this broker and registry, with Avro values, a state
   * directory under the bench's root and no standby (there is one instance).
   */
  private Properties props(Layout layout, String name) {
    Properties props =
        broker.dedupApp(
            name, root.resolve("state-" + name), layout.topic, "unique-" + name, "avro");
    props.put("dedup.record.layout", layout.label);
    props.put("dedup.batch.field", "readings");
    props.put("dedup.time.field", "ts_us");
    props.put("dedup.user.field", "user_id");
    props.put("dedup.device.field", "device_id");
    props.put("dedup.id.type", "int");
    props.put("dedup.checkpoint.interval.ms", "60000");
    props.put("dedup.registry.url", registry.url());
    return props;
  }

  private Run measure(Layout layout, int r, List<String> errors, Path record) throws Exception {
    String name = "dedup-e2e-" + layout.label + "-" + r;
    Properties props = props(layout, name);
    String output = props.getProperty("dedup.output.topic");
    broker.createTopics(1, output);
    Input input = inputs.get(layout);
    BenchStreams app = new BenchStreams(DedupApp.topology(props), props, Duration.ofSeconds(60));
    List<long[]> commits = new ArrayList<>(); // {nanoTime, offset}, each new offset once
    Recording recording = null;
    long started = System.nanoTime();
    try {
      if (record != null) {
        recording = new Recording(Configuration.getConfiguration("profile"));
        recording.setToDisk(true);
        recording.start();
      }
      app.streams().start();
      app.awaitCommitted(
          broker.admin(),
          layout.topic,
          input.records(),
          Duration.ofMillis(50),
          started + TimeUnit.MINUTES.toNanos(30),
          new BenchBroker.CommitWatch() {
            long reportedOffset = 0;
            long reportedAt = started;

            @Override
            public void committed(long now, long offset) {
              if (offset > 0
                  && (commits.isEmpty() || commits.get(commits.size() - 1)[1] != offset)) {
                commits.add(new long[] {now, offset});
              }
            }

            @Override
            public void report(long now, long offset) {
              progress.printf(
                  Locale.ROOT,
                  "[e2e %s] committed %,d of %,d records after %.0f s (%,.0f readings/s lately)%n",
                  name,
                  offset,
                  input.records(),
                  (now - started) / 1e9,
                  (offset - reportedOffset)
                      * layout.readingsPerRecord
                      / ((now - reportedAt) / 1e9));
              reportedOffset = offset;
              reportedAt = now;
            }
          });
    } finally {
      if (recording != null) {
        recording.stop();
        recording.dump(record);
        recording.close();
        progress.println("[e2e] Flight Recorder file: " + record);
      }
      app.close();
    }
    long[] first = commits.get(0);
    long[] last = commits.get(commits.size() - 1);
    double seconds = (last[0] - first[0]) / 1e9;
    double rate = (last[1] - first[1]) * (double) layout.readingsPerRecord / seconds;
    double lowest = lowestRate(commits, TimeUnit.SECONDS.toNanos(10), layout.readingsPerRecord);
    String changelog = name + "-" + STORE + "-changelog";
    long changelogBytes = broker.partitionBytes(new TopicPartition(changelog, 0));
    long outputRecords = broker.countCommitted(output, Duration.ofMinutes(5), null);
    if (outputRecords != input.uniqueRecords()) {
      errors.add(
          name
              + " forwarded "
              + outputRecords
              + " records; "
              + input.uniqueRecords()
              + " hold new readings");
    }
    progress.printf(
        Locale.ROOT,
        "[e2e %s] %,d readings: %,.0f readings/s over %.1f s from the first commit (offset %,d,"
            + " %.1f s after start), lowest over 10 s %,.0f/s; output %,d records; changelog %,d"
            + " bytes, %.3f per distinct reading%n",
        name,
        input.readings(),
        rate,
        seconds,
        first[1],
        (first[0] - started) / 1e9,
        lowest,
        outputRecords,
        changelogBytes,
        changelogBytes / (double) input.distinct());
    return new Run(name, props, rate, lowest, seconds, changelogBytes);
  }

  /**
   * The lowest rate between two commits at least {@code window} apart with no commit between them
   * further than that from the first; the whole span when it is shorter than the window.
   */
  private static double lowestRate(List<long[]> commits, long window, int perRecord) {
    double lowest = Double.NaN;
    int j = 0;
    for (int i = 0; i < commits.size(); i++) {
      j = Math.max(j, i + 1);
      while (j < commits.size() && commits.get(j)[0] - commits.get(i)[0] < window) {
        j++;
      }
      if (j == commits.size()) {
        break;
      }
      long[] a = commits.get(i);
      long[] b = commits.get(j);
      double rate = (b[1] - a[1]) * (double) perRecord / ((b[0] - a[0]) / 1e9);
      lowest = Double.isNaN(lowest) ? rate : Math.min(lowest, rate);
    }
    if (Double.isNaN(lowest) && commits.size() > 1) {
      long[] a = commits.get(0);
      long[] b = commits.get(commits.size() - 1);
      lowest = (b[1] - a[1]) * (double) perRecord / ((b[0] - a[0]) / 1e9);
    }
    return lowest;
  }

  /** A cold restore of {@code run}'s store: its state directory deleted, the app started again. */
  private void restore(Run run, Figures figures, List<String> errors) throws Exception {
    Input input = inputs.get(Layout.BATCH);
    TopicPartition changelog = new TopicPartition(run.appId() + "-" + STORE + "-changelog", 0);
    AtomicLong keys = new AtomicLong();
    long blocks =
        broker.countCommitted(
            changelog.topic(),
            Duration.ofMinutes(5),
            record -> keys.addAndGet(KeyBlock.keysOf(record.key(), record.value()).size()));
    if (keys.get() != input.distinct()) {
      errors.add(
          changelog + " holds " + keys.get() + " keys; " + input.distinct() + " are distinct");
    }
    Path state = Path.of(run.props().getProperty("state.dir"));
    TestFiles.deleteTree(state);
    progress.printf(
        Locale.ROOT,
        "[e2e restore] %s: %,d records, %,d keys; state directory %s deleted%n",
        changelog,
        blocks,
        keys.get(),
        state);
    AtomicLong restored = new AtomicLong();
    AtomicLong restoreStart = new AtomicLong();
    AtomicLong restoreEnd = new AtomicLong();
    CountDownLatch running = new CountDownLatch(1);
    BenchStreams app =
        new BenchStreams(
            DedupApp.topology(run.props()),
            run.props(),
            Duration.ofSeconds(60),
            running::countDown);
    KafkaStreams streams = app.streams();
    streams.setGlobalStateRestoreListener(
        new StateRestoreListener() {
          @Override
          public void onRestoreStart(
              TopicPartition partition, String store, long startOffset, long endOffset) {
            restoreStart.set(System.nanoTime());
          }

          @Override
          public void onBatchRestored(
              TopicPartition partition, String store, long batchEndOffset, long numRestored) {
            restored.addAndGet(numRestored);
          }

          @Override
          public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
            restoreEnd.set(System.nanoTime());
          }
        });
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING || now == KafkaStreams.State.ERROR) {
            running.countDown();
          }
        });
    long started = System.nanoTime();
    long ready;
    try {
      streams.start();
      if (!running.await(10, TimeUnit.MINUTES)) {
        throw new IllegalStateException("the restored app was not RUNNING after 10 min");
      }
      ready = System.nanoTime();
      if (app.failure() != null || streams.state() != KafkaStreams.State.RUNNING) {
        throw new IllegalStateException("the restored app failed", app.failure());
      }
    } finally {
      app.close();
    }
    if (restored.get() != blocks) {
      errors.add("restored " + restored.get() + " changelog records of " + blocks);
    }
    double seconds = (ready - started) / 1e9;
    double restoreOnly = (restoreEnd.get() - restoreStart.get()) / 1e9;
    progress.printf(
        Locale.ROOT,
        "[e2e restore] RUNNING after %.2f s; the restore itself (listener start to end) %.2f s:"
            + " %,.0f keys/s%n",
        seconds,
        restoreOnly,
        keys.get() / restoreOnly);
    figures.put("dedup.restore.keys", Long.toString(keys.get()));
    figures.put("dedup.restore.seconds", String.format(Locale.ROOT, "%.2f", seconds));
    figures.rate("dedup.restore.keys_per_s", keys.get() / seconds);
  }
}
