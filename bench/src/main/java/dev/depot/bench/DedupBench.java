package dev.depot.bench;

import dev.depot.generator.SeedWorkload;
import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.DedupProcessorSupplier;
import dev.depot.streams.DedupStores;
import dev.depot.streams.Deduplicate;
import dev.depot.streams.TimeKeyStoreBuilder;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The time-key store vs Kafka Streams' RocksDB window store and RocksDB key-value store as the
 * state of one dedup topology, in TopologyTestDriver, in one JVM; then the dedup application on an
 * in-process broker.
 *
 * <pre>
 * bench/run dedup [--quick] [--records N] [--e2e-records N] [--runs N] [--dir PATH]
 * </pre>
 *
 * <p>Workload ({@link SeedWorkload}, seed 42): 1,000 users x 4 devices at 10 Hz, 5,000-key batches,
 * 10 % of batches re-sent whole 1 to 50 batches later. Each reading becomes a record keyed by its
 * device (8 bytes) whose value is a {@value Readings#BYTES}-byte binary reading ({@link Readings}),
 * timestamped with the reading's time in ms. 5 M records by default, 500 k with {@code --quick}.
 *
 * <p>Topology, the same for all: {@code stream(readings, bytes/bytes).processValues(dedup)
 * .to(readings-unique)}, where every dedup processor decodes the time key with the same extractor
 * ({@link Readings#BINARY}) and keys its store by the key's 16 bytes:
 *
 * <ul>
 *   <li>{@code depot}: {@code Deduplicate.firstSeen("dedup", extractor)} with {@code
 *       DedupStores.timeKeySet("dedup").retention(2 h).checkpointInterval(5 s)} (1-hour segments,
 *       256 MiB memory limit: the defaults);
 *   <li>{@code rocksdb_window}: the classic Kafka Streams dedup processor over {@code
 *       Stores.persistentWindowStore("dedup", 2 h, 1 ms, false)} (1-hour segments, Kafka's default
 *       for a 2 h retention; the window size plays no part in a fetch or put at one timestamp):
 *       {@code fetch(key, ts)}, then {@code results.rate(key, empty, ts)} when absent;
 *   <li>{@code rocksdb_kv}: {@code Stores.persistentKeyValueStore("dedup")}, {@code
 *       putIfAbsent(key, empty)} (a get, then a put; no expiry);
 *   <li>{@code heap_set}, not a contender: a {@code HashSet} in the processor, no state store and
 *       no changelog; the floor of what the driver, the extraction and forwarding cost.
 * </ul>
 *
 * All stores have caching off and logging on (each new key goes to the changelog, captured by the
 * driver's mock producer), so the comparison is like for like; each is wrapped in the same
 * pass-through {@link StoreProbe}. The driver commits after every record. The processors are
 * checked against each other and against a {@code HashSet} of the workload's keys: each must
 * forward exactly the unique readings (and log each once), else the bench exits non-zero.
 *
 * <p>Timed: piping every record into the driver (including duplicates), reading and discarding the
 * output and changelog records after each batch of 5,000, and generating the workload; records/s is
 * input records over that time. Every contender first runs an untimed warm-up of 10 % of the
 * records (at most 200 k) in a driver of its own, so that no contender pays the JIT's warm-up. Then
 * the contenders take turns, 3 runs each (1 with {@code --quick}; {@code --runs N}), each run in a
 * new driver with an empty state directory; the median is reported, and the state bytes of the last
 * run.
 *
 * <p>State bytes per key: all files under the task's state directory (store files, checkpoint and
 * offsets files, locks; RocksDB's SST files, WAL, MANIFEST, OPTIONS, info LOG, CURRENT...) over the
 * unique keys. After the last record the bench waits 5 s and pipes the first reading again (a
 * duplicate), so that the commit that follows lets the time-key store write its checkpoint (due
 * every 5 s; its periodic checkpoints during the run count in its time). Then the directory is
 * measured ({@code state_bytes_per_key.before_close}), and again right after the store has closed,
 * before the driver deletes it ({@code state_bytes_per_key}; see {@link StoreProbe}): Kafka Streams
 * runs RocksDB with its write-ahead log off and a commit does not flush it, so keys still in a
 * memtable reach the disk only at RocksDB's next flush (a full memtable, or close). Progress on
 * stderr shows the files by kind and RocksDB's memtable and SST figures before close.
 *
 * <p>End-to-end: see {@link DedupEndToEnd}: the dedup application, then the RocksDB window store
 * processor in its place, on an in-process broker; 1 M records (500 k with {@code --quick}: the
 * first 200 k readings of the workload hold no re-sent batch yet). Unlike the driver, which commits
 * after every record, they commit every second: a RocksDB store then writes its changelog offsets
 * (into a column family with a 1 MiB memtable, flushed atomically with the data) once a second
 * instead of once a record.
 *
 * <p>Output: {@code name: value} lines on stdout, progress on stderr.
 */
public final class DedupBench {
  static final String APP_ID = "dedup-bench";
  static final String INPUT = "readings";
  static final String OUTPUT = "readings-unique";
  static final String STORE = "dedup";
  static final String CHANGELOG = APP_ID + "-" + STORE + "-changelog";
  static final Duration RETENTION = Duration.ofHours(2);
  static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(5);
  static final Duration WINDOW_SIZE = Duration.ofMillis(1);

  /** The contenders, in the order they take turns. */
  enum Kind {
    DEPOT("depot"),
    ROCKSDB_WINDOW("rocksdb_window"),
    ROCKSDB_KV("rocksdb_kv"),
    HEAP_SET("heap_set");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  /** One driver run. */
  private record Run(
      long records,
      long unique,
      long logged,
      double perSecond,
      Map<String, Long> filesBeforeClose,
      Map<String, Long> filesAtClose) {}

  private final PrintStream progress = System.err;
  private final Figures results;
  private final long records;
  private final long warmup;
  private final int e2eRecords;
  private final int runs;
  private final Path root;
  private int drivers;

  private DedupBench(
      long records, long warmup, int e2eRecords, int runs, Path root, Figures results) {
    this.records = records;
    this.warmup = warmup;
    this.e2eRecords = e2eRecords;
    this.runs = runs;
    this.root = root;
    this.results = results;
  }

  public static void main(String[] args) throws Exception {
    BenchArgs in =
        BenchArgs.read(
            "dedup",
            "Kafka Streams dedup: the time-key store vs RocksDB window and key-value stores in"
                + " TopologyTestDriver, and the dedup app on an in-process broker.",
            args,
            BenchArgs.number(
                "--records",
                "records through each store in TopologyTestDriver (default 5,000,000; --quick"
                    + " 500,000)"),
            BenchArgs.number(
                "--e2e-records",
                "records through the dedup app on a broker (default 1,000,000; --quick 500,000;"
                    + " 0 skips it)"),
            BenchArgs.number(
                "--runs", "timed runs per store, median reported (default 3; --quick 1)"));
    if (in == null) {
      return;
    }
    boolean quick = in.quick();
    long records = in.number("--records", 10_000, Long.MAX_VALUE, quick ? 500_000 : 5_000_000);
    int e2eRecords =
        (int) in.number("--e2e-records", 0, Integer.MAX_VALUE, quick ? 500_000 : 1_000_000);
    int runs = (int) in.number("--runs", 1, 1000, quick ? 1 : 3);
    // Kafka Streams and the broker log at WARN on stderr
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    long warmup = Math.min(records / 10, 200_000);
    BenchRun.inTempRoot(
        in.dir(),
        "dedup-bench-",
        (root, figures) -> new DedupBench(records, warmup, e2eRecords, runs, root, figures).run());
  }

  static SeedWorkload seed() {
    return new SeedWorkload(42, 1000, 4, 10, 5000, 0.10, 0, 0, 1);
  }

  /** Returns the exit status: 0, or 1 when the contenders disagree. */
  private int run() throws Exception {
    progress.printf("workload: %s; %,d records per run%n", seed(), records);
    long expected = uniqueKeys(records);
    progress.printf(Locale.ROOT, "unique readings among them: %,d%n", expected);

    for (Kind kind : Kind.values()) {
      drive(kind, warmup, "warmup-" + kind.label, false);
    }
    Map<Kind, double[]> rates = new LinkedHashMap<>();
    Map<Kind, Run> last = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    for (int r = 0; r < runs; r++) {
      for (Kind kind : Kind.values()) {
        Run run = drive(kind, records, kind.label, true);
        rates.computeIfAbsent(kind, k -> new double[runs])[r] = run.perSecond();
        last.put(kind, run);
        if (run.unique() != expected) {
          errors.add(
              kind.label
                  + " forwarded "
                  + run.unique()
                  + " records but "
                  + expected
                  + " are unique");
        }
        if (kind != Kind.HEAP_SET && run.logged() != run.unique()) {
          errors.add(
              kind.label
                  + " wrote "
                  + run.logged()
                  + " changelog records for "
                  + run.unique()
                  + " new keys");
        }
      }
    }

    results.put("dedup.records", Long.toString(records));
    results.put("dedup.unique_keys", Long.toString(expected));
    for (Kind kind : Kind.values()) {
      results.rate("dedup." + kind.label + ".records_per_s", Figures.median(rates.get(kind)));
    }
    double depot = Figures.median(rates.get(Kind.DEPOT));
    results.ratio(
        "ratio.dedup_depot_vs_rocksdb_window",
        depot / Figures.median(rates.get(Kind.ROCKSDB_WINDOW)));
    results.ratio(
        "ratio.dedup_depot_vs_rocksdb_kv", depot / Figures.median(rates.get(Kind.ROCKSDB_KV)));
    Map<Kind, Double> perKey = new LinkedHashMap<>();
    for (Kind kind : List.of(Kind.DEPOT, Kind.ROCKSDB_WINDOW, Kind.ROCKSDB_KV)) {
      Run run = last.get(kind);
      double bytes = (double) run.filesAtClose().getOrDefault("total", 0L) / run.unique();
      perKey.put(kind, bytes);
      results.ratio("dedup." + kind.label + ".state_bytes_per_key", bytes);
    }
    for (Kind kind : List.of(Kind.DEPOT, Kind.ROCKSDB_WINDOW, Kind.ROCKSDB_KV)) {
      Run run = last.get(kind);
      results.ratio(
          "dedup." + kind.label + ".state_bytes_per_key.before_close",
          (double) run.filesBeforeClose().getOrDefault("total", 0L) / run.unique());
    }
    results.ratio(
        "ratio.dedup_rocksdb_window_vs_depot_state_bytes",
        perKey.get(Kind.ROCKSDB_WINDOW) / perKey.get(Kind.DEPOT));
    results.ratio(
        "ratio.dedup_rocksdb_kv_vs_depot_state_bytes",
        perKey.get(Kind.ROCKSDB_KV) / perKey.get(Kind.DEPOT));

    if (!errors.isEmpty()) {
      return failed(errors);
    }

    if (e2eRecords > 0) {
      long e2eExpected = uniqueKeys(e2eRecords);
      List<DedupEndToEnd.Result> e2e = new DedupEndToEnd(root, e2eRecords, progress).run();
      DedupEndToEnd.Result ours = e2e.get(0);
      DedupEndToEnd.Result window = e2e.get(1);
      results.put("dedup.e2e.records", Integer.toString(e2eRecords));
      results.put("dedup.e2e.unique_keys", Long.toString(e2eExpected));
      results.rate("dedup.e2e.depot.records_per_s_per_thread", ours.perSecond());
      results.rate(
          "dedup.e2e.depot.records_per_s_per_thread.after_first_commit",
          ours.perSecondAfterFirstCommit());
      results.rate("dedup.e2e.rocksdb_window.records_per_s_per_thread", window.perSecond());
      results.rate(
          "dedup.e2e.rocksdb_window.records_per_s_per_thread.after_first_commit",
          window.perSecondAfterFirstCommit());
      results.ratio(
          "ratio.dedup_e2e_depot_vs_rocksdb_window", ours.perSecond() / window.perSecond());
      for (int k = 0; k < e2e.size(); k++) {
        if (e2e.get(k).unique() != e2eExpected) {
          errors.add(
              (k == 0 ? "the dedup application" : "the RocksDB window store application")
                  + " wrote "
                  + e2e.get(k).unique()
                  + " records but "
                  + e2eExpected
                  + " of its input are unique");
        }
      }
      if (!errors.isEmpty()) {
        return failed(errors);
      }
    }
    results.put("bench.runs", Integer.toString(runs));
    return 0;
  }

  /**
   * Prints the errors on stderr; returns the exit status of a failed run (the figures so far
   * print).
   */
  private static int failed(List<String> errors) {
    for (String error : errors) {
      System.err.println("dedup bench: FAILED: " + error);
    }
    return 1;
  }

  /** Unique time keys among the workload's first {@code records} readings. */
  private static long uniqueKeys(long records) {
    SeedWorkload workload = seed();
    long[] micros = new long[workload.batchKeys()];
    long[] ids = new long[workload.batchKeys()];
    Set<TimeKey> seen = new HashSet<>((int) Math.min(records * 4 / 3 + 16, Integer.MAX_VALUE));
    long done = 0;
    while (done < records) {
      int n = (int) Math.min(workload.next(micros, ids), records - done);
      for (int i = 0; i < n; i++) {
        seen.add(TimeKey.of(micros[i], ids[i]));
      }
      done += n;
    }
    return seen.size();
  }

  private static Topology topology(Kind kind, StoreProbe probe) {
    FixedKeyProcessorSupplier<byte[], byte[], byte[]> dedup =
        switch (kind) {
          case DEPOT -> {
            TimeKeyStoreBuilder store =
                DedupStores.timeKeySet(STORE)
                    .retention(RETENTION)
                    .checkpointInterval(CHECKPOINT_INTERVAL);
            DedupProcessorSupplier<byte[], byte[]> ours =
                Deduplicate.firstSeen(STORE, Readings.BINARY).withStore(store);
            StoreBuilder<KeyValueStore<Bytes, byte[]>> probed = probe.keyValue(store);
            // ours, with its store wrapped by the probe as the peers' are
            yield new FixedKeyProcessorSupplier<>() {
              @Override
              public FixedKeyProcessor<byte[], byte[], byte[]> get() {
                return ours.get();
              }

              @Override
              public Set<StoreBuilder<?>> stores() {
                return Set.of(probed);
              }
            };
          }
          case ROCKSDB_WINDOW -> {
            StoreBuilder<WindowStore<Bytes, byte[]>> store =
                Stores.windowStoreBuilder(
                        Stores.persistentWindowStore(STORE, RETENTION, WINDOW_SIZE, false),
                        Serdes.Bytes(),
                        Serdes.ByteArray())
                    .withCachingDisabled();
            yield PeerDedupProcessors.window(probe.window(store), Readings.BINARY);
          }
          case ROCKSDB_KV -> {
            StoreBuilder<KeyValueStore<Bytes, byte[]>> store =
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(STORE), Serdes.Bytes(), Serdes.ByteArray())
                    .withCachingDisabled();
            yield PeerDedupProcessors.keyValue(probe.keyValue(store), Readings.BINARY);
          }
          case HEAP_SET -> PeerDedupProcessors.heapSet(Readings.BINARY);
        };
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(INPUT, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .processValues(dedup)
        .to(OUTPUT, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    return builder.build();
  }

  /**
   * Pipes the workload's first {@code count} readings through a new driver; with {@code measure},
   * lets the time-key store checkpoint before measuring the state directory.
   */
  private Run drive(Kind kind, long count, String name, boolean measure) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP_ID);
    props.put(StreamsConfig.STATE_DIR_CONFIG, root.resolve("ttd-" + drivers++).toString());
    StoreProbe probe = new StoreProbe();
    boolean logs = kind != Kind.HEAP_SET;
    SeedWorkload workload = seed();
    long[] micros = new long[workload.batchKeys()];
    long[] ids = new long[workload.batchKeys()];
    long done = 0;
    long unique = 0;
    long logged = 0;
    long elapsed;
    Map<String, Long> beforeClose;
    try (TopologyTestDriver driver = new TopologyTestDriver(topology(kind, probe), props)) {
      ByteArraySerializer ser = new ByteArraySerializer();
      ByteArrayDeserializer de = new ByteArrayDeserializer();
      TestInputTopic<byte[], byte[]> in = driver.createInputTopic(INPUT, ser, ser);
      TestOutputTopic<byte[], byte[]> out = driver.createOutputTopic(OUTPUT, de, de);
      TestOutputTopic<byte[], byte[]> changelog =
          logs ? driver.createOutputTopic(CHANGELOG, de, de) : null;
      long firstMicros = 0;
      long firstId = 0;
      long started = System.nanoTime();
      long nextReport = started + Duration.ofSeconds(15).toNanos();
      while (done < count) {
        int n = (int) Math.min(workload.next(micros, ids), count - done);
        if (done == 0) {
          firstMicros = micros[0];
          firstId = ids[0];
        }
        for (int i = 0; i < n; i++) {
          in.pipeInput(
              Readings.key(ids[i]),
              Readings.binary(micros[i], ids[i]),
              Readings.timestampMs(micros[i]));
        }
        done += n;
        unique += out.readValuesToList().size();
        if (logs) {
          logged += changelog.readValuesToList().size();
        }
        long now = System.nanoTime();
        if (now > nextReport) {
          progress.printf(
              Locale.ROOT,
              "[%s] %,d of %,d records, %,.0f records/s so far%n",
              name,
              done,
              count,
              done * 1e9 / (now - started));
          nextReport = now + Duration.ofSeconds(15).toNanos();
        }
      }
      long ended = System.nanoTime();
      elapsed = ended - started;

      // Let the time-key store's checkpoint come due, then make the driver commit once more
      // with a re-sent reading (a duplicate: no output, nothing new in any store).
      long due =
          measure && logs
              ? ended + CHECKPOINT_INTERVAL.toNanos() + Duration.ofMillis(200).toNanos()
              : ended;
      while (System.nanoTime() < due) {
        LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
      }
      in.pipeInput(
          Readings.key(firstId),
          Readings.binary(firstMicros, firstId),
          Readings.timestampMs(firstMicros));
      long extra = out.readValuesToList().size() + (logs ? changelog.readValuesToList().size() : 0);
      if (extra != 0) {
        throw new IllegalStateException(name + ": the re-sent first reading was taken as new");
      }
      beforeClose = StoreProbe.sizes(probe.taskDir());
      if (measure && logs) {
        progress.printf("[%s] store metrics before close: %s%n", name, storeMetrics(driver));
      }
    }
    Map<String, Long> atClose = probe.filesAtClose();
    double rate = done * 1e9 / elapsed;
    progress.printf(
        Locale.ROOT,
        "[%s] %,d records (%,d unique, %,d logged) in %.2f s: %,.0f records/s%n",
        name,
        done,
        unique,
        logged,
        elapsed / 1e9,
        rate);
    if (measure && logs) {
      progress.printf(
          Locale.ROOT,
          "[%s] state files before close %s; at close %s (bytes)%n",
          name,
          beforeClose,
          atClose);
    }
    return new Run(done, unique, logged, rate, beforeClose, atClose);
  }

  /** RocksDB's own figures as Kafka Streams exposes them, where there are any. */
  private static Map<String, Object> storeMetrics(TopologyTestDriver driver) {
    Map<String, Object> figures = new java.util.TreeMap<>();
    for (Map.Entry<org.apache.kafka.common.MetricName, ? extends org.apache.kafka.common.Metric> e :
        driver.metrics().entrySet()) {
      String n = e.getKey().name();
      if (n.equals("cur-size-all-mem-tables")
          || n.equals("size-all-mem-tables")
          || n.equals("estimate-num-keys")
          || n.equals("total-sst-files-size")
          || n.equals("live-sst-files-size")
          || n.equals("num-immutable-mem-table")) {
        figures.put(n, e.getValue().metricValue());
      }
    }
    return figures;
  }
}
