package dev.depot.streams.internal;

import dev.depot.streams.BadRecordHandling;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the two dedup processors share: the store they insert into, the sensors every dedup
 * processor has ({@code keys-inserted}, {@code duplicates-dropped}, {@code bad-records-skipped}),
 * and what a record whose keys cannot be read does (skipped or a failed task, as {@link
 * BadRecordHandling} says).
 */
abstract class DedupProcessorBase<K, V> implements FixedKeyProcessor<K, V, V> {
  private final Logger log = LoggerFactory.getLogger(getClass());
  final String storeName;
  private final BadRecordHandling badRecords;

  /** The keys of the record at hand, reused for every record. */
  final InsertBatch insert = new InsertBatch();

  FixedKeyProcessorContext<K, V> context;
  KeyValueStore<Bytes, byte[]> store;
  DedupSensors sensors;
  Sensor inserted;
  Sensor dropped;
  private Sensor skipped;

  DedupProcessorBase(String storeName, BadRecordHandling badRecords) {
    this.storeName = storeName;
    this.badRecords = badRecords;
  }

  @Override
  public void init(FixedKeyProcessorContext<K, V> context) {
    this.context = context;
    this.store = context.getStateStore(storeName);
    sensors = new DedupSensors(context.metrics(), storeName, context.taskId());
    inserted = sensors.add("keys-inserted");
    dropped = sensors.add("duplicates-dropped");
    skipped = sensors.add("bad-records-skipped");
  }

  /**
   * A record whose keys cannot be read ({@code e}): under {@link BadRecordHandling#SKIP} logs
   * "skipping the {@code what} at (where): {@code reason}" and counts it; otherwise throws a {@link
   * StreamsException}: "{@code failure} at (where): (e's message) ({@code hint})".
   */
  final void badRecord(
      RuntimeException e, String what, String reason, String failure, String hint) {
    String where = DedupSensors.describe(context.recordMetadata().orElse(null));
    if (badRecords == BadRecordHandling.SKIP) {
      log.warn("skipping the {} at {}: {}", what, where, reason);
      skipped.record();
      return;
    }
    throw new StreamsException(
        failure + " at " + where + ": " + e.getMessage() + " (" + hint + ")", e);
  }

  @Override
  public void close() {
    if (sensors != null) {
      sensors.removeAll();
    }
  }
}
