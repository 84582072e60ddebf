package dev.depot.streams.internal;

import dev.depot.streams.BadRecordHandling;
import dev.depot.streams.ReadingBatch;
import dev.depot.streams.TimeKeyBatchExtractor;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Deduplicates batch records: one set insert per record, the new keys to the changelog as one
 * {@link KeyBlock}, and a record holding only the new readings forwarded (the record itself when
 * all are new; nothing when none is). Metrics (group {@code stream-dedup-metrics}): {@code
 * keys-inserted}, {@code duplicates-dropped} (readings), {@code records-forwarded}, {@code
 * records-dropped}, {@code bad-records-skipped}, each a rate and a total.
 */
public final class BatchDedupProcessor<K, V> extends DedupProcessorBase<K, V> {
  private final TimeKeyBatchExtractor<K, V> extractor;
  private Sensor forwarded;
  private Sensor recordsDropped;

  public BatchDedupProcessor(
      String storeName, TimeKeyBatchExtractor<K, V> extractor, BadRecordHandling badRecords) {
    super(storeName, badRecords);
    this.extractor = extractor;
  }

  @Override
  public void init(FixedKeyProcessorContext<K, V> context) {
    super.init(context);
    forwarded = sensors.add("records-forwarded");
    recordsDropped = sensors.add("records-dropped");
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
      badRecord(
          e,
          "batch record",
          e.getMessage(),
          "cannot read the readings of the batch record",
          "set the dedup processor's bad-record handling to SKIP, dedup.bad.records=skip in the"
              + " app, to drop such records");
      return;
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
}
