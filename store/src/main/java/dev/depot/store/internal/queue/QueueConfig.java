package dev.depot.store.internal.queue;

import dev.depot.store.queue.SyncPolicy;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Checked settings of a queue, as the public builder collected them.
 *
 * @param indexIntervalBytes how many segment bytes lie between two entries of a segment's sparse
 *     index ({@link SegmentIndex})
 */
public record QueueConfig(
    Path directory,
    long segmentBytes,
    int writeBufferBytes,
    int readBufferBytes,
    SyncPolicy syncPolicy,
    boolean readOnly,
    long retentionMillis,
    long retentionBytes,
    Clock clock,
    int indexIntervalBytes) {
  /** The default index interval, as {@code DepotQueue.Builder} has it. */
  public static final int DEFAULT_INDEX_INTERVAL_BYTES = 4096;
}
