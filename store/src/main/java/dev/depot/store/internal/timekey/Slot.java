package dev.depot.store.internal.timekey;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One segment's place in the set, resident or not. Inserts hold {@link #lock} for reading while
 * they use {@link #segment}; loading, eviction, checkpoints and expiry hold it for writing.
 */
final class Slot {
  final long startMicros;
  final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  /** The resident segment, or null when only the file holds it. Guarded by {@link #lock}. */
  Segment segment;

  /** Whether a segment file exists. Guarded by {@link #lock}. */
  boolean onDisk;

  /** Size of the segment file. Guarded by {@link #lock}. */
  long diskBytes;

  /** What the segment takes in memory when resident: measured at eviction, or from its header. */
  volatile long residentEstimate;

  /** Set when the set drops the segment; a dropped slot is never used again. */
  volatile boolean dropped;

  /** Changed since the file was last written. */
  volatile boolean dirty;

  /** When an insert or lookup last used the segment ({@link System#nanoTime()}). */
  volatile long lastUsed;

  final AtomicLong keys = new AtomicLong();
  final AtomicLong memory = new AtomicLong();

  Slot(long startMicros) {
    this.startMicros = startMicros;
  }
}
