package dev.depot.store.queue;

import dev.depot.store.internal.queue.QueueConfig;
import dev.depot.store.internal.queue.QueueEngine;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A segmented, append-only, persistent queue of byte items in one directory.
 *
 * <pre>{@code
 * try (DepotQueue queue = DepotQueue.builder(Path.of("data/events"))
 *         .syncPolicy(SyncPolicy.interval(Duration.ofMillis(100)))
 *         .build()) {
 *   long id = queue.append("hello".getBytes(StandardCharsets.UTF_8));
 *   queue.sync();                           // "hello" now survives a power cut
 *   try (DepotCursor cursor = queue.stream(id)) {
 *     DepotRecord record = cursor.next();   // id, item bytes, complete()
 *   }
 * }
 * }</pre>
 *
 * <h2>Ids</h2>
 *
 * {@code append} returns the item's id, {@code segmentNumber << 32 | byteOffsetInSegment} (see
 * {@link DepotIds}): ids grow with every append but are not contiguous. {@link #stream(long)}
 * starts at the first record whose id is at least the one given.
 *
 * <h2>Seeking</h2>
 *
 * {@link #appendTimed} and {@link #append(int, ItemWriter, long, long)} keep a tag and a timestamp
 * with an item; {@link #streamFromTimestamp} and {@link #streamFromTag} start at the first record
 * at or after a timestamp or tag. Every segment has a sparse index beside it ({@code
 * 0000000003.idx}: an entry every {@link Builder#indexIntervalBytes} bytes with the largest
 * timestamp and tag so far), so these and {@link #stream(long)} start after a binary search and a
 * scan of one interval, whatever the queue's size. Index files are derived: checked against the
 * segment before use, rebuilt by the writer when missing or damaged, never needed to read the
 * records.
 *
 * <h2>Durability</h2>
 *
 * <ul>
 *   <li>{@code append} copies the item into a write buffer and returns; the item is visible to
 *       cursors of this queue object at once, and to other processes once the buffer is written to
 *       the file system (buffer full, {@code sync}, the sync policy's timer, close).
 *   <li>When {@link #sync()} returns, every item appended before the call is on stable storage
 *       (file data fsynced, and the directory fsynced when a segment was created, rewritten or
 *       deleted): it survives a process crash and a power cut.
 *   <li>After a crash, reopening recovers every synced item, and every unsynced item that reached
 *       the disk whole. A record the crash cut short is kept as a partial record ({@link
 *       DepotRecord#complete()} false) and appends continue after it. Opening for write fsyncs what
 *       it recovered, so {@link #syncedId()} is then the newest record.
 *   <li>{@link #close()} syncs.
 * </ul>
 *
 * <h2>Concurrency</h2>
 *
 * One writer per directory: a second writer, in this process or another, gets {@link
 * dev.depot.store.DepotLockedException}. Read-only opens ({@link Builder#readOnly(boolean)}) take
 * no lock and may run in other processes beside the writer. The queue object is thread-safe; each
 * {@link DepotCursor} is for one thread.
 *
 * <h2>Errors</h2>
 *
 * I/O failures raise {@link dev.depot.store.DepotException} naming the file; after a failed write
 * the queue refuses further writes until reopened. Corrupt data raises {@link
 * dev.depot.store.DepotCorruptionException}; the class comment of {@code SegmentFormat} in {@code
 * dev.depot.store.internal.queue} describes the file format and the recovery rules.
 */
public interface DepotQueue extends AutoCloseable {
  /** Default segment size: 256 MiB. */
  long DEFAULT_SEGMENT_BYTES = 256L << 20;

  /** Opens (creating it if needed) the queue in {@code directory} for writing, with defaults. */
  static DepotQueue open(Path directory) {
    return builder(directory).build();
  }

  /** A builder for a queue in {@code directory}. */
  static Builder builder(Path directory) {
    return new Builder(directory);
  }

  /**
   * Appends one item and returns its id.
   *
   * @throws IllegalArgumentException when the item is larger than the segment allows
   * @throws IllegalStateException when the queue is read-only or closed
   * @throws dev.depot.store.DepotException when writing fails
   */
  long append(byte[] item);

  /**
   * Appends one item with a tag, a long kept with it and returned by {@link DepotRecord#tag()}: for
   * example the offset of the record the item came from, so that a reader can resume after the last
   * one stored. The tag takes 8 more bytes on disk.
   *
   * @throws IllegalArgumentException when {@code tag} is {@link DepotRecord#NO_TAG}
   */
  long append(byte[] item, long tag);

  /**
   * Appends one item of {@code length} bytes with a tag, as {@link #append(byte[], long)} does, but
   * {@code writer} writes the item straight into the queue's write buffer: an item encoded there is
   * never copied into an array of its own first. Durability and ids are as for any append.
   *
   * <pre>{@code
   * byte[] key = ..., value = ...;
   * long id = queue.append(8 + key.length + value.length, target -> {
   *   target.putInt(key.length).put(key);
   *   target.putInt(value.length).put(value);
   * }, offset);
   * }</pre>
   *
   * <p>When {@code writer} throws, or writes another number of bytes than {@code length}, nothing
   * of the item is appended, not even in part, and the queue stays writable.
   *
   * @throws IllegalArgumentException when {@code length} is negative or above {@link
   *     #maxItemBytes()}, or {@code tag} is {@link DepotRecord#NO_TAG}; the writer is not called
   * @throws IllegalStateException when the writer wrote another number of bytes, or called this
   *     queue; or when the queue is read-only or closed
   * @throws dev.depot.store.DepotException when writing fails
   */
  long append(int length, ItemWriter writer, long tag);

  /**
   * Appends one item with a tag and a timestamp, as {@link #appendTimed(byte[], long, long)} does,
   * written in place by {@code writer} as {@link #append(int, ItemWriter, long)} does: the segment
   * bytes are the same as {@code appendTimed}'s for the same item, and the index sees the tag and
   * timestamp. The Kafka Connect sink encodes each record's envelope this way:
   *
   * <pre>{@code
   * byte[] key = ..., value = ...;
   * long id = queue.append(8 + key.length + value.length, target -> {
   *   target.putInt(key.length).put(key);
   *   target.putInt(value.length).put(value);
   * }, record.kafkaOffset(), record.timestamp());
   * }</pre>
   *
   * <p>When {@code writer} throws, or writes another number of bytes than {@code length}, nothing
   * of the item is appended, not even in part, and the queue stays writable.
   *
   * @param tag any value but {@link DepotRecord#NO_TAG}
   * @param timestampMillis milliseconds since the epoch (any value; negative ones too), or {@link
   *     DepotRecord#NO_TIMESTAMP} for a record without one: that is then {@link #append(int,
   *     ItemWriter, long)}
   * @throws IllegalArgumentException when {@code length} is negative or above {@link
   *     #maxItemBytes()}, or {@code tag} is {@link DepotRecord#NO_TAG}; the writer is not called
   * @throws IllegalStateException when the writer wrote another number of bytes, or called this
   *     queue; or when the queue is read-only or closed
   * @throws dev.depot.store.DepotException when writing fails
   */
  long append(int length, ItemWriter writer, long tag, long timestampMillis);

  /**
   * Appends one item with a tag and a timestamp, both kept with it and returned by {@link
   * DepotRecord#tag()} and {@link DepotRecord#timestamp()}. The queue's index sees both without
   * reading items, so {@link #streamFromTag(long)} and {@link #streamFromTimestamp(long)} find a
   * record in a large queue without scanning it. The Kafka Connect sink stores each record's offset
   * as the tag and its Kafka timestamp as the timestamp:
   *
   * <pre>{@code
   * long id = queue.appendTimed(envelopeBytes, record.kafkaOffset(), record.timestamp());
   * // later, in another process:
   * try (DepotCursor cursor = queue.streamFromTimestamp(Instant.parse("2026-11-30T12:00:00Z")
   *     .toEpochMilli())) { ... }
   * }</pre>
   *
   * <p>Timestamps need not grow from one append to the next. The tag and timestamp take 16 more
   * bytes on disk. (The name is not {@code append}: {@code append(item, 8, 1000)} would call {@link
   * #append(byte[], int, int)}.)
   *
   * @param tag any value but {@link DepotRecord#NO_TAG}
   * @param timestampMillis milliseconds since the epoch (any value; negative ones too), or {@link
   *     DepotRecord#NO_TIMESTAMP} for a record without one: that is then {@link #append(byte[],
   *     long)}
   * @throws IllegalArgumentException when {@code tag} is {@link DepotRecord#NO_TAG}, or the item is
   *     larger than the segment allows
   */
  long appendTimed(byte[] item, long tag, long timestampMillis);

  /** Appends {@code length} bytes of {@code item} from {@code offset}; returns the id. */
  long append(byte[] item, int offset, int length);

  /**
   * Appends the remaining bytes of {@code item}, leaving its position unchanged; returns the id.
   */
  long append(ByteBuffer item);

  /**
   * Appends the items in order under one lock and returns their ids. Sizes are checked first: when
   * one item is too large, none is appended.
   */
  long[] appendAll(List<byte[]> items);

  /**
   * The largest item this queue accepts, however appended: {@code segmentBytes - 44}, at most 1 GiB
   * - 1.
   */
  int maxItemBytes();

  /** Makes every item appended so far durable; see the class comment for the exact promise. */
  void sync();

  /**
   * A cursor from the first record whose id is at least {@code fromId}. Any id works, also one that
   * is not a record's: the cursor finds its start through the queue's sparse index, not by scanning
   * the segment.
   */
  DepotCursor stream(long fromId);

  /** A cursor from the oldest record. */
  default DepotCursor stream() {
    return stream(0);
  }

  /**
   * A cursor from the first record whose timestamp is at or after {@code timestampMillis}, then
   * every later record whatever its timestamp (like a Kafka consumer that seeks with {@code
   * offsetsForTimes}). Records without a timestamp ({@link DepotRecord#NO_TIMESTAMP}: appended
   * without one, or stored in a version 1 segment) and partial records never match. When no record
   * matches yet, the cursor returns nothing and waits ({@link DepotCursor#poll}) for the first
   * matching append.
   *
   * <pre>{@code
   * long from = Instant.parse("2026-11-30T12:00:00Z").toEpochMilli();
   * try (DepotCursor cursor = queue.streamFromTimestamp(from)) {
   *   DepotRecord first = cursor.next();   // first.timestamp() >= from, or null
   * }
   * }</pre>
   *
   * <p>The cursor finds its start through the queue's sparse index: a binary search per segment and
   * a scan of at most one index interval, not a scan of the queue. A corrupt record met while
   * looking for the start is thrown as {@link dev.depot.store.DepotCorruptionException} (it may
   * have been the one asked for); the next call goes on after it.
   */
  DepotCursor streamFromTimestamp(long timestampMillis);

  /**
   * A cursor from the first record whose tag is at or above {@code tag}, then every later record
   * whatever its tag. Records without a tag and partial records never match; otherwise as {@link
   * #streamFromTimestamp(long)}. The sink stores Kafka offsets in tags, so this resumes a
   * partition's queue at a Kafka offset:
   *
   * <pre>{@code
   * try (DepotCursor cursor = queue.streamFromTag(kafkaOffset)) {
   *   DepotRecord record = cursor.next();  // record.tag() >= kafkaOffset, or null
   * }
   * }</pre>
   */
  DepotCursor streamFromTag(long tag);

  /** The id of the newest complete record, or -1 when there is none. */
  long lastId();

  /** The id of the newest record known durable, or -1. Read-only queues return -1. */
  long syncedId();

  /**
   * Deletes whole segments whose records all have ids below {@code id}: segments numbered below
   * {@code DepotIds.segment(id)}. The segment being appended to is never deleted.
   *
   * @return the number of segments deleted
   */
  int deleteBefore(long id);

  /**
   * Deletes the oldest segments that the retention settings no longer keep: segments last written
   * longer ago than {@link Builder#retention(Duration)}, then the oldest while the queue is larger
   * than {@link Builder#retentionBytes(long)}. Never deletes the segment being appended to. Runs on
   * its own when a segment fills up and on open.
   *
   * @return the number of segments deleted
   */
  int applyRetention();

  /**
   * Rewrites one full segment atomically, keeping, replacing or dropping each record as {@code
   * rewriter} says; ids stay as they were. The new file is written beside the old one, fsynced, and
   * renamed over it, and the directory is fsynced: after a crash the segment is either all old or
   * all new. Cursors reading the segment meanwhile finish it with the old content.
   *
   * @return the size of the new segment file in bytes
   * @throws IllegalArgumentException when the segment does not exist or is still being appended to
   * @throws dev.depot.store.DepotCorruptionException when the segment holds corrupt records;
   *     nothing is changed then
   */
  long rewriteSegment(int segment, RecordRewriter rewriter);

  /** The segment files, oldest first. */
  List<SegmentInfo> segments();

  /** Counts items, partial and corrupt records, and bytes, by reading every segment. */
  QueueStats stats();

  /** The queue's directory. */
  Path directory();

  /** Whether the queue was opened read-only. */
  boolean readOnly();

  /** Syncs (when writing), stops the sync thread and releases files and the writer lock. */
  @Override
  void close();

  /**
   * One segment file.
   *
   * @param number the segment number, the high 32 bits of its records' ids
   * @param file the file
   * @param bytes its size
   * @param lastModifiedMillis when it was last written, used by age retention
   */
  record SegmentInfo(int number, Path file, long bytes, long lastModifiedMillis) {}

  /**
   * Settings of a queue. Every setting has a default; {@code build()} checks them and opens.
   *
   * <pre>{@code
   * DepotQueue queue = DepotQueue.builder(dir)
   *     .segmentBytes(64 << 20)
   *     .syncPolicy(SyncPolicy.everyItems(1000))
   *     .retentionBytes(10L << 30)
   *     .build();
   * }</pre>
   */
  final class Builder {
    private final Path directory;
    private long segmentBytes = DEFAULT_SEGMENT_BYTES;
    private int writeBufferBytes = 256 << 10;
    private int readBufferBytes = 256 << 10;
    private SyncPolicy syncPolicy = SyncPolicy.none();
    private boolean readOnly;
    private Duration retention;
    private long retentionBytes = -1;
    private Clock clock = Clock.systemUTC();
    private int indexIntervalBytes = QueueConfig.DEFAULT_INDEX_INTERVAL_BYTES;

    Builder(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory cannot be null");
    }

    /**
     * Size at which a segment is closed and the next one started. Between 4096 bytes and 4 GiB - 1;
     * default 256 MiB. It also bounds the largest item (segmentBytes - 44). A queue reopened with
     * another size keeps its existing segments as they are.
     */
    public Builder segmentBytes(long segmentBytes) {
      if (segmentBytes < 4096 || segmentBytes > 0xFFFF_FFFFL) {
        throw new IllegalArgumentException(
            "segmentBytes must be between 4096 and 4294967295, was " + segmentBytes);
      }
      this.segmentBytes = segmentBytes;
      return this;
    }

    /** Size of the write buffer; between 4 KiB and 64 MiB, default 256 KiB. */
    public Builder writeBufferBytes(int writeBufferBytes) {
      this.writeBufferBytes = checkBuffer("writeBufferBytes", writeBufferBytes);
      return this;
    }

    /** Size of each cursor's read buffer; between 4 KiB and 64 MiB, default 256 KiB. */
    public Builder readBufferBytes(int readBufferBytes) {
      this.readBufferBytes = checkBuffer("readBufferBytes", readBufferBytes);
      return this;
    }

    /** When to sync on its own; default {@link SyncPolicy#none()}. */
    public Builder syncPolicy(SyncPolicy syncPolicy) {
      this.syncPolicy = Objects.requireNonNull(syncPolicy, "syncPolicy cannot be null");
      return this;
    }

    /**
     * Opens without the writer lock: appends and maintenance throw, cursors see what the writer has
     * written to the file system. The directory must exist. Default false.
     */
    public Builder readOnly(boolean readOnly) {
      this.readOnly = readOnly;
      return this;
    }

    /** Deletes segments last written longer ago than this; default unlimited. */
    public Builder retention(Duration retention) {
      Objects.requireNonNull(retention, "retention cannot be null");
      if (retention.isNegative() || retention.isZero()) {
        throw new IllegalArgumentException("retention must be positive, was " + retention);
      }
      this.retention = retention;
      return this;
    }

    /** Deletes the oldest segments while the queue is larger than this; default unlimited. */
    public Builder retentionBytes(long retentionBytes) {
      if (retentionBytes < 1) {
        throw new IllegalArgumentException("retentionBytes must be >= 1, was " + retentionBytes);
      }
      this.retentionBytes = retentionBytes;
      return this;
    }

    /** The clock age retention reads; default the system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock cannot be null");
      return this;
    }

    /**
     * How many segment bytes lie between two entries of a segment's sparse index, which {@link
     * DepotQueue#stream(long)}, {@link DepotQueue#streamFromTimestamp(long)} and {@link
     * DepotQueue#streamFromTag(long)} search: a seek reads at most about this much of a segment
     * after a binary search of its index. Each entry takes 28 bytes of index file (0.7 % of the
     * segment at the default). Between 128 bytes and 64 MiB; default 4 KiB. The index is derived
     * from the segments: a queue reopened with another interval keeps the existing index files.
     */
    public Builder indexIntervalBytes(int indexIntervalBytes) {
      if (indexIntervalBytes < 128 || indexIntervalBytes > (64 << 20)) {
        throw new IllegalArgumentException(
            "indexIntervalBytes must be between 128 and 67108864, was " + indexIntervalBytes);
      }
      this.indexIntervalBytes = indexIntervalBytes;
      return this;
    }

    /**
     * Opens the queue: for writing, takes the lock and recovers the last segment (see {@code
     * SegmentFormat} in {@code dev.depot.store.internal.queue}).
     *
     * @throws dev.depot.store.DepotLockedException when another writer holds the directory
     * @throws dev.depot.store.DepotCorruptionException when the last segment is damaged in a way
     *     recovery must not guess about
     * @throws dev.depot.store.DepotException when the directory cannot be read or created
     */
    public DepotQueue build() {
      return QueueEngine.open(
          new QueueConfig(
              directory,
              segmentBytes,
              writeBufferBytes,
              readBufferBytes,
              syncPolicy,
              readOnly,
              retention == null ? -1 : retention.toMillis(),
              retentionBytes,
              clock,
              indexIntervalBytes));
    }

    private static int checkBuffer(String name, int bytes) {
      if (bytes < 4096 || bytes > (64 << 20)) {
        throw new IllegalArgumentException(
            name + " must be between 4096 and 67108864, was " + bytes);
      }
      return bytes;
    }
  }
}
