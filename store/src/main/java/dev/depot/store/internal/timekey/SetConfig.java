package dev.depot.store.internal.timekey;

import java.nio.file.Path;

/**
 * Checked settings of a time-key set.
 *
 * @param directory null for a temporary directory
 * @param intervalMicros -1 when not set: the directory's, or one hour for a new one
 * @param retentionMicros -1 for unlimited
 */
public record SetConfig(
    Path directory, long intervalMicros, long memoryLimit, long retentionMicros) {}
