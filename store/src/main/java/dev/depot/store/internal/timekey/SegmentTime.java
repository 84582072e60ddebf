package dev.depot.store.internal.timekey;

/**
 * Segment arithmetic over the whole signed range of epoch microseconds. Segment {@code k} covers
 * {@code [k * interval, (k + 1) * interval)} (floor division, so keys before 1970 fall in segments
 * with negative starts), cut to what a {@code long} holds: the lowest segment starts at {@link
 * Long#MIN_VALUE} and the highest ends at {@link Long#MAX_VALUE}.
 */
final class SegmentTime {
  private SegmentTime() {}

  /** The start of the segment holding {@code micros}. */
  static long startOf(long micros, long interval) {
    long start = micros - Math.floorMod(micros, interval);
    return start > micros ? Long.MIN_VALUE : start; // below Long.MIN_VALUE: the cut-off segment
  }

  /** The last microsecond of the segment holding {@code micros}. */
  static long lastOf(long micros, long interval) {
    long nominal = micros - Math.floorMod(micros, interval); // may wrap for the lowest segment
    long last = nominal + (interval - 1); // and wraps back: two's complement is modular
    return nominal <= micros && last < nominal ? Long.MAX_VALUE : last;
  }

  /** {@code a - b}, or {@link Long#MIN_VALUE} when that is below what a long holds. */
  static long minusSaturated(long a, long b) {
    long r = a - b;
    return ((a ^ b) & (a ^ r)) < 0 ? Long.MIN_VALUE : r;
  }
}
