package dev.depot.bench;

import dev.depot.generator.SeedWorkload;
import dev.depot.store.timekey.MemoryLimit;
import dev.depot.store.timekey.TimeKey;
import dev.depot.store.timekey.TimeKeyStats;
import dev.depot.store.timekey.TimeKeyStreamSet;
import dev.depot.testing.TestFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompactionStyle;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

/**
 * The time-key stream set vs a {@code HashSet<TimeKey>} and RocksDB (a get, then a put of each new
 * key, WAL off as Kafka Streams runs it), on the seed workload, in one JVM.
 *
 * <pre>
 * bench/run timekey [--quick] [--keys N] [--dir PATH] [--only seed|gateway|pressure]
 * </pre>
 *
 * <p>Workload ({@link SeedWorkload}): 1,000 users x 4 devices at 10 Hz, 5,000-key batches, 10 % of
 * batches re-sent whole (1 to 50 batches later); variants with 5 % of batches arriving late, with
 * two inserting threads (each owns half of the devices), and one with 40 devices, 10-minute
 * segments and a 256 KiB memory limit, so that segments are evicted and read back all along. Each
 * contender gets the same batches from the start of the same workload: the set 100 M keys per run
 * (20 M with {@code --quick}), each variant three times with the median reported; the HashSet 5 M
 * and RocksDB 5 M (1 M and 300 k with {@code --quick}), being slower or larger; rates are per key
 * all the same.
 *
 * <p>Two more workloads ({@link GatewayWorkload}), generated before the clock starts so that only
 * the insert calls are timed: {@code gateway_jitter}, 200 users x 3 devices at 1 kHz with +-1 ms
 * jitter, half of them behind gateways of 10 devices that send 20-300 ms of all their devices in
 * time order, 10 % re-sent and 5 % late (10 M keys, 4 M with {@code --quick}; one thread, then two
 * threads taking alternate batches, so both work on the same devices at the same time; the HashSet
 * on the first 5 M of the same keys); and {@code pressure}, 2,500 devices at 1-250 Hz with jitter,
 * 1-second segments, a backfill batch from a device that was offline after every 10th batch, and a
 * memory limit of 128 KiB, below the size of one segment (500 k keys, 200 k with {@code --quick};
 * one warm-up run first).
 *
 * <p>Timed (seed workload): the insert calls and the workload's generation of each batch (a few ns
 * per key, paid by every contender). Disk bytes per key: the set's segment files after a
 * checkpoint; RocksDB's files after a flush. Output: {@code name: value} lines on stdout, progress
 * on stderr.
 */
public final class TimeKeyBench {
  /** Runs of each set variant; the median is reported. */
  private static final int ITERATIONS = 3;

  /** Pseudo late rates that pick the evicting and the jittery workloads. */
  private static final double EVICTING = -1;

  private static final double JITTER = -2;

  private final PrintStream progress = System.err;
  private final Figures results = new Figures();
  private final long setKeys;
  private final long hashSetKeys;
  private final long rocksKeys;
  private final Path root;
  private boolean quick;

  private TimeKeyBench(long setKeys, long hashSetKeys, long rocksKeys, Path root) {
    this.setKeys = setKeys;
    this.hashSetKeys = hashSetKeys;
    this.rocksKeys = rocksKeys;
    this.root = root;
  }

  public static void main(String[] args) throws Exception {
    BenchArgs in =
        BenchArgs.read(
            "timekey",
            "The time-key stream set vs a HashSet and RocksDB.",
            args,
            BenchArgs.number(
                "--keys", "keys per set run (default 100,000,000; --quick 20,000,000)"),
            BenchArgs.value(
                "--only",
                "seed|gateway|pressure",
                "run one part only: seed, gateway or pressure (default: all three)"));
    if (in == null) {
      return;
    }
    boolean quick = in.quick();
    long keys = in.number("--keys", 100_000, Long.MAX_VALUE, -1);
    Path dir = in.dir();
    String only = in.string("--only", null);
    if (only != null && !List.of("seed", "gateway", "pressure").contains(only)) {
      throw in.fail("--only must be seed, gateway or pressure, was " + only);
    }
    long setKeys = keys > 0 ? keys : quick ? 20_000_000 : 100_000_000;
    long hashSetKeys = quick ? 1_000_000 : 5_000_000;
    long rocksKeys = quick ? 300_000 : 5_000_000;
    Path root = BenchFiles.tempRoot(dir, "timekey-bench-");
    try {
      TimeKeyBench bench =
          new TimeKeyBench(
              setKeys, Math.min(setKeys, hashSetKeys), Math.min(setKeys, rocksKeys), root);
      bench.quick = quick;
      if (only == null || only.equals("seed")) {
        bench.run();
      }
      if (only == null || only.equals("gateway")) {
        bench.runGateway();
      }
      if (only == null || only.equals("pressure")) {
        bench.runPressure();
      }
      bench.print();
    } finally {
      TestFiles.deleteTree(root);
    }
  }

  private static SeedWorkload seed(double lateRate, int thread, int threads) {
    return new SeedWorkload(42, 1000, 4, 10, 5000, 0.10, lateRate, thread, threads);
  }

  /** The seed workload with each reading up to 1 ms off its 100 ms tick, as real devices are. */
  private static SeedWorkload jittery() {
    return new SeedWorkload(44, 1000, 4, 10, 5000, 0.10, 0, 0, 1).withJitter(1000);
  }

  /**
   * For the evicting run: fewer devices, so that time moves on faster than with 4,000 devices and
   * the set keeps writing new segments while older ones go cold.
   */
  private static SeedWorkload fewDevices() {
    return new SeedWorkload(43, 10, 4, 10, 5000, 0.10, 0.05, 0, 1);
  }

  private void run() throws Exception {
    progress.printf("workload: %s%n", seed(0, 0, 1));
    // warm-up: the JIT sees every path before anything is measured
    runSet("warmup", setKeys / 10, 1, 0, Duration.ofHours(1), MemoryLimit.LOW, false);
    runHashSet(hashSetKeys / 10, false);
    runRocks(Math.min(rocksKeys / 10, 200_000), false);

    double[] set1 = new double[ITERATIONS];
    double[] set2 = new double[ITERATIONS];
    double[] late = new double[ITERATIONS];
    double[] evicting = new double[ITERATIONS];
    for (int i = 0; i < ITERATIONS; i++) {
      boolean last = i == ITERATIONS - 1;
      set1[i] = runSet("timekey", setKeys, 1, 0, Duration.ofHours(1), MemoryLimit.LOW, last);
      set2[i] =
          runSet("timekey.threads2", setKeys, 2, 0, Duration.ofHours(1), MemoryLimit.LOW, last);
      late[i] =
          runSet("timekey.late5", setKeys, 1, 0.05, Duration.ofHours(1), MemoryLimit.LOW, last);
      evicting[i] =
          runSet("timekey.evicting", setKeys, 1, EVICTING, Duration.ofMinutes(10), 256 << 10, last);
    }
    double jitter =
        runSet("timekey.jitter", setKeys, 1, JITTER, Duration.ofHours(1), MemoryLimit.HIGH, true);
    double hash = runHashSet(hashSetKeys, true);
    double rocks = runRocks(rocksKeys, true);

    results.rate("timekey.insert.keys_per_s", Figures.median(set1));
    results.rate("timekey.insert.keys_per_s.threads2", Figures.median(set2));
    results.rate("timekey.insert.keys_per_s.late5", Figures.median(late));
    results.rate("timekey.insert.keys_per_s.evicting", Figures.median(evicting));
    results.rate("timekey.insert.keys_per_s.jitter", jitter);
    results.rate("hashset.insert.keys_per_s", hash);
    results.rate("rocksdb.insert.keys_per_s", rocks);
    results.ratio("ratio.timekey_vs_rocksdb.insert", Figures.median(set1) / rocks);
    results.ratio("ratio.timekey_vs_hashset.insert", Figures.median(set1) / hash);
    results.ratio(
        "ratio.timekey_threads2_vs_threads1", Figures.median(set2) / Figures.median(set1));
    results.put("bench.iterations.timekey", Integer.toString(ITERATIONS));
  }

  private void print() {
    for (Map.Entry<String, String> e : results.entrySet()) {
      System.out.println(e.getKey() + ": " + e.getValue());
    }
  }

  /** Gateway batches with jitter: one thread, then two on the same batches in turn. */
  private void runGateway() throws Exception {
    GatewayWorkload workload = GatewayWorkload.gateways(45, quick ? 4_000_000 : 10_000_000);
    progress.printf("gateway workload: %s%n", workload);
    runBatches("warmup.gateway", workload, 1, Duration.ofHours(1), MemoryLimit.MEDIUM, false);
    double[] one = new double[ITERATIONS];
    double[] two = new double[ITERATIONS];
    for (int i = 0; i < ITERATIONS; i++) {
      boolean last = i == ITERATIONS - 1;
      one[i] =
          runBatches(
              "timekey.gateway_jitter", workload, 1, Duration.ofHours(1), MemoryLimit.MEDIUM, last);
      two[i] =
          runBatches(
              "timekey.gateway_jitter.threads2",
              workload,
              2,
              Duration.ofHours(1),
              MemoryLimit.MEDIUM,
              false);
    }
    double hash = runHashSet(workload, Math.min(workload.keys(), hashSetKeys));
    results.rate("timekey.gateway_jitter.keys_per_s", Figures.median(one));
    results.rate("timekey.gateway_jitter.keys_per_s.threads2", Figures.median(two));
    results.rate("hashset.gateway_jitter.keys_per_s", hash);
    results.ratio(
        "ratio.timekey_gateway_jitter_threads2_vs_threads1",
        Figures.median(two) / Figures.median(one));
    results.ratio("ratio.timekey_vs_hashset.gateway_jitter", Figures.median(one) / hash);
  }

  /**
   * Many devices at mixed rates, 1-second segments, backfill into old segments, and a memory limit
   * of 128 KiB: below one segment and about a twentieth of the data.
   */
  private void runPressure() throws Exception {
    GatewayWorkload workload = GatewayWorkload.pressure(46, quick ? 200_000 : 500_000);
    progress.printf("pressure workload: %s%n", workload);
    // warm-up, as the other parts have: the eviction and read-back paths are the JIT's to see
    runBatches("warmup.pressure", workload, 1, Duration.ofSeconds(1), 128 << 10, false);
    double[] rates = new double[ITERATIONS];
    for (int i = 0; i < ITERATIONS; i++) {
      rates[i] =
          runBatches(
              "timekey.pressure",
              workload,
              1,
              Duration.ofSeconds(1),
              128 << 10,
              i == ITERATIONS - 1);
    }
    results.rate("timekey.pressure.keys_per_s", Figures.median(rates));
  }

  /**
   * Inserts the pre-generated batches of {@code workload} into a new set, thread {@code t} of
   * {@code threads} taking batches {@code t}, {@code t + threads}, ...; only the insert calls are
   * timed. Returns keys per second.
   */
  private double runBatches(
      String name,
      GatewayWorkload workload,
      int threads,
      Duration interval,
      long memoryLimit,
      boolean report)
      throws Exception {
    List<InsertShare> shares = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      shares.add(set -> insertBatches(set, workload, thread, threads));
    }
    return timedInserts(name, workload.keys(), interval, memoryLimit, report, report, () -> shares);
  }

  /** One thread's part of a timed run: inserts into the set, returns how many keys were new. */
  private interface InsertShare {
    long insert(TimeKeyStreamSet set) throws Exception;
  }

  /** Makes the shares of a run; called inside the timed part, as their setup is part of it. */
  private interface Shares {
    List<InsertShare> make() throws Exception;
  }

  /**
   * Inserts {@code keys} keys into a new set in {@code root/name}, one thread per share (the
   * calling thread when there is one); times the shares and their making, then checkpoints, prints
   * the run, checks the set holds every new key, and deletes the set (every run starts empty).
   * Reports {@code name.*} ratios when {@code report}, and the key counts when {@code counts}.
   * Returns keys per second.
   */
  private double timedInserts(
      String name,
      long keys,
      Duration interval,
      long memoryLimit,
      boolean report,
      boolean counts,
      Shares make)
      throws Exception {
    Path dir = root.resolve(name);
    TimeKeyStreamSet set =
        TimeKeyStreamSet.builder()
            .directory(dir)
            .segmentInterval(interval)
            .memoryLimit(memoryLimit)
            .build();
    long started = System.nanoTime();
    List<InsertShare> shares = make.make();
    long[] news = new long[shares.size()];
    if (shares.size() == 1) {
      news[0] = shares.get(0).insert(set);
    } else {
      ExecutorService pool = Executors.newFixedThreadPool(shares.size());
      List<Future<Long>> futures = new ArrayList<>();
      for (InsertShare share : shares) {
        futures.add(pool.submit(() -> share.insert(set)));
      }
      for (int t = 0; t < shares.size(); t++) {
        news[t] = futures.get(t).get();
      }
      pool.shutdown();
    }
    long elapsed = System.nanoTime() - started;
    double rate = keys * 1e9 / elapsed;
    TimeKeyStats inMemory = set.stats();
    set.checkpoint();
    TimeKeyStats stats = set.stats();
    set.close();
    TestFiles.deleteTree(dir);
    long totalNew = Arrays.stream(news).sum();
    progress.printf(
        Locale.ROOT,
        "[%s] %,d keys (%,d new) in %.2f s: %,.0f keys/s; memory %,d B (peak %,d, limit %,d),"
            + " disk %,d B, %d evictions, %d loads%n",
        name,
        keys,
        totalNew,
        elapsed / 1e9,
        rate,
        inMemory.bytesInMemory(),
        stats.peakBytesInMemory(),
        memoryLimit,
        stats.bytesOnDisk(),
        stats.evictions(),
        stats.loads());
    if (stats.keys() != totalNew) {
      throw new IllegalStateException(
          name + ": the set holds " + stats.keys() + " keys but " + totalNew + " were new");
    }
    if (report) {
      results.ratio(
          name + ".peak_memory_vs_limit", (double) stats.peakBytesInMemory() / memoryLimit);
      results.ratio(name + ".disk_bytes_per_key", (double) stats.bytesOnDisk() / stats.keys());
      results.ratio(
          name + ".memory_bytes_per_key", (double) inMemory.bytesInMemory() / stats.keys());
    }
    if (report && counts) {
      results.put(name + ".keys", Long.toString(keys));
      results.put(name + ".new_keys", Long.toString(totalNew));
    }
    return rate;
  }

  private static long insertBatches(
      TimeKeyStreamSet set, GatewayWorkload workload, int thread, int threads) {
    boolean[] isNew = new boolean[workload.micros.length];
    long news = 0;
    for (int b = thread; b < workload.batches; b += threads) {
      int from = workload.batchStart[b];
      news +=
          set.insert(workload.micros, workload.ids, from, workload.batchStart[b + 1] - from, isNew);
    }
    return news;
  }

  /** Ends a timed HashSet run begun at {@code started}: prints it, returns keys per second. */
  private double hashSetDone(String label, long keys, long news, long started) {
    long elapsed = System.nanoTime() - started;
    double rate = keys * 1e9 / elapsed;
    progress.printf(
        Locale.ROOT,
        "[%s] %,d keys (%,d new) in %.2f s: %,.0f keys/s%n",
        label,
        keys,
        news,
        elapsed / 1e9,
        rate);
    return rate;
  }

  private double runHashSet(GatewayWorkload workload, long keys) {
    HashSet<TimeKey> set = new HashSet<>();
    long news = 0;
    long started = System.nanoTime();
    for (int i = 0; i < keys; i++) {
      if (set.add(TimeKey.of(workload.micros[i], workload.ids[i]))) {
        news++;
      }
    }
    double rate = hashSetDone("hashset.gateway_jitter", keys, news, started);
    return rate;
  }

  /** Inserts {@code keys} keys of the workload into a new set; returns keys per second. */
  private double runSet(
      String name,
      long keys,
      int threads,
      double lateRate,
      Duration interval,
      long memoryLimit,
      boolean report)
      throws Exception {
    Shares shares =
        () -> {
          if (threads == 1) {
            SeedWorkload workload =
                lateRate == EVICTING
                    ? fewDevices()
                    : lateRate == JITTER ? jittery() : seed(lateRate, 0, 1);
            return List.of(set -> insertShare(set, workload, keys));
          }
          List<InsertShare> list = new ArrayList<>();
          for (int t = 0; t < threads; t++) {
            SeedWorkload share = seed(lateRate, t, threads);
            list.add(set -> insertShare(set, share, keys / threads));
          }
          return list;
        };
    return timedInserts(name, keys, interval, memoryLimit, report, name.equals("timekey"), shares);
  }

  private static long insertShare(TimeKeyStreamSet set, SeedWorkload workload, long keys) {
    long[] micros = new long[workload.batchKeys()];
    long[] ids = new long[workload.batchKeys()];
    boolean[] isNew = new boolean[workload.batchKeys()];
    long done = 0;
    long news = 0;
    while (done < keys) {
      int n = (int) Math.min(workload.next(micros, ids), keys - done);
      news += set.insert(micros, ids, 0, n, isNew);
      done += n;
    }
    return news;
  }

  private double runHashSet(long keys, boolean report) {
    SeedWorkload workload = seed(0, 0, 1);
    long[] micros = new long[workload.batchKeys()];
    long[] ids = new long[workload.batchKeys()];
    HashSet<TimeKey> set = new HashSet<>();
    long done = 0;
    long news = 0;
    long started = System.nanoTime();
    while (done < keys) {
      int n = (int) Math.min(workload.next(micros, ids), keys - done);
      for (int i = 0; i < n; i++) {
        if (set.add(TimeKey.of(micros[i], ids[i]))) {
          news++;
        }
      }
      done += n;
    }
    double rate = hashSetDone("hashset", keys, news, started);
    if (report) {
      results.put("hashset.keys", Long.toString(keys));
    }
    return rate;
  }

  private double runRocks(long keys, boolean report) throws RocksDBException, IOException {
    RocksDB.loadLibrary();
    Path dir = root.resolve("rocksdb-" + keys);
    SeedWorkload workload = seed(0, 0, 1);
    long[] micros = new long[workload.batchKeys()];
    long[] ids = new long[workload.batchKeys()];
    byte[] empty = new byte[0];
    long done = 0;
    long news = 0;
    double rate;
    // The settings Kafka Streams' RocksDBStore opens its stores with.
    try (LRUCache cache = new LRUCache(50L << 20);
        BloomFilter filter = new BloomFilter();
        Options options =
            new Options()
                .setCreateIfMissing(true)
                .setTableFormatConfig(
                    new BlockBasedTableConfig()
                        .setBlockCache(cache)
                        .setBlockSize(4096)
                        .setFilterPolicy(filter))
                .setOptimizeFiltersForHits(true)
                .setWriteBufferSize(16L << 20)
                .setMaxWriteBufferNumber(3)
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setCompactionStyle(CompactionStyle.UNIVERSAL)
                .setInfoLogLevel(InfoLogLevel.ERROR_LEVEL)
                .setIncreaseParallelism(Math.max(Runtime.getRuntime().availableProcessors(), 2));
        WriteOptions write = new WriteOptions().setDisableWAL(true);
        RocksDB db = RocksDB.open(options, dir.toString())) {
      long started = System.nanoTime();
      while (done < keys) {
        int n = (int) Math.min(workload.next(micros, ids), keys - done);
        for (int i = 0; i < n; i++) {
          byte[] key = TimeKey.of(micros[i], ids[i]).toBytes();
          if (db.get(key) == null) {
            db.put(write, key, empty);
            news++;
          }
        }
        done += n;
      }
      long elapsed = System.nanoTime() - started;
      rate = keys * 1e9 / elapsed;
      try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
        db.flush(flush);
      }
      long disk = sizeOf(dir);
      progress.printf(
          Locale.ROOT,
          "[rocksdb] %,d keys (%,d new) in %.2f s: %,.0f keys/s; disk %,d B%n",
          keys,
          news,
          elapsed / 1e9,
          rate,
          disk);
      if (report) {
        results.put("rocksdb.keys", Long.toString(keys));
        results.ratio("rocksdb.disk_bytes_per_key", (double) disk / news);
      }
    }
    return rate;
  }

  private static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
