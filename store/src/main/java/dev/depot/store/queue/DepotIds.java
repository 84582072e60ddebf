package dev.depot.store.queue;

/**
 * Helpers for queue ids. An id is {@code segmentNumber << 32 | position}: the segment that holds
 * the record and the byte offset at which the record was appended. Ids grow with every append but
 * are not contiguous, and they stay the same when a segment is rewritten.
 *
 * <pre>{@code
 * long id = queue.append(item);
 * int segment = DepotIds.segment(id);    // which file: segment 3 is 0000000003.seg
 * long position = DepotIds.position(id); // where in it
 * }</pre>
 */
public final class DepotIds {
  private DepotIds() {}

  /** The segment number of an id. */
  public static int segment(long id) {
    return (int) (id >>> 32);
  }

  /** The byte offset of an id within its segment (0 to 2<sup>32</sup>-1). */
  public static long position(long id) {
    return id & 0xFFFF_FFFFL;
  }

  /** The id of the record at {@code position} in segment {@code segment}. */
  public static long of(int segment, long position) {
    if (segment < 0) {
      throw new IllegalArgumentException("segment must be >= 0, was " + segment);
    }
    if (position < 0 || position > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException(
          "position must be between 0 and 4294967295, was " + position);
    }
    return ((long) segment << 32) | position;
  }

  /** A readable form, {@code segment:position}, as the {@code depot} tool prints it. */
  public static String toString(long id) {
    return segment(id) + ":" + position(id);
  }
}
