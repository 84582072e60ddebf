package dev.depot.store.queue;

/**
 * What a queue holds, counted when {@link DepotQueue#stats()} is called.
 *
 * @param items complete records
 * @param partialRecords records a crash left partly written ({@code complete() == false})
 * @param corruptRecords frames that failed their checksum or structure (each also raised by
 *     cursors)
 * @param itemBytes sum of the item lengths of the complete records
 * @param diskBytes size of all segment files
 * @param segments number of segment files
 * @param firstId id of the oldest record, or -1 when the queue is empty
 * @param lastId id of the newest complete record, or -1 when there is none
 */
public record QueueStats(
    long items,
    long partialRecords,
    long corruptRecords,
    long itemBytes,
    long diskBytes,
    int segments,
    long firstId,
    long lastId) {}
