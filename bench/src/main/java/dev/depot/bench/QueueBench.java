package dev.depot.bench;

import dev.depot.store.queue.DepotQueue;
import dev.depot.testing.TestFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Depot queue vs Chronicle Queue vs a plain length-prefixed {@code FileChannel} file, in one JVM.
 *
 * <pre>
 * bench/run queue [--quick] [--iterations N] [--dir PATH]
 *                 [--depot-write-buffer BYTES] [--depot-read-buffer BYTES]
 * </pre>
 *
 * <p>Workloads: {@code 50B} (10 M items of 50 bytes) and {@code 1KiB} (1 M items of 1024 bytes),
 * each appended to a fresh queue and then read back from the start; and {@code sync_batch_1000}
 * (500 k items of 50 bytes made durable every 1,000 items) for depot and the raw file. Every append
 * takes a {@code byte[]}; every read copies the item into a reused {@code byte[]} and adds its
 * first and last byte and its length to a checksum, which is checked against the appended items.
 * One unmeasured warm-up iteration comes first; each figure is the median over the measured
 * iterations, each in a fresh directory that is deleted afterwards. The contenders take turns going
 * first.
 *
 * <p>Timed: the append loop (for the raw file including the write of its last, partly filled
 * buffer; depot's last buffer is handed to the file system by the first read, inside the read
 * phase) and the read loop, which uses the same queue object. Not timed: opening, closing (depot's
 * {@code close()} fsyncs, Chronicle's and the raw file's do not) and deleting.
 *
 * <p>Output: one {@code name: value} line per figure on stdout (items per second, and depot's ratio
 * to each peer computed from the medians); progress and checksums on stderr.
 */
public final class QueueBench {
  static final int SYNC_BATCH = 1000;

  private final Options options;
  private final PrintStream progress = System.err;
  private final Map<String, List<Double>> samples = new LinkedHashMap<>();

  private QueueBench(Options options) {
    this.options = options;
  }

  public static void main(String[] args) throws IOException {
    // Chronicle otherwise reports usage over the network and prints a banner.
    System.setProperty("chronicle.analytics.disable", "true");
    System.setProperty("chronicle.announcer.disable", "true");
    Options options = Options.parse(args);
    if (options == null) {
      return;
    }
    new QueueBench(options).run();
  }

  private void run() throws IOException {
    List<QueueContender> contenders =
        List.of(
            new DepotContender(options.depotWriteBufferBytes, options.depotReadBufferBytes),
            new ChronicleContender(),
            new RawFileContender());
    List<QueueContender> durable = List.of(contenders.get(0), contenders.get(2));
    Map<String, ItemPool> workloads = new LinkedHashMap<>();
    workloads.put("50B", new ItemPool(50, options.items50, 50));
    workloads.put("1KiB", new ItemPool(1024, options.items1KiB, 1024));
    ItemPool syncItems = new ItemPool(50, options.itemsSync, 51);
    byte[] scratch = new byte[1024];

    Path root = BenchFiles.tempRoot(options.dir, "queue-bench-");
    progress.printf(
        Locale.ROOT,
        "queue bench in %s: %d+1 iterations, %,d x 50 B, %,d x 1 KiB, %,d x 50 B synced per %d%n",
        root,
        options.iterations,
        options.items50,
        options.items1KiB,
        options.itemsSync,
        SYNC_BATCH);
    long started = System.nanoTime();
    try {
      for (int iteration = 0; iteration <= options.iterations; iteration++) {
        boolean warmUp = iteration == 0;
        String label = warmUp ? "warm-up" : "iteration " + iteration + "/" + options.iterations;
        for (Map.Entry<String, ItemPool> workload : workloads.entrySet()) {
          for (QueueContender contender : rotate(contenders, iteration)) {
            String key = contender.name() + "." + workload.getKey();
            Path dir = Files.createDirectory(root.resolve(key + "." + iteration));
            runAppendThenRead(label, warmUp, key, contender, dir, workload.getValue(), scratch);
            TestFiles.deleteTree(dir);
          }
        }
        for (QueueContender contender : rotate(durable, iteration)) {
          String key = contender.name() + ".sync_batch_" + SYNC_BATCH;
          Path dir = Files.createDirectory(root.resolve(key + "." + iteration));
          runDurable(label, warmUp, key, contender, dir, syncItems, scratch);
          TestFiles.deleteTree(dir);
        }
      }
    } finally {
      TestFiles.deleteTree(root);
    }
    progress.printf(
        Locale.ROOT, "queue bench done in %.1f s%n", (System.nanoTime() - started) / 1e9);
    report(
        workloads.keySet(),
        contenders.stream().map(QueueContender::name).toList(),
        durable.stream().map(QueueContender::name).toList());
  }

  private void runAppendThenRead(
      String label,
      boolean warmUp,
      String key,
      QueueContender contender,
      Path dir,
      ItemPool items,
      byte[] scratch)
      throws IOException {
    double append;
    double read;
    QueueContender.ReadResult result;
    try (QueueContender.Trial trial = contender.open(dir)) {
      System.gc();
      long t0 = System.nanoTime();
      trial.append(items);
      long t1 = System.nanoTime();
      result = trial.readAll(scratch);
      long t2 = System.nanoTime();
      append = items.count() * 1e9 / (t1 - t0);
      read = items.count() * 1e9 / (t2 - t1);
    }
    check(key, items, result);
    progress.printf(
        Locale.ROOT,
        "[%s] %-15s append %,13.0f items/s  read %,13.0f items/s  (checksum %d ok)%n",
        label,
        key,
        append,
        read,
        result.checksum());
    if (!warmUp) {
      record(key.replace(".", ".append.") + ".items_per_s", append);
      record(key.replace(".", ".read.") + ".items_per_s", read);
    }
  }

  private void runDurable(
      String label,
      boolean warmUp,
      String key,
      QueueContender contender,
      Path dir,
      ItemPool items,
      byte[] scratch)
      throws IOException {
    double append;
    QueueContender.ReadResult result;
    try (QueueContender.Trial trial = contender.open(dir)) {
      System.gc();
      long t0 = System.nanoTime();
      trial.appendDurably(items, SYNC_BATCH);
      long t1 = System.nanoTime();
      append = items.count() * 1e9 / (t1 - t0);
      result = trial.readAll(scratch);
    }
    check(key, items, result);
    progress.printf(
        Locale.ROOT,
        "[%s] %-15s append+sync %,13.0f items/s  (checksum %d ok)%n",
        label,
        key,
        append,
        result.checksum());
    if (!warmUp) {
      record(key + ".items_per_s", append);
    }
  }

  private static void check(String key, ItemPool items, QueueContender.ReadResult result) {
    if (result.items() != items.count() || result.checksum() != items.checksum()) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "%s read back %d items with checksum %d, expected %d items with checksum %d",
              key,
              result.items(),
              result.checksum(),
              items.count(),
              items.checksum()));
    }
  }

  private void record(String name, double value) {
    samples.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
  }

  private void report(Iterable<String> workloads, List<String> names, List<String> durableNames) {
    PrintStream out = System.out;
    out.println("bench.iterations: " + options.iterations);
    out.println("bench.items.50B: " + options.items50);
    out.println("bench.items.1KiB: " + options.items1KiB);
    out.println("bench.items.sync_batch_" + SYNC_BATCH + ": " + options.itemsSync);
    List<String> figures = new ArrayList<>();
    for (String workload : workloads) {
      for (String phase : List.of("append", "read")) {
        for (String name : names) {
          figures.add(name + "." + phase + "." + workload);
        }
      }
    }
    String sync = "sync_batch_" + SYNC_BATCH;
    for (String name : durableNames) {
      figures.add(name + "." + sync);
    }
    for (String figure : figures) {
      out.println(figure + ".items_per_s: " + Math.round(rate(figure)));
    }
    for (String workload : workloads) {
      for (String phase : List.of("append", "read")) {
        for (String peer : names.subList(1, names.size())) {
          String figure = phase + "." + workload;
          printRatio(out, peer, figure);
        }
      }
    }
    for (String peer : durableNames.subList(1, durableNames.size())) {
      printRatio(out, peer, sync);
    }
  }

  private void printRatio(PrintStream out, String peer, String figure) {
    double ratio = rate("depot." + figure) / rate(peer + "." + figure);
    out.printf(Locale.ROOT, "ratio.depot_vs_%s.%s: %.3f%n", peer, figure, ratio);
  }

  /** The median items per second of a figure such as {@code depot.append.50B}. */
  private double rate(String figure) {
    return median(samples.get(figure + ".items_per_s"));
  }

  static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** The list rotated left by {@code by}, so that each contender goes first in turn. */
  static <T> List<T> rotate(List<T> list, int by) {
    List<T> rotated = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      rotated.add(list.get((i + by) % list.size()));
    }
    return rotated;
  }

  /** Command-line options, and what --quick and they make of the workload. */
  static final class Options {
    Path dir;
    int iterations;
    int depotWriteBufferBytes;
    int depotReadBufferBytes;
    long items50 = 10_000_000;
    long items1KiB = 1_000_000;
    long itemsSync = 500_000;

    /** The options, or null when help was asked for; exits with status 2 on a bad one. */
    static Options parse(String[] args) {
      BenchArgs in =
          BenchArgs.read(
              "queue",
              "The depot queue vs Chronicle Queue vs a raw FileChannel. --quick: 2 M x 50 B,"
                  + " 200 k x 1 KiB, 100 k synced items, 3 iterations (default: 10 M x 50 B, 1 M"
                  + " x 1 KiB, 500 k synced, 5 iterations).",
              args,
              BenchArgs.number(
                  "--iterations", "measured iterations (median reported), after one warm-up"),
              BenchArgs.value(
                  "--depot-write-buffer",
                  "BYTES",
                  "depot writeBufferBytes (default: the queue's default)"),
              BenchArgs.value(
                  "--depot-read-buffer",
                  "BYTES",
                  "depot readBufferBytes (default: the queue's default)"));
      if (in == null) {
        return null;
      }
      Options o = new Options();
      boolean quick = in.quick();
      o.dir = in.dir();
      if (quick) {
        o.items50 = 2_000_000;
        o.items1KiB = 200_000;
        o.itemsSync = 100_000;
      }
      o.iterations = (int) in.number("--iterations", 1, Integer.MAX_VALUE, quick ? 3 : 5);
      o.depotWriteBufferBytes = (int) in.number("--depot-write-buffer", 1, Integer.MAX_VALUE, 0);
      o.depotReadBufferBytes = (int) in.number("--depot-read-buffer", 1, Integer.MAX_VALUE, 0);
      // The queue's builder checks the ranges and says what is allowed.
      DepotQueue.Builder check = DepotQueue.builder(Path.of("."));
      try {
        if (o.depotWriteBufferBytes > 0) {
          check.writeBufferBytes(o.depotWriteBufferBytes);
        }
        if (o.depotReadBufferBytes > 0) {
          check.readBufferBytes(o.depotReadBufferBytes);
        }
      } catch (IllegalArgumentException e) {
        throw in.fail(e.getMessage());
      }
      return o;
    }
  }
}
