package dev.depot.connect.internal;

import dev.depot.connect.DepotSinkConfig;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.DepotException;
import dev.depot.store.DepotLockedException;
import dev.depot.store.internal.AtomicFiles;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.store.queue.SyncPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue of one topic-partition and its offsets. Every item is appended with its record's offset
 * as the tag, so the queue itself says where to resume; items appended since the queue was last
 * known synced are tracked to say which offsets may be committed.
 */
public final class PartitionWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionWriter.class);

  /** Name of the file that records a queue's item format, read by the {@code depot} tool. */
  public static final String FORMAT_FILE = "depot.format";

  private static final List<String> FORMATS =
      Arrays.stream(DepotSinkConfig.Format.values())
          .map(f -> f.name().toLowerCase(Locale.ROOT))
          .toList();

  /** How long {@link #open} waits for another task (a rebalance in progress) to release a queue. */
  static final Duration LOCK_WAIT = Duration.ofSeconds(60);

  private final TopicPartition tp;
  private final Path dir;
  private final DepotQueue queue;
  private final SinkMetrics metrics;
  private final MetricName syncedMetric;

  /** Offset of the newest record in the queue, or -1. */
  private long lastOffset;

  /** Offset of the newest record known on stable storage, or -1. */
  private volatile long syncedOffset;

  /** Runs of appends not yet known synced: {first offset, last id, last offset}, oldest first. */
  private final ArrayDeque<long[]> unsynced = new ArrayDeque<>();

  private boolean newRun = true;

  /**
   * Records and bytes appended in the current run, for the metrics (two sensors per record cost).
   */
  private long runRecords;

  private long runBytes;

  /** Syncs the queue in the background every {@link WriteBehind#BYTES}, or null. */
  private final WriteBehind writeBehind;

  private final AtomicBoolean syncPending = new AtomicBoolean();
  private long bytesSinceWriteBehind;

  private PartitionWriter(
      TopicPartition tp, Path dir, DepotQueue queue, SinkMetrics metrics, WriteBehind writeBehind) {
    this.tp = tp;
    this.dir = dir;
    this.queue = queue;
    this.metrics = metrics;
    this.writeBehind = writeBehind;
    this.lastOffset = recoverLastOffset();
    this.syncedOffset = lastOffset; // opening for write fsyncs what it recovered
    this.syncedMetric = metrics.lastSyncedOffset(tp, () -> syncedOffset);
  }

  /**
   * Opens (creating it) the queue of {@code tp} under {@code depot.path}, waiting up to a minute
   * for a task that still holds it (a rebalance in progress).
   *
   * @param writeBehind syncs the queue in the background as it fills, or null
   */
  public static PartitionWriter open(
      DepotSinkConfig config, TopicPartition tp, SinkMetrics metrics, WriteBehind writeBehind) {
    Path dir = Path.of(config.path(), tp.topic(), Integer.toString(tp.partition()));
    checkFormat(dir, config.format());
    DepotQueue.Builder builder =
        DepotQueue.builder(dir)
            .segmentBytes(config.segmentBytes())
            .syncPolicy(
                config.syncPolicy() == DepotSinkConfig.SyncPolicy.INTERVAL
                    ? SyncPolicy.interval(Duration.ofMillis(config.syncIntervalMs()))
                    : SyncPolicy.none());
    if (config.retentionMs() != -1) {
      builder.retention(Duration.ofMillis(config.retentionMs()));
    }
    if (config.retentionBytes() != -1) {
      builder.retentionBytes(config.retentionBytes());
    }
    long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
    while (true) {
      try {
        return openQueue(tp, dir, builder, metrics, writeBehind);
      } catch (DepotLockedException e) {
        if (System.nanoTime() > deadline) {
          throw new ConnectException(
              "the depot queue of "
                  + tp
                  + " at "
                  + dir
                  + " is still in use after "
                  + LOCK_WAIT
                  + ": "
                  + e.getMessage(),
              e);
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      } catch (DepotException e) {
        throw new ConnectException(
            "cannot open the depot queue of " + tp + ": " + e.getMessage(), e);
      }
    }
  }

  /** Opens the queue and reads its last offset; closes the queue again when that fails. */
  private static PartitionWriter openQueue(
      TopicPartition tp,
      Path dir,
      DepotQueue.Builder builder,
      SinkMetrics metrics,
      WriteBehind writeBehind) {
    DepotQueue queue = builder.build();
    try {
      return new PartitionWriter(tp, dir, queue, metrics, writeBehind);
    } catch (RuntimeException e) {
      try {
        queue.close();
      } catch (RuntimeException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  /**
   * Records a queue's format on first use (written beside, fsynced and renamed, so a crash leaves
   * no empty file), and refuses to mix formats in one queue.
   */
  private static void checkFormat(Path dir, DepotSinkConfig.Format format) {
    String wanted = format.name().toLowerCase(Locale.ROOT);
    Path file = dir.resolve(FORMAT_FILE);
    try {
      String existing;
      try {
        // Decoded leniently: a torn file may end inside a character, or hold garbage.
        existing = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
      } catch (NoSuchFileException e) {
        Files.createDirectories(dir);
        AtomicFiles.write(file, (wanted + "\n").getBytes(StandardCharsets.UTF_8));
        return;
      }
      if (!FORMATS.contains(existing)) {
        throw new ConnectException(
            file
                + " is damaged (it holds "
                + (existing.isEmpty() ? "nothing" : "'" + existing + "'")
                + ", not one of "
                + FORMATS
                + "; a crash while it was written?): write the format of the items in "
                + dir
                + " into it (depot.format="
                + wanted
                + " writes '"
                + wanted
                + "'), or delete the directory to start the queue over");
      }
      if (!existing.equals(wanted)) {
        throw new ConnectException(
            "depot.format="
                + wanted
                + " but the queue at "
                + dir
                + " holds "
                + existing
                + " items; keep depot.format="
                + existing
                + " or choose another depot.path");
      }
    } catch (IOException e) {
      throw new ConnectException("cannot use the depot directory " + dir + ": " + e, e);
    }
  }

  /** The offset stored with the newest complete record: its tag, or its envelope's offset. */
  private long recoverLastOffset() {
    long lastId = queue.lastId();
    if (lastId < 0) {
      return -1;
    }
    try (DepotCursor cursor = queue.stream(lastId)) {
      DepotRecord record = cursor.next();
      if (record == null || record.id() != lastId) {
        throw new ConnectException("cannot read back the last record of " + dir);
      }
      if (record.tag() != DepotRecord.NO_TAG) {
        return record.tag();
      }
      byte[] item = record.item();
      if (EnvelopeCodec.looksLikeEnvelope(item)) {
        return EnvelopeCodec.decode(item).offset();
      }
      throw new ConnectException(
          "the last record of "
              + dir
              + " carries no offset: the queue was not written by the"
              + " depot sink; choose another depot.path");
    }
  }

  public Path directory() {
    return dir;
  }

  /** The next offset to read, or -1 when the queue holds nothing of this partition yet. */
  public long nextOffset() {
    return lastOffset < 0 ? -1 : lastOffset + 1;
  }

  /** The largest item the queue stores. */
  public int maxItemBytes() {
    return queue.maxItemBytes();
  }

  /** Marks the start of a new run of appends (one {@code put} call). */
  public void startRun() {
    endRun();
    newRun = true;
  }

  /** Marks the end of a run of appends: records its counts in the metrics. */
  public void endRun() {
    metrics.written(runRecords, runBytes);
    runRecords = 0;
    runBytes = 0;
  }

  /** Whether the record at {@code offset} is already in the queue (delivered again). */
  public boolean holds(long offset) {
    return offset <= lastOffset;
  }

  /**
   * Appends an item with its record's offset and Kafka timestamp (null: none), which the queue's
   * index sees for seeks by offset and time, encoding the item straight into the queue's buffer.
   */
  public void write(long offset, RecordEncoder.Item item, Long timestamp) {
    long id;
    try {
      id =
          queue.append(
              item.length(),
              item,
              offset,
              timestamp == null ? DepotRecord.NO_TIMESTAMP : timestamp);
    } catch (DepotException e) {
      throw new ConnectException(
          "cannot write " + tp + " offset " + offset + " to the depot: " + e.getMessage(), e);
    }
    lastOffset = offset;
    if (newRun || unsynced.isEmpty()) {
      unsynced.addLast(new long[] {offset, id, offset});
      newRun = false;
    } else {
      long[] run = unsynced.peekLast();
      run[1] = id;
      run[2] = offset;
    }
    runRecords++;
    runBytes += item.length();
    if (writeBehind != null) {
      bytesSinceWriteBehind += item.length();
      if (bytesSinceWriteBehind >= WriteBehind.BYTES) {
        bytesSinceWriteBehind = 0;
        writeBehind.sync(queue, syncPending);
      }
    }
  }

  /** Whether appends are waiting for a sync. */
  public boolean dirty() {
    return !unsynced.isEmpty() && queue.syncedId() < unsynced.peekLast()[1];
  }

  /** fsyncs the queue. */
  public void sync() {
    long started = System.nanoTime();
    try {
      queue.sync();
    } catch (DepotException e) {
      throw new ConnectException("cannot sync the depot queue of " + tp + ": " + e.getMessage(), e);
    }
    metrics.synced((System.nanoTime() - started) / 1e6);
  }

  /**
   * The offset that may be committed when {@code consumed} is the next offset Connect would read:
   * everything before the oldest unsynced append (records skipped or reported meanwhile are done),
   * or {@code consumed} when nothing is unsynced.
   */
  public long committable(long consumed) {
    long synced = queue.syncedId();
    while (!unsynced.isEmpty() && unsynced.peekFirst()[1] <= synced) {
      syncedOffset = unsynced.pollFirst()[2];
    }
    if (unsynced.isEmpty()) {
      syncedOffset = Math.max(syncedOffset, lastOffset);
      return consumed;
    }
    return Math.min(consumed, unsynced.peekFirst()[0]);
  }

  @Override
  public void close() {
    endRun();
    metrics.remove(syncedMetric);
    try {
      queue.close(); // syncs
    } catch (DepotException e) {
      LOG.error("cannot close the depot queue of {} at {}: {}", tp, dir, e.getMessage());
      throw new ConnectException(
          "cannot close the depot queue of " + tp + ": " + e.getMessage(), e);
    }
  }
}
