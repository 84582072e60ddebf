package dev.depot.streams;

/**
 * Finds the readings of a batch record: a record whose value holds many readings (an upload of a
 * wearable, a gateway's batch). {@link TimeKeyBatchExtractors} has the usual ones: Avro in the
 * Confluent wire format with an array field of readings, and JSON (a top-level array, or an object
 * with an array field).
 *
 * <pre>{@code
 * TimeKeyBatchExtractor<String, Upload> extractor = (key, upload, timestamp) -> new ReadingBatch<>() {
 *   public int size() { return upload.samples().size(); }
 *   public long micros(int i) { return upload.samples().get(i).micros(); }
 *   public long id(int i) { return TimeKey.of(0, upload.user(), upload.device()).id(); }
 *   public Upload retain(boolean[] keep, int kept) { return upload.onlySamples(keep); }
 * };
 * }</pre>
 *
 * @param <K> the record key type
 * @param <V> the record value type
 */
@FunctionalInterface
public interface TimeKeyBatchExtractor<K, V> {
  /**
   * The record's readings.
   *
   * @param timestamp the record's timestamp, epoch milliseconds
   * @throws RuntimeException (any) when the record is not a batch of readings: the processor then
   *     fails or skips it, as its {@link BadRecordHandling} says
   */
  ReadingBatch<V> extract(K key, V value, long timestamp);
}
