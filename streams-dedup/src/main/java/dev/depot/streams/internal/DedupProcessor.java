package dev.depot.streams.internal;

import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.BadRecordHandling;
import dev.depot.streams.TimeKeyExtractor;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards a record when its time key is new to the store, drops it otherwise. Metrics (group
 * {@code stream-dedup-metrics}, tag {@code dedup-id} = store name and task): {@code
 * keys-inserted-rate/total}, {@code duplicates-dropped-rate/total}, {@code
 * bad-records-skipped-rate/total}.
 */
public final class DedupProcessor<K, V> implements FixedKeyProcessor<K, V, V> {
  private static final Logger LOG = LoggerFactory.getLogger(DedupProcessor.class);
  private static final byte[] MARKER = new byte[0];

  private final String storeName;
  private final TimeKeyExtractor<K, V> extractor;
  private final BadRecordHandling badRecords;
  private final InsertBatch one = new InsertBatch();
  private boolean logSources;
  private FixedKeyProcessorContext<K, V> context;
  private KeyValueStore<Bytes, byte[]> store;
  private Sensor inserted;
  private Sensor dropped;
  private Sensor skipped;
  private DedupSensors sensors;

  public DedupProcessor(
      String storeName, TimeKeyExtractor<K, V> extractor, BadRecordHandling badRecords) {
    this.storeName = storeName;
    this.extractor = extractor;
    this.badRecords = badRecords;
  }

  @Override
  public void init(FixedKeyProcessorContext<K, V> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
    logSources =
        !StreamsConfig.EXACTLY_ONCE_V2.equals(
            String.valueOf(context.appConfigs().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)));
    sensors = new DedupSensors(context.metrics(), storeName, context.taskId());
    inserted = sensors.add("keys-inserted");
    dropped = sensors.add("duplicates-dropped");
    skipped = sensors.add("bad-records-skipped");
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
      String where = describe();
      if (badRecords == BadRecordHandling.SKIP) {
        LOG.warn("skipping the record at {}: no time key ({})", where, e.getMessage());
        skipped.record();
        return;
      }
      throw new StreamsException(
          "cannot take a time key from the record at "
              + where
              + ": "
              + e.getMessage()
              + " (set the dedup processor's bad-record handling to SKIP to drop such records)",
          e);
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
    one.reset(1);
    one.micros[0] = key.micros();
    one.ids[0] = key.id();
    return one.applyTo(store, storeName) > 0;
  }

  private String describe() {
    return DedupSensors.describe(context.recordMetadata().orElse(null));
  }

  @Override
  public void close() {
    if (sensors != null) {
      sensors.removeAll();
    }
  }
}
