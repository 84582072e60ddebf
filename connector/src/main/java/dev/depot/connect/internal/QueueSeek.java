package dev.depot.connect.internal;

import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.DepotCorruptionException;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;

/**
 * Where a replay starts in a queue, for {@code replay.start=timestamp} and {@code offsets}.
 *
 * <p>STAND-IN: {@link #seekByScanning} reads the queue from its oldest record. The store's sparse
 * index (issue 12, part 1) seeks by tag and by timestamp in O(log n); when it lands, this one
 * method is replaced by the index call, and nothing else changes.
 */
public final class QueueSeek {
  private QueueSeek() {}

  /**
   * What to seek: the first complete record whose tag (the sink's Kafka offset) is at least {@code
   * minTag}, or whose envelope timestamp is at least {@code minTimestampMs}.
   *
   * @param byTimestamp true to seek by timestamp (envelope queues only), false by tag
   * @param value the smallest tag, or the smallest timestamp in epoch milliseconds
   */
  public record Target(boolean byTimestamp, long value) {
    public static Target tag(long minTag) {
      return new Target(false, minTag);
    }

    public static Target timestamp(long minTimestampMs) {
      return new Target(true, minTimestampMs);
    }
  }

  /**
   * The id to stream from: that of the first complete record at or after {@code target}; when none
   * is, the id after the newest record (so that records appended later are replayed), or 0 for an
   * empty queue. Corrupt and partial records are stepped over: they lie before the start.
   *
   * <p>Scans from the oldest record: O(records before the target). Replace with the store's index
   * seek.
   */
  public static long seekByScanning(DepotQueue queue, Target target) {
    long after = 0;
    try (DepotCursor cursor = queue.stream()) {
      while (true) {
        DepotRecord record;
        try {
          record = cursor.next();
        } catch (DepotCorruptionException e) {
          continue;
        }
        if (record == null) {
          return after;
        }
        after = record.id() + 1;
        if (!record.complete()) {
          continue;
        }
        if (!target.byTimestamp()) {
          if (record.tag() != DepotRecord.NO_TAG && record.tag() >= target.value()) {
            return record.id();
          }
          continue;
        }
        Long timestamp;
        try {
          timestamp = EnvelopeCodec.decode(record.item()).timestamp();
        } catch (IllegalArgumentException e) {
          continue;
        }
        if (timestamp != null && timestamp >= target.value()) {
          return record.id();
        }
      }
    }
  }
}
