package dev.depot.store.internal.queue;

import static dev.depot.store.internal.queue.SegmentFormat.TYPE_RECORD;
import static dev.depot.store.internal.queue.SegmentFormat.TYPE_TAGGED;
import static dev.depot.store.internal.queue.SegmentFormat.TYPE_TIMED;

import dev.depot.store.DepotException;
import dev.depot.store.internal.DirectoryLock;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.store.queue.ItemWriter;
import dev.depot.store.queue.QueueStats;
import dev.depot.store.queue.RecordRewriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The depot queue: one writer (or a read-only view) over a directory of segments. A facade over the
 * parts, split the way Kafka splits its log:
 *
 * <ul>
 *   <li>{@link SegmentCatalog}: which segment files exist;
 *   <li>{@link TailRecovery}: where a writer resumes after a crash;
 *   <li>{@link RecordScanner}: reading all records while stepping over corrupt ones;
 *   <li>{@link SegmentIndexes}: the sparse indexes that seeks search;
 *   <li>{@link Appender}: the append path, rolls and syncs;
 *   <li>{@link ReaderVisibility}: what cursors may read, and their waiting;
 *   <li>{@link SegmentMaintenance}: deleting, retention and rewriting full segments.
 * </ul>
 *
 * <p>Thread-safe. Locks, always taken in this order: the appender's sync monitor (serializes
 * syncs), the maintenance lock (deletes and rewrites), the appender's lock (the write buffer and
 * active segment), the visibility's signal lock (wakes waiting cursors). A roll that applies
 * retention only tries the maintenance lock.
 */
public final class QueueEngine implements DepotQueue {
  private static final System.Logger LOG = System.getLogger(QueueEngine.class.getName());

  private final QueueConfig config;
  private final SegmentChannels channels;
  private final Path dir;
  private final int maxItemBytes;
  private final SegmentCatalog catalog;
  private final SegmentIndexes indexes;
  private final ReaderVisibility visibility;
  private final SegmentMaintenance maintenance;
  private final Appender appender;

  private DirectoryLock directoryLock;
  private ScheduledThreadPoolExecutor syncer;

  private QueueEngine(QueueConfig config, SegmentChannels channels) {
    this.config = config;
    this.channels = channels;
    this.dir = config.directory().toAbsolutePath();
    this.maxItemBytes = SegmentFormat.maxItemBytes(config.segmentBytes());
    this.catalog = new SegmentCatalog(dir, config.readOnly());
    this.indexes =
        new SegmentIndexes(dir, config.readOnly(), config.indexIntervalBytes(), channels);
    this.visibility =
        new ReaderVisibility(
            catalog, config.readOnly(), config.readBufferBytes(), this::handOver, indexes);
    this.maintenance = new SegmentMaintenance(config, channels, catalog, visibility, indexes);
    this.appender =
        config.readOnly()
            ? null
            : new Appender(
                config, channels, catalog, visibility, maintenance::tryApplyRetention, indexes);
  }

  /** Opens a queue as the config says; on failure releases everything it took. */
  public static QueueEngine open(QueueConfig config) {
    return open(config, SegmentChannels.FILES);
  }

  /** Opens a queue whose segments are written through {@code channels}. */
  static QueueEngine open(QueueConfig config, SegmentChannels channels) {
    QueueEngine queue = new QueueEngine(config, channels);
    try {
      if (config.readOnly()) {
        queue.openReadOnly();
      } else {
        queue.openWriter();
      }
      return queue;
    } catch (RuntimeException e) {
      DepotException released = queue.release();
      if (released != null) {
        e.addSuppressed(released);
      }
      throw e;
    }
  }

  private void openReadOnly() {
    if (!Files.isDirectory(dir)) {
      throw new DepotException("no depot queue at " + dir + ": not a directory");
    }
    catalog.refresh();
  }

  private void openWriter() {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new DepotException("cannot create queue directory " + dir + ": " + e, e);
    }
    directoryLock = DirectoryLock.acquire(dir, "depot queue " + dir, "open the queue read-only");
    maintenance.deleteRewriteLeftovers();
    catalog.refresh();
    indexes.deleteLeftovers(catalog);
    try {
      TailRecovery.Recovered recovered =
          new TailRecovery(catalog, channels, config.readBufferBytes(), indexes)
              .recover(appender.writeBuffer());
      appender.start(recovered, catalog.below(recovered.segment()).values());
      appender.recovered(
          recovered.lastId() >= 0
              ? recovered.lastId()
              : RecordScanner.lastCompleteId(catalog, visibility, recovered.scanUpTo()));
    } catch (IOException e) {
      throw new DepotException("cannot open " + dir + " for writing: " + e, e);
    }
    appender.sync();
    maintenance.applyRetention();
    long period = config.syncPolicy().period().toMillis();
    if (period > 0) {
      syncer =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "depot-sync-" + dir.getFileName());
                t.setDaemon(true);
                return t;
              });
      syncer.scheduleWithFixedDelay(this::backgroundSync, period, period, TimeUnit.MILLISECONDS);
    }
  }

  // ---- appends ----

  @Override
  public long append(byte[] item) {
    Objects.requireNonNull(item, "item cannot be null");
    return appendOne(item, null, 0, item.length, TYPE_RECORD, 0);
  }

  @Override
  public long append(byte[] item, long tag) {
    Objects.requireNonNull(item, "item cannot be null");
    if (tag == DepotRecord.NO_TAG) {
      throw new IllegalArgumentException("tag " + tag + " is reserved for records without a tag");
    }
    return appendOne(item, null, 0, item.length, TYPE_TAGGED, tag);
  }

  @Override
  public long appendTimed(byte[] item, long tag, long timestampMillis) {
    Objects.requireNonNull(item, "item cannot be null");
    if (tag == DepotRecord.NO_TAG) {
      throw new IllegalArgumentException("tag " + tag + " is reserved for records without a tag");
    }
    if (timestampMillis == DepotRecord.NO_TIMESTAMP) {
      return appendOne(item, null, 0, item.length, TYPE_TAGGED, tag, 0);
    }
    return appendOne(item, null, 0, item.length, TYPE_TIMED, tag, timestampMillis);
  }

  @Override
  public long append(byte[] item, int offset, int length) {
    Objects.requireNonNull(item, "item cannot be null");
    Objects.checkFromIndexSize(offset, length, item.length);
    return appendOne(item, null, offset, length, TYPE_RECORD, 0);
  }

  @Override
  public long append(ByteBuffer item) {
    Objects.requireNonNull(item, "item cannot be null");
    return appendOne(null, item, 0, item.remaining(), TYPE_RECORD, 0);
  }

  @Override
  public long append(int length, ItemWriter writer, long tag) {
    return append(length, writer, tag, DepotRecord.NO_TIMESTAMP);
  }

  @Override
  public long append(int length, ItemWriter writer, long tag, long timestampMillis) {
    Objects.requireNonNull(writer, "writer cannot be null");
    if (length < 0) {
      throw new IllegalArgumentException("length must be >= 0, was " + length);
    }
    if (tag == DepotRecord.NO_TAG) {
      throw new IllegalArgumentException("tag " + tag + " is reserved for records without a tag");
    }
    SegmentFormat.checkItemLength(length, config.segmentBytes());
    if (timestampMillis == DepotRecord.NO_TIMESTAMP) {
      return writer().append(length, writer, TYPE_TAGGED, tag, 0);
    }
    return writer().append(length, writer, TYPE_TIMED, tag, timestampMillis);
  }

  @Override
  public long[] appendAll(List<byte[]> items) {
    Objects.requireNonNull(items, "items cannot be null");
    for (byte[] item : items) {
      Objects.requireNonNull(item, "items cannot contain null");
      SegmentFormat.checkItemLength(item.length, config.segmentBytes());
    }
    return writer().appendAll(items);
  }

  private long appendOne(
      byte[] array, ByteBuffer buffer, int offset, int length, int type, long tag) {
    SegmentFormat.checkItemLength(length, config.segmentBytes());
    return writer().append(array, buffer, offset, length, type, tag);
  }

  private long appendOne(
      byte[] array, ByteBuffer buffer, int offset, int length, int type, long tag, long timestamp) {
    SegmentFormat.checkItemLength(length, config.segmentBytes());
    return writer().append(array, buffer, offset, length, type, tag, timestamp);
  }

  @Override
  public int maxItemBytes() {
    return maxItemBytes;
  }

  // ---- durability ----

  @Override
  public void sync() {
    writer().sync();
  }

  private void backgroundSync() {
    try {
      if (!visibility.closed() && appender.healthy()) {
        appender.sync();
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "background sync of " + dir + " failed", e);
    }
  }

  /** The appender, after checking that this queue may be written. */
  private Appender writer() {
    if (config.readOnly()) {
      throw new IllegalStateException("depot queue " + dir + " is open read-only");
    }
    appender.checkHealthy();
    return appender;
  }

  @Override
  public long lastId() {
    visibility.checkOpen();
    if (config.readOnly()) {
      return RecordScanner.lastCompleteId(catalog, visibility, catalog.last());
    }
    return appender.lastId();
  }

  @Override
  public long syncedId() {
    return config.readOnly() ? -1 : appender.syncedId();
  }

  // ---- reading ----

  @Override
  public DepotCursor stream(long fromId) {
    visibility.checkOpen();
    return new QueueCursor(visibility, fromId, Integer.MAX_VALUE);
  }

  @Override
  public DepotCursor streamFromTimestamp(long timestampMillis) {
    visibility.checkOpen();
    return new QueueCursor(
        visibility, SegmentIndex.Seek.TIMESTAMP, timestampMillis, Integer.MAX_VALUE, true);
  }

  @Override
  public DepotCursor streamFromTag(long tag) {
    visibility.checkOpen();
    return new QueueCursor(visibility, SegmentIndex.Seek.TAG, tag, Integer.MAX_VALUE, true);
  }

  private boolean handOver() {
    return appender != null && appender.handOver();
  }

  // ---- whole-segment operations ----

  @Override
  public int deleteBefore(long id) {
    writer();
    return maintenance.deleteBefore(id);
  }

  @Override
  public int applyRetention() {
    writer();
    return maintenance.applyRetention();
  }

  @Override
  public long rewriteSegment(int segment, RecordRewriter rewriter) {
    Objects.requireNonNull(rewriter, "rewriter cannot be null");
    writer();
    return maintenance.rewriteSegment(segment, rewriter, visibility);
  }

  @Override
  public List<SegmentInfo> segments() {
    visibility.checkOpen();
    return catalog.infos();
  }

  @Override
  public QueueStats stats() {
    visibility.checkOpen();
    if (appender != null) {
      appender.flushIfHealthy();
    }
    long[] counts = new long[4]; // items, partial, item bytes, first id
    long[] last = {-1};
    counts[3] = -1;
    long corrupt =
        RecordScanner.scan(
            visibility,
            0,
            Integer.MAX_VALUE,
            record -> {
              if (counts[3] < 0) {
                counts[3] = record.id();
              }
              if (record.complete()) {
                counts[0]++;
                counts[2] += record.length();
                last[0] = record.id();
              } else {
                counts[1]++;
              }
            });
    List<SegmentInfo> infos = segments();
    long diskBytes = 0;
    for (SegmentInfo info : infos) {
      diskBytes += info.bytes();
    }
    return new QueueStats(
        counts[0], counts[1], corrupt, counts[2], diskBytes, infos.size(), counts[3], last[0]);
  }

  @Override
  public Path directory() {
    return dir;
  }

  @Override
  public boolean readOnly() {
    return config.readOnly();
  }

  @Override
  public void close() {
    synchronized (this) {
      if (visibility.closed()) {
        return;
      }
      DepotException error = null;
      if (appender != null) {
        if (syncer != null) {
          syncer.shutdown();
          try {
            syncer.awaitTermination(1, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        if (appender.healthy()) {
          try {
            appender.sync();
          } catch (DepotException e) {
            error = e;
          }
        }
      }
      DepotException released = release();
      if (error == null) {
        error = released;
      }
      if (error != null) {
        throw error;
      }
    }
  }

  /**
   * Closes the active segment (marking the queue closed) and releases the writer lock, each even
   * when the other fails; safe to call on a half-open queue. Returns what went wrong, or null.
   */
  private DepotException release() {
    IOException error = null;
    try {
      if (appender != null) {
        appender.close();
      } else {
        visibility.close();
      }
    } catch (IOException e) {
      error = e;
    }
    if (directoryLock != null) {
      try {
        directoryLock.close();
      } catch (IOException e) {
        if (error == null) {
          error = e;
        } else {
          error.addSuppressed(e);
        }
      }
    }
    return error == null ? null : new DepotException("cannot close " + dir + ": " + error, error);
  }

  @Override
  public String toString() {
    return "DepotQueue[" + dir + (config.readOnly() ? ", read-only]" : "]");
  }
}
