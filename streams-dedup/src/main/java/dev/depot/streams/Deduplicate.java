package dev.depot.streams;

/**
 * The deduplication processors. Two layouts of readings:
 *
 * <ul>
 *   <li>{@link #firstSeen}: one reading per record. Forwards the first record of each time key,
 *       unchanged, and drops the ones that follow.
 *   <li>{@link #newReadings}: a batch of readings per record (an upload of 500-5,000 readings of a
 *       wearable, a gateway's batch). Each record is checked with one set insert; a record holding
 *       only its new readings is forwarded (same key, headers, timestamp and format; the readings
 *       in their original order; the record itself when all are new), and a record with no new
 *       reading is dropped. A reading repeated inside one batch counts once. The new keys of a
 *       batch go to the changelog as one compact record (about 1.5 bytes a key for jittery
 *       devices), in the same transaction as the forwarded record.
 * </ul>
 *
 * <pre>{@code
 * StreamsBuilder builder = new StreamsBuilder();
 * builder.stream("readings", Consumed.with(Serdes.String(), Serdes.ByteArray()))
 *     .processValues(Deduplicate.firstSeen("dedup", TimeKeyExtractors.<String>json())
 *         .withStore(DedupStores.timeKeySet("dedup").retention(Duration.ofDays(7)))
 *         .onBadRecord(BadRecordHandling.SKIP))
 *     .to("readings-unique", Produced.with(Serdes.String(), Serdes.ByteArray()));
 *
 * // uploads: {"user_id": 7, "device_id": 2, "readings": [{"ts_us": ..., "hr": 61}, ...]}
 * builder.stream("uploads", Consumed.with(Serdes.String(), Serdes.ByteArray()))
 *     .processValues(Deduplicate.newReadings("dedup",
 *             TimeKeyBatchExtractors.<String>json(ReadingFields.defaults()))
 *         .withStore(DedupStores.timeKeySet("dedup").retention(Duration.ofDays(7))))
 *     .to("uploads-unique", Produced.with(Serdes.String(), Serdes.ByteArray()));
 * }</pre>
 *
 * The supplier brings its own store ({@code stores()}), so nothing else needs adding to the
 * topology. Records are deduplicated per task: records that share a time key must reach the same
 * partition (key the input by user or device).
 */
public final class Deduplicate {
  private Deduplicate() {}

  /** A processor over the store {@code storeName}, created with {@link DedupStores#timeKeySet}. */
  public static <K, V> DedupProcessorSupplier<K, V> firstSeen(
      String storeName, TimeKeyExtractor<K, V> extractor) {
    return new DedupProcessorSupplier<>(DedupStores.timeKeySet(storeName), extractor);
  }

  /**
   * A processor of batch records over the store {@code storeName}, created with {@link
   * DedupStores#timeKeySet}: forwards each record with only its new readings.
   */
  public static <K, V> DedupProcessorSupplier<K, V> newReadings(
      String storeName, TimeKeyBatchExtractor<K, V> extractor) {
    return new DedupProcessorSupplier<>(DedupStores.timeKeySet(storeName), extractor);
  }
}
