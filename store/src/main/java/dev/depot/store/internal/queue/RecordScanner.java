package dev.depot.store.internal.queue;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.queue.DepotRecord;
import java.util.function.Consumer;

/**
 * Reads every record of a range of segments, counting and stepping over corrupt ones instead of
 * failing: what recovery, {@code lastId()} of a read-only queue and {@code stats()} need.
 */
final class RecordScanner {
  private RecordScanner() {}

  /**
   * Hands each record from {@code fromId} up to the end of segment {@code lastSegment} to {@code
   * visitor} (valid only during the call) and returns how many corrupt records were stepped over.
   */
  static long scan(
      SegmentSource source, long fromId, int lastSegment, Consumer<DepotRecord> visitor) {
    long corrupt = 0;
    try (QueueCursor cursor = new QueueCursor(source, fromId, lastSegment)) {
      while (true) {
        DepotRecord record;
        try {
          record = cursor.next();
        } catch (DepotCorruptionException e) {
          corrupt++;
          continue;
        }
        if (record == null) {
          return corrupt;
        }
        visitor.accept(record);
      }
    }
  }

  /** The id of the newest complete record in the segments numbered up to {@code segment}, or -1. */
  static long lastCompleteId(SegmentCatalog catalog, SegmentSource source, int segment) {
    for (int s = catalog.atOrBefore(segment); s >= 0; s = catalog.atOrBefore(s - 1)) {
      long[] found = {-1};
      scan(
          source,
          (long) s << 32,
          s,
          record -> {
            if (record.complete()) {
              found[0] = record.id();
            }
          });
      if (found[0] >= 0) {
        return found[0];
      }
    }
    return -1;
  }
}
