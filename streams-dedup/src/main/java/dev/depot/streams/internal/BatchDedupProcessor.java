package dev.depot.streams.internal;

import dev.depot.streams.BadRecordHandling;
import dev.depot.streams.ReadingBatch;
import dev.depot.streams.TimeKeyBatchExtractor;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deduplicates batch records: one set insert per record, the new keys to the changelog as one
 * {@link KeyBlock}, and a record holding only the new readings forwarded (the record itself when
 * all are new; nothing when none is). Metrics (group {@code stream-dedup-metrics}): {@code
 * keys-inserted}, {@code duplicates-dropped} (readings), {@code records-forwarded}, {@code
 * records-dropped}, {@code bad-records-skipped}, each a rate and a total.
 */
public final class BatchDedupProcessor<K, V> implements FixedKeyProcessor<K, V, V> {
  private static final Logger LOG = LoggerFactory.getLogger(BatchDedupProcessor.class);

  private final String storeName;
  private final TimeKeyBatchExtractor<K, V> extractor;
  private final BadRecordHandling badRecords;
  private final InsertBatch insert = new InsertBatch();
  private FixedKeyProcessorContext<K, V> context;
  private KeyValueStore<Bytes, byte[]> store;
  private Sensor inserted;
  private Sensor dropped;
  private Sensor forwarded;
  private Sensor recordsDropped;
  private Sensor skipped;
  private DedupSensors sensors;

  public BatchDedupProcessor(
      String storeName, TimeKeyBatchExtractor<K, V> extractor, BadRecordHandling badRecords) {
    this.storeName = storeName;
    this.extractor = extractor;
    this.badRecords = badRecords;
  }

  @Override
  public void init(FixedKeyProcessorContext<K, V> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
    sensors = new DedupSensors(context.metrics(), storeName, context.taskId());
    inserted = sensors.add("keys-inserted");
    dropped = sensors.add("duplicates-dropped");
    forwarded = sensors.add("records-forwarded");
    recordsDropped = sensors.add("records-dropped");
    skipped = sensors.add("bad-records-skipped");
  }

  @Override
  public void process(FixedKeyRecord<K, V> record) {
    ReadingBatch<V> batch;
    int n;
    try {
      batch = extractor.extract(record.key(), record.value(), record.timestamp());
      if (batch == null) {
        throw new IllegalArgumentException("the extractor returned no readings");
      }
      n = batch.size();
      insert.reset(n);
      for (int i = 0; i < n; i++) {
        insert.micros[i] = batch.micros(i);
        insert.ids[i] = batch.id(i);
      }
    } catch (RuntimeException e) {
      String where = describe();
      if (badRecords == BadRecordHandling.SKIP) {
        LOG.warn("skipping the batch record at {}: {}", where, e.getMessage());
        skipped.record();
        return;
      }
      throw new StreamsException(
          "cannot read the readings of the batch record at "
              + where
              + ": "
              + e.getMessage()
              + " (set the dedup processor's bad-record handling to SKIP, dedup.bad.records=skip"
              + " in the app, to drop such records)",
          e);
    }
    if (n == 0) {
      recordsDropped.record();
      return;
    }
    int fresh = insert.applyTo(store, storeName); // the block is logged in this transaction
    if (fresh < n) {
      dropped.record(n - fresh);
    }
    if (fresh == 0) {
      recordsDropped.record();
      return;
    }
    inserted.record(fresh);
    forwarded.record();
    if (fresh == n) {
      context.forward(record);
    } else {
      context.forward(record.withValue(batch.retain(insert.isNew, fresh)));
    }
  }

  @Override
  public void close() {
    if (sensors != null) {
      sensors.removeAll();
    }
  }

  private String describe() {
    return DedupSensors.describe(context.recordMetadata().orElse(null));
  }
}
