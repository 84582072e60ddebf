package dev.depot.store.internal.queue;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.depot.store.DepotException;
import dev.depot.store.internal.FileNames;
import dev.depot.store.internal.FileSync;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue.SegmentInfo;
import dev.depot.store.queue.DepotRecord;
import dev.depot.store.queue.RecordRewriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Whole-segment operations on full segments: deleting, retention, and rewriting. Never touches the
 * segment being appended to. Thread-safe: one lock serializes these operations; it is taken after
 * the writer's sync monitor and before the writer's lock, and a roll only tries it.
 */
final class SegmentMaintenance {
  private static final System.Logger LOG = System.getLogger(SegmentMaintenance.class.getName());

  private final QueueConfig config;
  private final SegmentChannels channels;
  private final SegmentCatalog catalog;
  private final ReaderVisibility visibility;
  private final SegmentIndexes indexes;
  private final Path dir;
  private final ReentrantLock lock = new ReentrantLock();

  SegmentMaintenance(
      QueueConfig config,
      SegmentChannels channels,
      SegmentCatalog catalog,
      ReaderVisibility visibility,
      SegmentIndexes indexes) {
    this.config = config;
    this.channels = channels;
    this.catalog = catalog;
    this.visibility = visibility;
    this.indexes = indexes;
    this.dir = catalog.directory();
  }

  /** Deletes the temporary files of rewrites a crash interrupted. */
  void deleteRewriteLeftovers() {
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(dir, "*" + SegmentFormat.REWRITE_SUFFIX)) {
      for (Path file : files) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new DepotException("cannot clean up " + dir + ": " + e, e);
    }
  }

  int deleteBefore(long id) {
    int below = id < 0 ? 0 : DepotIds.segment(id);
    lock.lock();
    try {
      int deleted = 0;
      for (Map.Entry<Integer, Path> e : catalog.below(below).entrySet()) {
        if (e.getKey() < visibility.activeSegment()) {
          deleteSegment(e.getKey(), e.getValue());
          deleted++;
        }
      }
      if (deleted > 0) {
        FileSync.directory(dir);
      }
      return deleted;
    } catch (IOException e) {
      throw new DepotException("cannot delete segments of " + dir + ": " + e, e);
    } finally {
      lock.unlock();
    }
  }

  /** Whether any retention limit is set. */
  boolean retains() {
    return config.retentionMillis() >= 0 || config.retentionBytes() >= 0;
  }

  int applyRetention() {
    lock.lock();
    try {
      return applyRetentionLocked();
    } finally {
      lock.unlock();
    }
  }

  /** Applies retention unless another maintenance operation runs (it is then not urgent). */
  void tryApplyRetention() {
    if (retains() && lock.tryLock()) {
      try {
        applyRetentionLocked();
      } finally {
        lock.unlock();
      }
    }
  }

  private int applyRetentionLocked() {
    long maxAge = config.retentionMillis();
    long maxBytes = config.retentionBytes();
    if (!retains()) {
      return 0;
    }
    List<SegmentInfo> all = catalog.infos();
    long total = 0;
    for (SegmentInfo info : all) {
      total += info.bytes();
    }
    long cutoff = config.clock().millis() - maxAge;
    int active = visibility.activeSegment();
    int deleted = 0;
    try {
      for (SegmentInfo info : all) {
        boolean tooOld = maxAge >= 0 && info.lastModifiedMillis() < cutoff;
        boolean tooBig = maxBytes >= 0 && total > maxBytes;
        if (info.number() >= active || !(tooOld || tooBig)) {
          break;
        }
        deleteSegment(info.number(), info.file());
        total -= info.bytes();
        deleted++;
      }
      if (deleted > 0) {
        FileSync.directory(dir);
      }
    } catch (IOException e) {
      throw new DepotException("cannot apply retention to " + dir + ": " + e, e);
    }
    return deleted;
  }

  private void deleteSegment(int number, Path file) throws IOException {
    catalog.remove(number);
    Files.deleteIfExists(file);
    indexes.delete(number);
  }

  /**
   * Rewrites a full segment beside itself (through the same channels as appends), fsyncs it and
   * renames it over the old one; see {@link dev.depot.store.queue.DepotQueue#rewriteSegment}.
   */
  long rewriteSegment(int segment, RecordRewriter rewriter, SegmentSource source) {
    lock.lock();
    try {
      Path file = catalog.get(segment);
      if (file == null) {
        throw new IllegalArgumentException("segment " + segment + " does not exist in " + dir);
      }
      if (segment >= visibility.activeSegment()) {
        throw new IllegalArgumentException(
            "segment "
                + segment
                + " of "
                + dir
                + " is being appended to; only full segments can be rewritten");
      }
      Path temp = dir.resolve(FileNames.of(segment, 10, SegmentFormat.REWRITE_SUFFIX));
      try {
        SegmentIndex.Builder index = indexes.newBuilder(segment);
        long size = writeRewritten(segment, file, temp, rewriter, source, index);
        // The old index goes first: a crash between the two leaves no index, which is rebuilt.
        indexes.delete(segment);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        FileSync.directory(dir);
        indexes.write(index);
        return size;
      } catch (IOException e) {
        throw new DepotException("cannot rewrite " + file + ": " + e, e);
      } finally {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException e) {
          LOG.log(System.Logger.Level.WARNING, "cannot delete " + temp, e);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private long writeRewritten(
      int segment,
      Path file,
      Path temp,
      RecordRewriter rewriter,
      SegmentSource source,
      SegmentIndex.Builder index)
      throws IOException {
    long size;
    try (FileChannel out = channels.open(temp, CREATE, TRUNCATE_EXISTING, READ, WRITE);
        QueueCursor in = new QueueCursor(source, (long) segment << 32, segment)) {
      FrameSink target =
          new FrameSink(temp, out, SegmentFormat.newBuffer(config.writeBufferBytes()), 0);
      target.putHeader(segment, SegmentFormat.FLAG_REWRITTEN);
      long last = SegmentFormat.HEADER_BYTES;
      DepotRecord record;
      while ((record = in.next()) != null) {
        ByteBuffer keep = rewriter.rewrite(record);
        if (keep == null) {
          continue;
        }
        long recordPos = DepotIds.position(record.id());
        if (target.end() > recordPos) {
          throw new IllegalArgumentException(
              "rewritten items of segment "
                  + segment
                  + " would move record "
                  + DepotIds.toString(record.id())
                  + " forward; a rewrite may shrink or drop items but not grow them in total");
        }
        SegmentFormat.checkItemLength(keep.remaining(), config.segmentBytes());
        boolean partial = keep == record.buffer() && !record.complete();
        int type =
            partial
                ? SegmentFormat.TYPE_PARTIAL
                : record.timestamp() != DepotRecord.NO_TIMESTAMP
                    ? SegmentFormat.TYPE_TIMED
                    : record.tag() != DepotRecord.NO_TAG
                        ? SegmentFormat.TYPE_TAGGED
                        : SegmentFormat.TYPE_RECORD;
        long framePos = target.end();
        target.put(
            type, recordPos, record.tag(), record.timestamp(), null, keep, 0, keep.remaining());
        index.track(
            framePos,
            recordPos,
            partial ? DepotRecord.NO_TIMESTAMP : record.timestamp(),
            partial ? DepotRecord.NO_TAG : record.tag(),
            !partial);
        last = recordPos;
      }
      target.flush();
      size = target.end();
      index.end(size, Math.max(size, last + 1));
      Files.setLastModifiedTime(temp, Files.getLastModifiedTime(file));
      out.force(true);
    }
    return size;
  }
}
