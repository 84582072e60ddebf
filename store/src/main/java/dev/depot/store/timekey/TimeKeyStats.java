package dev.depot.store.timekey;

/**
 * What a {@link TimeKeyStreamSet} holds, read when {@link TimeKeyStreamSet#stats()} is called.
 *
 * @param keys keys in the set (resident or on disk)
 * @param segmentsInMemory segments resident in memory, whole or in part (some device streams)
 * @param segmentsOnDisk segments with an image on disk: a file, or for segments evicted since the
 *     last checkpoint their image in the spill log (a resident segment may have one too)
 * @param bytesInMemory memory the resident segments take, as the memory limit counts it
 * @param bytesOnDisk size of the segments' current images: their files, or for segments evicted
 *     since the last checkpoint their images in the spill log
 * @param peakBytesInMemory the highest {@code bytesInMemory} since the set was opened
 * @param newestMicros the newest key's micros, or {@link Long#MIN_VALUE} when empty
 * @param evictions device streams (one id's keys in one segment) dropped from memory since the set
 *     was opened
 * @param loads device streams read back from disk since the set was opened (a whole segment for a
 *     file of format version 1)
 */
public record TimeKeyStats(
    long keys,
    int segmentsInMemory,
    int segmentsOnDisk,
    long bytesInMemory,
    long bytesOnDisk,
    long peakBytesInMemory,
    long newestMicros,
    long evictions,
    long loads) {}
