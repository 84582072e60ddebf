package dev.depot.store.internal.queue;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.depot.store.DepotException;
import dev.depot.store.internal.FileSync;
import dev.depot.store.queue.DepotRecord;
import dev.depot.store.queue.ItemWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The append path of a writer: the active segment, its write buffer, rolling to a new segment, and
 * syncing what was appended. Thread-safe: {@code lock} guards the writer state, {@code syncMonitor}
 * serializes syncs and is taken before {@code lock}; the fsyncs themselves run outside {@code
 * lock}, so appends continue while a sync waits for the disk.
 *
 * <p>After an I/O error the appender refuses every later write ({@link #checkHealthy}): what the
 * file holds after a failed write is unknown until the queue is reopened and recovers it.
 */
final class Appender {
  private final QueueConfig config;
  private final SegmentChannels channels;
  private final SegmentCatalog catalog;
  private final ReaderVisibility visibility;
  private final Runnable afterRoll;
  private final SegmentIndexes indexes;
  private final Path dir;
  private final long syncItems;
  private final long syncBytes;

  private final Object syncMonitor = new Object();
  private final ReentrantLock lock = new ReentrantLock();

  // Guarded by lock.
  private final ByteBuffer writeBuffer;
  private FrameSink sink;
  private int activeSegment;
  private int activeVersion = SegmentFormat.VERSION;
  private long lastId = -1;
  private long unsyncedItems;
  private long unsyncedBytes;
  private boolean dirty;
  private boolean dirDirty;
  private final List<Path> unsyncedSealed = new ArrayList<>();

  private volatile long syncedId = -1;
  private volatile DepotException failure;

  /**
   * @param afterRoll runs after each roll, under the writer's lock (retention, which must only try
   *     its own lock)
   * @param indexes where the active segment's index is kept, and written when it is full
   */
  Appender(
      QueueConfig config,
      SegmentChannels channels,
      SegmentCatalog catalog,
      ReaderVisibility visibility,
      Runnable afterRoll,
      SegmentIndexes indexes) {
    this.config = config;
    this.channels = channels;
    this.catalog = catalog;
    this.visibility = visibility;
    this.afterRoll = afterRoll;
    this.indexes = indexes;
    this.dir = catalog.directory();
    this.syncItems = config.syncPolicy().items();
    this.syncBytes = config.syncPolicy().bytes();
    this.writeBuffer = SegmentFormat.newBuffer(config.writeBufferBytes());
  }

  /** The buffer recovery hands to the sink it creates. */
  ByteBuffer writeBuffer() {
    return writeBuffer;
  }

  /**
   * Starts appending where recovery says, with {@code lastId} the newest complete record. What
   * recovery read may exist only in the page cache (the writer crashed, the machine did not), as
   * may the last writes of any older segment: the first sync makes all of it durable, so that
   * {@link #syncedId} can start at {@link #lastId}.
   */
  void start(TailRecovery.Recovered recovered, Collection<Path> olderSegments) throws IOException {
    lock.lock();
    try {
      if (recovered.sink() == null) {
        startSegment(recovered.segment());
      } else {
        sink = recovered.sink();
        activeSegment = recovered.segment();
        activeVersion = recovered.version();
        indexes.setActive(recovered.index());
        visibility.publish(activeSegment, sink.written());
      }
      dirty = true;
      dirDirty = true;
      unsyncedSealed.addAll(olderSegments);
    } finally {
      lock.unlock();
    }
  }

  /** Sets the id recovery found, once the sink is in place (finding it reads older segments). */
  void recovered(long id) {
    lock.lock();
    try {
      lastId = id;
    } finally {
      lock.unlock();
    }
  }

  private void startSegment(int number) throws IOException {
    Path file = catalog.file(number);
    indexes.delete(number); // a stale one, left by a crash
    indexes.setActive(indexes.newBuilder(number));
    FileChannel channel = channels.open(file, CREATE_NEW, READ, WRITE);
    sink = new FrameSink(file, channel, writeBuffer, 0);
    sink.putHeader(number, 0);
    activeSegment = number;
    activeVersion = SegmentFormat.VERSION;
    catalog.add(number, file);
    dirty = true;
    dirDirty = true;
    visibility.publish(number, 0);
  }

  /** Appends one item; syncs afterwards when the sync policy says so. */
  long append(byte[] array, ByteBuffer buffer, int offset, int length, int type, long tag) {
    return append(array, buffer, offset, length, type, tag, 0);
  }

  /**
   * Appends one item, with {@code timestamp} when {@code type} is {@link SegmentFormat#TYPE_TIMED};
   * syncs afterwards when the sync policy says so.
   */
  long append(
      byte[] array, ByteBuffer buffer, int offset, int length, int type, long tag, long timestamp) {
    notFromWriter();
    long id;
    boolean syncNow;
    lock.lock();
    try {
      checkHealthy();
      id = appendLocked(array, buffer, offset, length, type, tag, timestamp);
      syncNow = afterAppendLocked();
    } finally {
      lock.unlock();
    }
    if (syncNow) {
      sync();
    }
    return id;
  }

  /** Appends untagged items as one batch that no other append interleaves with. */
  long[] appendAll(List<byte[]> items) {
    notFromWriter();
    long[] ids = new long[items.size()];
    boolean syncNow;
    lock.lock();
    try {
      checkHealthy();
      int i = 0;
      for (byte[] item : items) {
        ids[i++] = appendLocked(item, null, 0, item.length, SegmentFormat.TYPE_RECORD, 0, 0);
      }
      syncNow = afterAppendLocked();
    } finally {
      lock.unlock();
    }
    if (syncNow) {
      sync();
    }
    return ids;
  }

  /**
   * Appends one item of {@code type} (TAGGED or TIMED) that {@code writer} writes in place, with
   * {@code timestamp} when the type is {@link SegmentFormat#TYPE_TIMED}; syncs afterwards when the
   * sync policy says so. When the writer fails, nothing is appended (the roll to a new segment that
   * preceded it stays) and the queue stays writable.
   */
  long append(int length, ItemWriter writer, int type, long tag, long timestamp) {
    notFromWriter();
    long id;
    boolean syncNow;
    lock.lock();
    try {
      checkHealthy();
      long pos = positionFor(type, length);
      try {
        sink.put(type, pos, tag, timestamp, length, writer);
      } catch (IOException e) {
        throw fail("cannot write to " + sink.file(), e);
      }
      id = appended(pos, length, type, tag, timestamp);
      syncNow = afterAppendLocked();
    } finally {
      lock.unlock();
    }
    if (syncNow) {
      sync();
    }
    return id;
  }

  private long appendLocked(
      byte[] array, ByteBuffer buffer, int offset, int length, int type, long tag, long timestamp) {
    long pos = positionFor(type, length);
    try {
      sink.put(type, pos, tag, timestamp, array, buffer, offset, length);
    } catch (IOException e) {
      throw fail("cannot write to " + sink.file(), e);
    }
    return appended(pos, length, type, tag, timestamp);
  }

  /**
   * Where a frame of {@code type} with {@code length} payload bytes goes: rolls first when the
   * segment is full, or is a version 1 segment that cannot hold the frame.
   */
  private long positionFor(int type, int length) {
    long pos = sink.end();
    if (pos + SegmentFormat.headerBytes(type) + length > config.segmentBytes()
        || type > SegmentFormat.maxType(activeVersion)) {
      try {
        roll();
      } catch (IOException e) {
        throw fail("cannot write to " + sink.file(), e);
      }
      pos = sink.end();
    }
    return pos;
  }

  /** Notes an item appended at {@code pos} in the counters and the index; returns its id. */
  private long appended(long pos, int length, int type, long tag, long timestamp) {
    indexes
        .active()
        .track(
            pos,
            pos,
            type == SegmentFormat.TYPE_TIMED ? timestamp : DepotRecord.NO_TIMESTAMP,
            type >= SegmentFormat.TYPE_TAGGED ? tag : DepotRecord.NO_TAG,
            true);
    dirty = true;
    unsyncedItems++;
    unsyncedBytes += length;
    lastId = ((long) activeSegment << 32) | pos;
    return lastId;
  }

  /** Publishes what the sink wrote, and says whether the sync policy wants a sync now. */
  private boolean afterAppendLocked() {
    if (visibility.hasWaiters()) {
      flushLocked();
    } else {
      visibility.publish(activeSegment, sink.written());
    }
    return (syncItems > 0 && unsyncedItems >= syncItems)
        || (syncBytes > 0 && unsyncedBytes >= syncBytes);
  }

  private void roll() throws IOException {
    if (activeSegment == SegmentFormat.MAX_SEGMENT_NUMBER) {
      throw new DepotException("depot queue " + dir + " has used up all segment numbers");
    }
    sink.flush();
    sink.channel().close();
    if (dirty) {
      unsyncedSealed.add(sink.file());
    }
    SegmentIndex.Builder full = indexes.active();
    full.end(sink.end(), sink.end());
    indexes.write(full);
    startSegment(activeSegment + 1);
    afterRoll.run();
  }

  private void flushLocked() {
    try {
      sink.flush();
    } catch (IOException e) {
      throw fail("cannot write to " + sink.file(), e);
    }
    visibility.publish(activeSegment, sink.written());
  }

  /**
   * Writes out the buffer so that cursors of this process see every appended item; false when there
   * was nothing to hand over (or the queue is closed or failed).
   */
  boolean handOver() {
    notFromWriter();
    lock.lock();
    try {
      if (visibility.closed() || failure != null || sink == null || !sink.hasBuffered()) {
        return false;
      }
      flushLocked();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Writes out the buffer unless the appender failed, so that files hold every append. */
  void flushIfHealthy() {
    lock.lock();
    try {
      if (failure == null && sink != null) {
        flushLocked();
      }
    } finally {
      lock.unlock();
    }
  }

  /** fsyncs every segment written since the last sync, and the directory when files changed. */
  void sync() {
    notFromWriter();
    checkHealthy();
    synchronized (syncMonitor) {
      Path[] sealed;
      FileChannel active;
      Path activeFile;
      boolean directory;
      long target;
      lock.lock();
      try {
        checkHealthy();
        if (!dirty && !dirDirty && unsyncedSealed.isEmpty()) {
          return;
        }
        flushLocked();
        sealed = unsyncedSealed.toArray(Path[]::new);
        unsyncedSealed.clear();
        active = sink.channel();
        activeFile = sink.file();
        directory = dirDirty;
        dirDirty = false;
        dirty = false;
        unsyncedItems = 0;
        unsyncedBytes = 0;
        target = lastId;
      } finally {
        lock.unlock();
      }
      try {
        for (Path file : sealed) {
          FileSync.file(file);
        }
        try {
          active.force(false);
        } catch (ClosedChannelException e) {
          FileSync.file(activeFile); // a concurrent roll closed it
        }
        if (directory) {
          FileSync.directory(dir);
        }
      } catch (IOException e) {
        throw fail("cannot sync " + dir, e);
      }
      syncedId = target;
      indexes.publishActive();
    }
  }

  /**
   * Refuses a call from an {@link ItemWriter}, the only foreign code that runs under the lock: a
   * flush or an append while it writes would move the frame it is writing into.
   */
  private void notFromWriter() {
    if (lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("an ItemWriter must not call the queue it writes to");
    }
  }

  private DepotException fail(String message, IOException cause) {
    DepotException e = new DepotException(message + ": " + cause, cause);
    if (failure == null) {
      failure = e;
    }
    return e;
  }

  /**
   * @throws IllegalStateException when the queue is closed
   * @throws DepotException when an earlier write or sync failed
   */
  void checkHealthy() {
    visibility.checkOpen();
    DepotException failed = failure;
    if (failed != null) {
      throw new DepotException(
          "depot queue " + dir + " failed earlier and must be reopened: " + failed.getMessage(),
          failed);
    }
  }

  /** Whether the queue may still be synced: it started and nothing failed. */
  boolean healthy() {
    return failure == null && sink != null;
  }

  long lastId() {
    lock.lock();
    try {
      return lastId;
    } finally {
      lock.unlock();
    }
  }

  long syncedId() {
    return syncedId;
  }

  /**
   * Marks the queue closed for readers (under the writer's lock, so that no hand-over runs after)
   * and closes the active segment's channel.
   */
  void close() throws IOException {
    lock.lock();
    try {
      visibility.close();
      SegmentIndex.Builder index = indexes.active();
      if (failure == null && sink != null && !sink.hasBuffered() && index != null) {
        // For readers of other processes; a writer that reopens reads the segment anyway.
        index.end(sink.end(), sink.end());
        indexes.write(index);
      }
      indexes.closeFiles();
      if (sink != null) {
        sink.channel().close();
      }
    } finally {
      lock.unlock();
    }
  }
}
