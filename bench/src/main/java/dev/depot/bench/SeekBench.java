package dev.depot.bench;

import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How long a reader takes to find a timestamp, a tag (Kafka offset) and an id in a large depot
 * queue: through the sparse index, against the scan from the oldest record that was the only way
 * before the index.
 *
 * <pre>
 * bench/run seek [--quick] [--queue-mib N] [--item-bytes N] [--seeks N] [--scans N] [--dir PATH]
 * </pre>
 *
 * <p>Writes one queue of {@code --queue-mib} (4096; 256 with {@code --quick}) of items of {@code
 * --item-bytes} (1024) with {@code appendTimed}, as the sink does: tag = offset 0, 1, 2, ...,
 * timestamp = a clock of 1 ms per record plus up to 50 ms of jitter (not monotone), in the default
 * 256 MiB segments, and closes it. Not timed. Then, interleaved, for random targets: {@code seek}
 * times opening the queue read-only (a new process's view: the CLI, a source connector), a cursor
 * from the target, and its first record, then closing; {@code scan} does the same but streams from
 * the oldest record until the first record at or after the target. Every seek's record is checked
 * to be the first at or after its target (by the scan for the same target, or by the timestamps'
 * construction); a wrong one stops the bench. The files are in the page cache (the machine has the
 * memory; dropping the cache needs root), so this measures the work, not the disk.
 *
 * <p>Output: {@code depot.seek_by_time_ms}, {@code depot.seek_by_tag_ms}, {@code
 * depot.seek_by_id_ms} (medians of {@code --seeks}, 51; 21 quick), {@code depot.scan_to_time_ms}
 * (median of {@code --scans}, 5; 3 quick), {@code ratio.scan_vs_seek_by_time}, and the queue's size
 * and record count.
 */
public final class SeekBench {
  private static final long BASE = 1_764_504_000_000L; // 2026-11-30T12:00:00Z
  private static final int JITTER_MS = 50;

  private final PrintStream progress = System.err;

  public static void main(String[] args) throws Exception {
    BenchArgs in =
        BenchArgs.read(
            "seek",
            "Seeks by time, tag and id in a queue of --queue-mib MiB against a scan from the start."
                + " --quick: 256 MiB, 21 seeks, 3 scans (default: 4 GiB, 51 seeks, 5 scans).",
            args,
            BenchArgs.number("--queue-mib", "size of the queue written, MiB"),
            BenchArgs.number("--item-bytes", "bytes per item"),
            BenchArgs.number("--seeks", "seeks of each kind (median reported)"),
            BenchArgs.number("--scans", "scans from the start (median reported)"));
    if (in == null) {
      return;
    }
    long queueBytes = in.number("--queue-mib", 1, 1 << 20, in.quick() ? 256 : 4096) << 20;
    int itemBytes = (int) in.number("--item-bytes", 1, 1 << 20, 1024);
    int seeks = (int) in.number("--seeks", 1, 100_000, in.quick() ? 21 : 51);
    int scans = (int) in.number("--scans", 1, 1000, in.quick() ? 3 : 5);
    BenchRun.inTempRoot(
        in.dir(),
        "seek-bench-",
        (root, figures) -> {
          new SeekBench().run(root.resolve("queue"), queueBytes, itemBytes, seeks, scans, figures);
          return 0;
        });
  }

  private static long timestampOf(long offset, SplittableRandom jitter) {
    return BASE + offset + jitter.nextInt(JITTER_MS + 1);
  }

  private void run(Path dir, long queueBytes, int itemBytes, int seeks, int scans, Figures figures)
      throws Exception {
    byte[][] items = new byte[16][itemBytes];
    SplittableRandom fill = new SplittableRandom(7);
    for (byte[] item : items) {
      for (int i = 0; i < item.length; i++) {
        item[i] = (byte) fill.nextInt(256);
      }
    }
    long started = System.nanoTime();
    long records = 0;
    long bytes;
    SplittableRandom jitter = new SplittableRandom(11);
    try (DepotQueue queue = DepotQueue.open(dir)) {
      long frame = itemBytes + 28L;
      long target = queueBytes / frame;
      for (; records < target; records++) {
        queue.appendTimed(items[(int) (records & 15)], records, timestampOf(records, jitter));
        if (records % 1_000_000 == 0 && records > 0) {
          progress.printf(Locale.ROOT, "seek bench: wrote %,d records%n", records);
        }
      }
      queue.sync();
      bytes = 0;
      for (DepotQueue.SegmentInfo info : queue.segments()) {
        bytes += info.bytes();
      }
    }
    progress.printf(
        Locale.ROOT,
        "seek bench: %,d records of %d B, %,d bytes in %s, written in %.1f s%n",
        records,
        itemBytes,
        bytes,
        dir,
        (System.nanoTime() - started) / 1e9);

    // Warm-up, not measured: the seek path compiled, as in a reader that has run a while.
    SplittableRandom warm = new SplittableRandom(17);
    for (int i = 0; i < 20; i++) {
      seekTime(dir, BASE + warm.nextLong(records));
      seekId(dir, seekTag(dir, warm.nextLong(records))[0] + 1);
    }
    SplittableRandom targets = new SplittableRandom(13);
    double[] byTime = new double[seeks];
    double[] byTag = new double[seeks];
    double[] byId = new double[seeks];
    double[] scanned = new double[scans];
    long lastTimestamp = BASE + records;
    for (int i = 0, s = 0; i < seeks; i++) {
      long time = BASE + targets.nextLong(records);
      long tag = targets.nextLong(records);
      // seek and scan take turns going first; the scans are few: each reads half the queue
      if (s < scans && i % 2 == 0) {
        time = BASE + records / 2 + s; // the middle: what a scan to a random time costs on average
        long[] scan = scanToTime(dir, time);
        scanned[s++] = scan[1] / 1e6;
        long[] seek = seekTime(dir, time);
        byTime[i] = seek[1] / 1e6;
        check(seek[0] == scan[0], "seek to %d found id %d, the scan %d", time, seek[0], scan[0]);
      } else {
        long[] seek = seekTime(dir, time);
        byTime[i] = seek[1] / 1e6;
        check(seek[2] >= time, "seek to %d found timestamp %d", time, seek[2]);
        // the record that far before it must be older: timestamps jitter by at most 50 ms
        check(seek[2] - time <= JITTER_MS, "seek to %d found timestamp %d", time, seek[2]);
      }
      long[] found = seekTag(dir, tag);
      byTag[i] = found[1] / 1e6;
      check(found[2] == tag, "seek to tag %d found tag %d", tag, found[2]);
      long[] id = seekId(dir, found[0] + 1); // an id that is not a record's
      byId[i] = id[1] / 1e6;
      check(id[2] == tag + 1 || tag + 1 == records, "seek past id of tag %d found %d", tag, id[2]);
    }
    check(lastTimestamp > BASE, "no records");
    figures.put("depot.seek.queue_bytes", Long.toString(bytes));
    figures.put("depot.seek.records", Long.toString(records));
    figures.put("depot.seek.item_bytes", Integer.toString(itemBytes));
    double time = Figures.median(byTime);
    double scan = Figures.median(scanned);
    figures.put("depot.seek_by_time_ms", format(time));
    figures.put("depot.seek_by_tag_ms", format(Figures.median(byTag)));
    figures.put("depot.seek_by_id_ms", format(Figures.median(byId)));
    figures.put("depot.scan_to_time_ms", format(scan));
    figures.ratio("ratio.scan_vs_seek_by_time", scan / time);
  }

  private static String format(double ms) {
    return String.format(Locale.ROOT, "%.3f", ms);
  }

  private static void check(boolean ok, String format, Object... args) {
    if (!ok) {
      throw new IllegalStateException("wrong seek: " + String.format(Locale.ROOT, format, args));
    }
  }

  private static DepotQueue open(Path dir) {
    return DepotQueue.builder(dir).readOnly(true).build();
  }

  /** Open, seek to {@code time}, first record: {id, nanos, timestamp}. */
  private static long[] seekTime(Path dir, long time) {
    long start = System.nanoTime();
    try (DepotQueue queue = open(dir);
        DepotCursor cursor = queue.streamFromTimestamp(time)) {
      DepotRecord record = cursor.next();
      long nanos = System.nanoTime() - start;
      return new long[] {record.id(), nanos, record.timestamp()};
    }
  }

  /** Open, seek to {@code tag}, first record: {id, nanos, tag}. */
  private static long[] seekTag(Path dir, long tag) {
    long start = System.nanoTime();
    try (DepotQueue queue = open(dir);
        DepotCursor cursor = queue.streamFromTag(tag)) {
      DepotRecord record = cursor.next();
      long nanos = System.nanoTime() - start;
      return new long[] {record.id(), nanos, record.tag()};
    }
  }

  /** Open, seek to {@code id}, first record: {id, nanos, tag}; tag -1 when there is none. */
  private static long[] seekId(Path dir, long id) {
    long start = System.nanoTime();
    try (DepotQueue queue = open(dir);
        DepotCursor cursor = queue.stream(id)) {
      DepotRecord record = cursor.next();
      long nanos = System.nanoTime() - start;
      return record == null
          ? new long[] {-1, nanos, -1}
          : new long[] {record.id(), nanos, record.tag()};
    }
  }

  /** Open, read from the oldest record to the first at or after {@code time}: {id, nanos}. */
  private static long[] scanToTime(Path dir, long time) {
    long start = System.nanoTime();
    try (DepotQueue queue = open(dir);
        DepotCursor cursor = queue.stream()) {
      DepotRecord record;
      while ((record = cursor.next()) != null) {
        if (record.timestamp() >= time) {
          long nanos = System.nanoTime() - start;
          return new long[] {record.id(), nanos};
        }
      }
    }
    throw new IllegalStateException("no record at or after " + time);
  }
}
