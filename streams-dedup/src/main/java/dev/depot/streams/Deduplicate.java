package dev.depot.streams;

/**
 * The deduplication processor: forwards the first record of each time key, unchanged, and drops the
 * ones that follow.
 *
 * <pre>{@code
 * StreamsBuilder builder = new StreamsBuilder();
 * builder.stream("readings", Consumed.with(Serdes.String(), Serdes.ByteArray()))
 *     .processValues(Deduplicate.firstSeen("dedup", TimeKeyExtractors.<String>json())
 *         .withStore(DedupStores.timeKeySet("dedup").retention(Duration.ofDays(7)))
 *         .onBadRecord(BadRecordHandling.SKIP))
 *     .to("readings-unique", Produced.with(Serdes.String(), Serdes.ByteArray()));
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
}
