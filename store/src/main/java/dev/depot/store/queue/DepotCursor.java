package dev.depot.store.queue;

import java.time.Duration;

/**
 * Reads records in id order, from a start id to the newest record, and can wait for new ones.
 *
 * <pre>{@code
 * try (DepotCursor cursor = queue.stream(fromId)) {
 *   DepotRecord record;
 *   while ((record = cursor.next()) != null) {   // what is there now
 *     if (record.complete()) {
 *       process(record.id(), record.buffer());
 *     }
 *   }
 *   record = cursor.poll(Duration.ofSeconds(1)); // waits for the next append
 * }
 * }</pre>
 *
 * <p>A cursor sees only records whose bytes are fully written: in the writer's process, everything
 * {@code append} returned (a waiting reader makes the writer hand over its buffer); in another
 * process, what the writer has written to the file system (when its buffer fills, on {@code sync},
 * on a {@link SyncPolicy}'s timer, and on close).
 *
 * <p>A cursor is used by one thread at a time. It holds its own file handles, so segments deleted
 * or rewritten while it reads one keep their old content for it until it moves to the next segment.
 *
 * <p>When a record is corrupt, {@link #next()} throws {@link
 * dev.depot.store.DepotCorruptionException} and the following call continues with the next intact
 * record.
 */
public interface DepotCursor extends AutoCloseable {
  /** The next record, or {@code null} when there is none yet. Never blocks on new appends. */
  DepotRecord next();

  /**
   * The next record, waiting up to {@code timeout} for one to be appended; {@code null} when none
   * came in time.
   *
   * @throws InterruptedException when the waiting thread is interrupted
   */
  DepotRecord poll(Duration timeout) throws InterruptedException;

  /** Releases the cursor's file handles. */
  @Override
  void close();
}
