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

  /**
   * The resident part of the segment (all of it, or some of its streams), or null when only the
   * file holds it. Guarded by {@link #lock}.
   */
  Segment segment;

  /** Whether a segment file exists. Guarded by {@link #lock}. */
  boolean onDisk;

  /**
   * Whether the segment's current content is the image eviction wrote to the spill log (not
   * durable), at {@link #spillBase}, {@link #spillSize} bytes; else the {@code .tks} file. Guarded
   * by {@link #lock}.
   */
  boolean unsynced;

  long spillBase;
  long spillSize;

  /** Format version of the file: 1 (read whole) or 2 (read by stream); 0 without a file. */
  int version;

  /**
   * The sparse index of a version 2 file, read when the segment is first used. Guarded by {@link
   * #lock} (set under the write lock).
   */
  SegmentFile.Index index;

  /** The version 2 {@code .tks} file, open while the segment is resident. Opened under this. */
  java.nio.channels.FileChannel channel;

  /** Size of the segment file. Guarded by {@link #lock}. */
  long diskBytes;

  /** What the segment takes in memory when resident: measured at eviction, or from its header. */
  volatile long residentEstimate;

  /** Set when the set drops the segment; a dropped slot is never used again. */
  volatile boolean dropped;

  /** Holds keys the durable ({@code .tks}) file does not: the next checkpoint writes it. */
  volatile boolean dirty;

  final AtomicLong keys = new AtomicLong();

  /** Memory of the resident streams and the segment object (the index is counted apart). */
  final AtomicLong memory = new AtomicLong();

  /** Memory of {@link #index}, counted in the set's memory too. Guarded by {@link #lock}. */
  long indexBytes;

  Slot(long startMicros) {
    this.startMicros = startMicros;
  }
}
