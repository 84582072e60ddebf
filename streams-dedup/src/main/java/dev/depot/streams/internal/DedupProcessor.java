package dev.depot.streams.internal;

import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.BadRecordHandling;
import dev.depot.streams.TimeKeyExtractor;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Forwards a record when its time key is new to the store, drops it otherwise. Metrics (group
 * {@code stream-dedup-metrics}, tag {@code dedup-id} = store name and task): {@code
 * keys-inserted-rate/total}, {@code duplicates-dropped-rate/total}, {@code
 * bad-records-skipped-rate/total}.
 */
public final class DedupProcessor<K, V> extends DedupProcessorBase<K, V> {
  private static final byte[] MARKER = new byte[0];

  private final TimeKeyExtractor<K, V> extractor;
  private boolean logSources;

  public DedupProcessor(
      String storeName, TimeKeyExtractor<K, V> extractor, BadRecordHandling badRecords) {
    super(storeName, badRecords);
    this.extractor = extractor;
  }

  @Override
  public void init(FixedKeyProcessorContext<K, V> context) {
    super.init(context);
    logSources =
        !StreamsConfig.EXACTLY_ONCE_V2.equals(
            String.valueOf(context.appConfigs().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)));
  }

  @Override
  public void process(FixedKeyRecord<K, V> record) {
    TimeKey key;
    try {
      key = extractor.extract(record.key(), record.value(), record.timestamp());
      if (key == null) {
        throw new IllegalArgumentException("the extractor returned no time key");
      }
    } catch (RuntimeException e) {
      badRecord(
          e,
          "record",
          "no time key (" + e.getMessage() + ")",
          "cannot take a time key from the record",
          "set the dedup processor's bad-record handling to SKIP to drop such records");
      return;
    }
    if (logSources ? insertLoggingSource(key) : store.putIfAbsent(keyBytes(key), MARKER) == null) {
      inserted.record();
      context.forward(record);
    } else {
      dropped.record();
    }
  }

  private static Bytes keyBytes(TimeKey key) {
    return Bytes.wrap(key.toBytes());
  }

  /**
   * Under at-least-once: inserts through the batch query so that the changelog record, a one-key
   * {@link KeyBlock}, carries the record's source (see {@link TimeKeyStore}).
   */
  private boolean insertLoggingSource(TimeKey key) {
    insert.reset(1);
    insert.micros[0] = key.micros();
    insert.ids[0] = key.id();
    return insert.applyTo(store, storeName) > 0;
  }
}
