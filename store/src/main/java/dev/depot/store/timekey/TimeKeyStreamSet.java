package dev.depot.store.timekey;

import dev.depot.store.internal.timekey.SetConfig;
import dev.depot.store.internal.timekey.TimeKeySetEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * An exact set of {@link TimeKey}s for deduplicating mostly ordered streams of readings, bounded in
 * memory and kept on disk.
 *
 * <pre>{@code
 * try (TimeKeyStreamSet seen = TimeKeyStreamSet.builder()
 *         .directory(Path.of("data/dedup"))
 *         .segmentInterval(Duration.ofHours(1))
 *         .memoryLimit(MemoryLimit.MEDIUM)
 *         .retention(Duration.ofDays(7))
 *         .build()) {
 *   boolean[] isNew = seen.insert(batch);  // false: a duplicate, drop it
 *   seen.checkpoint();                     // what was inserted survives a crash
 * }
 * }</pre>
 *
 * <h2>How it works</h2>
 *
 * Keys are grouped into segments by time ({@link Builder#segmentInterval(Duration)}); within a
 * segment, by id (user and device) into sorted runs of timestamps, delta-of-delta encoded: a
 * regular stream costs about one bit per key in memory. A batch that continues a device's stream is
 * appended with one comparison per key; a re-sent batch is found as an overlap. Memory is kept by
 * device stream (one id's keys in one segment): when the resident streams take more than the memory
 * limit, the least recently used are dropped from memory (written to disk first when they changed);
 * a batch that touches one reads that stream alone back from its segment's file, so a segment may
 * be larger than the limit.
 *
 * <h2>Durability</h2>
 *
 * Inserts live in memory, or in a spill log that eviction appends to without fsync, until {@link
 * #checkpoint()} (or {@link #close()}) writes every changed segment (each file written beside,
 * fsynced, renamed over the old one; then the directory is fsynced). After a crash, reopening gives
 * every key inserted before the last checkpoint returned, possibly some inserted after it (in
 * segments an interrupted checkpoint had written), and never a key that was not inserted.
 *
 * <h2>Retention</h2>
 *
 * Whole segments are dropped when they end before the newest key minus {@link
 * Builder#retention(Duration)}, or by {@link #expireBefore(long)}. A key that falls in a dropped
 * interval is answered as new and not stored: the set no longer knows that time.
 *
 * <h2>Threads</h2>
 *
 * All methods may be called from several threads at once. Inserts of different devices run in
 * parallel; one process opens a directory at a time.
 */
public interface TimeKeyStreamSet extends AutoCloseable {
  /** The segment interval of a set created without {@link Builder#segmentInterval(Duration)}. */
  Duration DEFAULT_SEGMENT_INTERVAL = Duration.ofHours(1);

  /** A builder; by default the set lives in a temporary directory deleted on close. */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Inserts a batch. Element {@code i} of the result is true when key {@code i} was not in the set
   * before (it is now) and false for a duplicate, including a repeat of an earlier key of the same
   * batch. Micros may be anything a {@code long} holds: keys before 1970 are negative.
   */
  boolean[] insert(List<TimeKey> batch);

  /**
   * Inserts {@code length} keys given as parallel arrays from {@code offset}, writing the answers
   * to {@code isNew} at the same indexes, without allocating. Same rules as {@link #insert(List)}.
   *
   * @return the number of new keys
   */
  int insert(long[] micros, long[] ids, int offset, int length, boolean[] isNew);

  /** Whether the set holds {@code key}. Loads its segment when it is on disk only. */
  boolean contains(TimeKey key);

  /** Drops every segment that ends at or before {@code micros}; returns how many. */
  int expireBefore(long micros);

  /** Makes every key inserted so far durable; see the class comment. */
  void checkpoint();

  /**
   * Reads every segment that is on disk only and checks it whole (header and body checksums), one
   * at a time, without keeping it: a set reopened after a crash can be checked before it is
   * trusted, instead of failing on first use.
   *
   * @throws dev.depot.store.DepotCorruptionException naming the first damaged file
   */
  void verify();

  /** The set's segment interval: the one its directory was created with. */
  Duration segmentInterval();

  /** Counts, sizes and memory. */
  TimeKeyStats stats();

  /** The set's directory. */
  Path directory();

  /** Checkpoints and releases the directory (deleting it when it was temporary). */
  @Override
  void close();

  /** Settings of a set; every one has a default. */
  final class Builder {
    private Path directory;
    private Duration segmentInterval;
    private long memoryLimit = MemoryLimit.MEDIUM;
    private Duration retention;

    Builder() {}

    /** Where the set keeps its files; created when missing. Default: a temporary directory. */
    public Builder directory(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory cannot be null");
      return this;
    }

    /**
     * Length of a segment, between 1 ms and 366 days; default 1 hour. Fixed when the directory is
     * created: reopening it with another interval fails, and without one uses the stored interval.
     * Choose it so that the segments being written to fit the memory limit together.
     */
    public Builder segmentInterval(Duration interval) {
      Objects.requireNonNull(interval, "segmentInterval cannot be null");
      if (interval.compareTo(Duration.ofMillis(1)) < 0
          || interval.compareTo(Duration.ofDays(366)) > 0) {
        throw new IllegalArgumentException(
            "segmentInterval must be between 1 ms and 366 days, was " + interval);
      }
      this.segmentInterval = interval;
      return this;
    }

    /**
     * Memory the resident segments may take, in bytes (see {@link MemoryLimit} for presets);
     * between 64 KiB and 1 TiB, default {@link MemoryLimit#MEDIUM}.
     */
    public Builder memoryLimit(long bytes) {
      if (bytes < (64L << 10) || bytes > (1L << 40)) {
        throw new IllegalArgumentException(
            "memoryLimit must be between 65536 and 1099511627776 bytes, was " + bytes);
      }
      this.memoryLimit = bytes;
      return this;
    }

    /**
     * How far behind the newest key segments are kept; default unlimited. May change from one open
     * to the next.
     */
    public Builder retention(Duration retention) {
      Objects.requireNonNull(retention, "retention cannot be null");
      if (retention.isNegative() || retention.isZero()) {
        throw new IllegalArgumentException("retention must be positive, was " + retention);
      }
      this.retention = retention;
      return this;
    }

    /**
     * Opens the set: takes the directory's lock, reads the segment file headers, applies retention.
     *
     * @throws dev.depot.store.DepotLockedException when another open set holds the directory
     * @throws IllegalArgumentException when the segment interval differs from the directory's
     * @throws dev.depot.store.DepotException when the directory cannot be used
     */
    public TimeKeyStreamSet build() {
      return TimeKeySetEngine.open(
          new SetConfig(
              directory,
              segmentInterval == null ? -1 : micros(segmentInterval),
              memoryLimit,
              retention == null ? -1 : micros(retention)));
    }

    private static long micros(Duration d) {
      return Math.multiplyExact(d.getSeconds(), 1_000_000L) + d.getNano() / 1000;
    }
  }
}
