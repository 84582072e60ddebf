package dev.depot.streams;

import dev.depot.streams.internal.BatchDedupProcessor;
import dev.depot.streams.internal.DedupProcessor;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Supplies deduplication processors, and their store (see {@link Deduplicate#firstSeen} and {@link
 * Deduplicate#newReadings}).
 *
 * @param <K> the record key type
 * @param <V> the record value type
 */
public final class DedupProcessorSupplier<K, V> implements FixedKeyProcessorSupplier<K, V, V> {
  private TimeKeyStoreBuilder store;
  private final TimeKeyExtractor<K, V> extractor;
  private final TimeKeyBatchExtractor<K, V> batchExtractor;
  private BadRecordHandling badRecords = BadRecordHandling.FAIL;

  DedupProcessorSupplier(TimeKeyStoreBuilder store, TimeKeyExtractor<K, V> extractor) {
    this.store = store;
    this.extractor = Objects.requireNonNull(extractor, "extractor cannot be null");
    this.batchExtractor = null;
  }

  DedupProcessorSupplier(TimeKeyStoreBuilder store, TimeKeyBatchExtractor<K, V> extractor) {
    this.store = store;
    this.extractor = null;
    this.batchExtractor = Objects.requireNonNull(extractor, "extractor cannot be null");
  }

  /** Uses {@code store} (same name) with its own options instead of the default one. */
  public DedupProcessorSupplier<K, V> withStore(TimeKeyStoreBuilder store) {
    Objects.requireNonNull(store, "store cannot be null");
    if (!store.name().equals(this.store.name())) {
      throw new IllegalArgumentException(
          "the store is named "
              + store.name()
              + " but the processor was given "
              + this.store.name());
    }
    this.store = store;
    return this;
  }

  /**
   * What to do with a record whose time key (or readings) cannot be extracted; default {@link
   * BadRecordHandling#FAIL}.
   */
  public DedupProcessorSupplier<K, V> onBadRecord(BadRecordHandling handling) {
    this.badRecords = Objects.requireNonNull(handling, "handling cannot be null");
    return this;
  }

  @Override
  public FixedKeyProcessor<K, V, V> get() {
    return extractor != null
        ? new DedupProcessor<>(store.name(), extractor, badRecords)
        : new BatchDedupProcessor<>(store.name(), batchExtractor, badRecords);
  }

  @Override
  public Set<StoreBuilder<?>> stores() {
    return Set.of(store);
  }
}
