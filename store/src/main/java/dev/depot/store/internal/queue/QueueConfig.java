package dev.depot.store.internal.queue;

import dev.depot.store.queue.SyncPolicy;
import java.nio.file.Path;
import java.time.Clock;

/** Checked settings of a queue, as the public builder collected them. */
public record QueueConfig(
    Path directory,
    long segmentBytes,
    int writeBufferBytes,
    int readBufferBytes,
    SyncPolicy syncPolicy,
    boolean readOnly,
    long retentionMillis,
    long retentionBytes,
    Clock clock) {}
