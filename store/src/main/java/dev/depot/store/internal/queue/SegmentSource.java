package dev.depot.store.internal.queue;

import java.nio.file.Path;

/**
 * What a {@link QueueCursor} needs to know about a queue: which segments exist, how far each may be
 * read, and how to wait for more. Implementations are thread-safe; cursors call them without locks.
 */
interface SegmentSource {
  /**
   * @throws IllegalStateException when the queue is closed
   */
  void checkOpen();

  /** The first segment numbered {@code segment} or above, or -1. */
  int segmentAtOrAfter(int segment);

  Path segmentFile(int segment);

  int readBufferBytes();

  /**
   * Where a cursor that just checked the header of {@code segment} may start looking for {@code
   * target} ({@link SegmentIndex.Seek}), found in the segment's index and checked against the frame
   * there with {@code reader}; null to start at the header. Never throws for a bad index.
   */
  SegmentIndex.Start locate(
      int segment,
      FrameReader reader,
      SegmentIndex.Seek seek,
      long target,
      long limit,
      boolean sealed);

  /**
   * Whether {@code segment} is complete: no byte will be added to it. Ask before reading a limit,
   * so that a true answer makes the file size final.
   */
  boolean sealed(int segment);

  /** Readable bytes of a segment that is not sealed; -1 means "use the file size". */
  long activeLimit(int segment);

  /** Whether bytes below a not-sealed segment's limit are final (this process wrote them). */
  boolean trustsActiveLimit();

  /**
   * For a read-only queue: whether a writer holds the directory, so that a damaged tail of the last
   * segment may still be a record being written.
   */
  boolean writerAlive();

  /**
   * Makes the writer of this process write out its buffer so that cursors see every appended item;
   * false when there was nothing to hand over.
   */
  boolean handOver();

  /** A value that changes whenever more becomes readable; see {@link #awaitData}. */
  long visibleVersion();

  /**
   * Waits until more may be readable than when {@code seen} was read, or {@code nanos} pass, or the
   * queue closes.
   */
  void awaitData(long seen, long nanos, int attempt) throws InterruptedException;
}
