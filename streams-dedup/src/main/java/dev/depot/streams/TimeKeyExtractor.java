package dev.depot.streams;

import dev.depot.store.timekey.TimeKey;

/**
 * Turns a record into its {@link TimeKey}: the reading's time in epoch microseconds, and the user
 * and device it came from. {@link TimeKeyExtractors} has the usual ones (Avro and JSON fields, or
 * the record timestamp plus two fields).
 *
 * <pre>{@code
 * TimeKeyExtractor<String, Reading> extractor =
 *     (key, value, timestamp) -> TimeKey.of(value.micros(), value.userId(), value.deviceId());
 * }</pre>
 *
 * @param <K> the record key type
 * @param <V> the record value type
 */
@FunctionalInterface
public interface TimeKeyExtractor<K, V> {
  /**
   * The record's time key.
   *
   * @param timestamp the record's timestamp, epoch milliseconds
   * @throws RuntimeException (any) when the record has no usable time key: the processor then fails
   *     or skips it, as its {@link BadRecordHandling} says
   */
  TimeKey extract(K key, V value, long timestamp);
}
