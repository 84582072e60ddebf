package dev.depot.store.internal.queue;

import dev.depot.store.internal.DirectoryLock;
import dev.depot.store.queue.DepotIds;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * What readers of a queue may see, and their waiting. In the writer's process the writer publishes
 * {@code activeSegment << 32 | bytes written to the file system} after each write, and waiting
 * cursors wake up on it; a read-only queue reads the directory and file sizes, and polls.
 * Thread-safe: {@link #publish} is called under the writer's lock, everything else without it.
 */
final class ReaderVisibility implements SegmentSource {
  private final SegmentCatalog catalog;
  private final boolean readOnly;
  private final int readBufferBytes;
  private final BooleanSupplier handOver;
  private final SegmentIndexes indexes;

  private volatile long visibleEnd;
  private volatile boolean closed;
  private final AtomicInteger waiters = new AtomicInteger();
  private final ReentrantLock signalLock = new ReentrantLock();
  private final Condition published = signalLock.newCondition();

  /**
   * @param handOver makes the writer of this process write out its buffer; true when it did
   */
  ReaderVisibility(
      SegmentCatalog catalog,
      boolean readOnly,
      int readBufferBytes,
      BooleanSupplier handOver,
      SegmentIndexes indexes) {
    this.catalog = catalog;
    this.readOnly = readOnly;
    this.readBufferBytes = readBufferBytes;
    this.handOver = handOver;
    this.indexes = indexes;
  }

  /** Makes everything up to {@code end} readable and wakes waiting cursors when it moved. */
  void publish(int segment, long written) {
    long end = ((long) segment << 32) | written;
    if (end != visibleEnd) {
      visibleEnd = end;
      if (waiters.get() > 0) {
        signalAll();
      }
    }
  }

  /** Whether a cursor is waiting: the writer then writes out every append at once. */
  boolean hasWaiters() {
    return waiters.get() > 0;
  }

  /** The segment the writer appends to, as far as readers know. */
  int activeSegment() {
    return (int) (visibleEnd >>> 32);
  }

  boolean closed() {
    return closed;
  }

  /** Marks the queue closed and wakes every waiting cursor, which then fails. */
  void close() {
    closed = true;
    signalAll();
  }

  private void signalAll() {
    signalLock.lock();
    try {
      published.signalAll();
    } finally {
      signalLock.unlock();
    }
  }

  @Override
  public void checkOpen() {
    if (closed) {
      throw new IllegalStateException("depot queue " + catalog.directory() + " is closed");
    }
  }

  @Override
  public int segmentAtOrAfter(int segment) {
    return catalog.atOrAfter(segment);
  }

  @Override
  public Path segmentFile(int segment) {
    return catalog.file(segment);
  }

  @Override
  public int readBufferBytes() {
    return readBufferBytes;
  }

  @Override
  public SegmentIndex.Start locate(
      int segment,
      FrameReader reader,
      SegmentIndex.Seek seek,
      long target,
      long limit,
      boolean sealed) {
    return indexes.locate(this, segment, reader, seek, target, limit, sealed);
  }

  @Override
  public boolean sealed(int segment) {
    if (readOnly) {
      if (catalog.hasAfter(segment)) {
        return true;
      }
      catalog.refresh();
      return catalog.hasAfter(segment);
    }
    return segment < activeSegment();
  }

  @Override
  public long activeLimit(int segment) {
    if (readOnly) {
      return -1;
    }
    long end = visibleEnd;
    int visibleSegment = (int) (end >>> 32);
    if (segment == visibleSegment) {
      return DepotIds.position(end);
    }
    return segment > visibleSegment ? 0 : -1;
  }

  @Override
  public boolean trustsActiveLimit() {
    return !readOnly;
  }

  /**
   * Probes with a shared lock held for an instant; a writer that starts at that instant retries
   * ({@link DirectoryLock#acquire}).
   */
  @Override
  public boolean writerAlive() {
    return DirectoryLock.held(catalog.directory());
  }

  @Override
  public boolean handOver() {
    return !readOnly && handOver.getAsBoolean();
  }

  @Override
  public long visibleVersion() {
    return visibleEnd;
  }

  /** In the writer's process first makes the writer hand over its buffered items. */
  @Override
  public void awaitData(long seen, long nanos, int attempt) throws InterruptedException {
    if (readOnly) {
      long pause = Math.min(nanos, TimeUnit.MICROSECONDS.toNanos(500L << Math.min(attempt, 5)));
      LockSupport.parkNanos(pause);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      return;
    }
    waiters.incrementAndGet();
    try {
      handOver();
      signalLock.lockInterruptibly();
      try {
        long left = nanos;
        while (visibleEnd == seen && !closed && left > 0) {
          left = published.awaitNanos(left);
        }
      } finally {
        signalLock.unlock();
      }
    } finally {
      waiters.decrementAndGet();
    }
  }
}
