package dev.depot.store.queue;

import java.nio.ByteBuffer;
import java.util.function.Predicate;

/**
 * Decides, record by record, what a {@linkplain DepotQueue#rewriteSegment segment rewrite} keeps.
 * Returning {@code record.buffer()} keeps the record byte for byte, returning another buffer
 * replaces its item (the id stays), and returning {@code null} drops it.
 *
 * <pre>{@code
 * // drop records whose first byte is 0 (say, tombstones)
 * queue.rewriteSegment(3, RecordRewriter.keepIf(r -> r.length() > 0 && r.buffer().get(0) != 0));
 * }</pre>
 */
@FunctionalInterface
public interface RecordRewriter {
  /** The item to store under {@code record.id()}, {@code record.buffer()} to keep it, or null. */
  ByteBuffer rewrite(DepotRecord record);

  /** Keeps the records that {@code keep} accepts, unchanged, and drops the rest. */
  static RecordRewriter keepIf(Predicate<DepotRecord> keep) {
    return record -> keep.test(record) ? record.buffer() : null;
  }
}
