package dev.depot.streams;

/**
 * The readings of one batch record, as a {@link TimeKeyBatchExtractor} found them: each reading's
 * time key, in the record's own order, and a way to build a record holding only some of them.
 *
 * <p>Reading {@code i}'s key is {@code (micros(i), id(i))}, the two halves of a {@link
 * dev.depot.store.timekey.TimeKey}: the id is {@code userId << 32 | deviceId} for integer ids, or a
 * 64-bit hash for string ids (see {@link ReadingFields#withStringIds()}).
 *
 * @param <V> the record value type
 */
public interface ReadingBatch<V> {
  /** How many readings the record holds (0 for an empty batch). */
  int size();

  /** Reading {@code i}'s time, epoch microseconds. */
  long micros(int i);

  /** Reading {@code i}'s id: user and device. */
  long id(int i);

  /**
   * A value like the record's, holding only the readings {@code i} with {@code keep[i]}, in their
   * original order; everything else (schema, other fields) as it was. Called only when some but not
   * all readings are kept.
   *
   * @param keep one flag per reading
   * @param kept how many flags are set (at least 1, fewer than {@link #size()})
   */
  V retain(boolean[] keep, int kept);
}
