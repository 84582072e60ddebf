package dev.depot.connect.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.connect.DepotSinkConfig;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A partition's queue with and without write-behind: what is synced, and so committable. */
class PartitionWriterTest {
  private static final TopicPartition TP = new TopicPartition("readings", 0);

  /** Enough 64 KiB records that the last one crosses {@link WriteBehind#BYTES}. */
  private static final int RECORDS = (int) (WriteBehind.BYTES / (64 << 10));

  @TempDir Path dir;

  private DepotSinkConfig config() {
    return new DepotSinkConfig(Map.of("depot.path", dir.toString()));
  }

  /** Every third record has no timestamp, the others one that grows with the offset. */
  private static Long timestamp(long offset) {
    return offset % 3 == 2 ? null : 1_700_000_000_000L + offset;
  }

  private static SinkRecord record(long offset) {
    byte[] value = new byte[64 << 10];
    value[0] = (byte) offset;
    Long timestamp = timestamp(offset);
    return new SinkRecord(
        TP.topic(),
        TP.partition(),
        null,
        null,
        Schema.BYTES_SCHEMA,
        value,
        offset,
        timestamp,
        timestamp == null ? TimestampType.NO_TIMESTAMP_TYPE : TimestampType.CREATE_TIME);
  }

  private static void writeAll(PartitionWriter writer, RecordEncoder encoder) {
    writer.startRun();
    for (int i = 0; i < RECORDS; i++) {
      SinkRecord record = record(i);
      writer.write(i, encoder.encode(record), record.timestamp());
    }
    writer.endRun();
  }

  @Test
  void writeBehindSyncsAFillingQueueInTheBackgroundSoItsOffsetsBecomeCommittable() {
    DepotSinkConfig config = config();
    try (WriteBehind writeBehind = new WriteBehind("test");
        RecordEncoder encoder = new RecordEncoder(config)) {
      PartitionWriter writer = PartitionWriter.open(config, TP, new SinkMetrics(null), writeBehind);
      try {
        writeAll(writer, encoder);
        // no sync asked for: the background one makes every append durable
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (writer.dirty() && System.nanoTime() < deadline) {
          LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
        assertThat(writer.dirty()).as("synced in the background").isFalse();
        assertThat(writer.committable(RECORDS)).isEqualTo(RECORDS);
      } finally {
        writer.close();
      }
    }
    try (DepotQueue queue =
            DepotQueue.builder(dir.resolve("readings").resolve("0")).readOnly(true).build();
        DepotCursor cursor = queue.stream()) {
      DepotRecord record;
      long expected = 0;
      while ((record = cursor.next()) != null) {
        Long timestamp = timestamp(expected);
        assertThat(record.tag()).isEqualTo(expected++);
        assertThat(record.timestamp())
            .isEqualTo(timestamp == null ? DepotRecord.NO_TIMESTAMP : timestamp);
      }
      assertThat(expected).isEqualTo(RECORDS);
    }
  }

  @Test
  void withoutWriteBehindNothingIsCommittableBeforeASync() {
    DepotSinkConfig config = config();
    try (RecordEncoder encoder = new RecordEncoder(config)) {
      PartitionWriter writer = PartitionWriter.open(config, TP, new SinkMetrics(null), null);
      try {
        writeAll(writer, encoder);
        assertThat(writer.dirty()).isTrue();
        assertThat(writer.committable(RECORDS)).isZero();
        writer.sync();
        assertThat(writer.dirty()).isFalse();
        assertThat(writer.committable(RECORDS)).isEqualTo(RECORDS);
      } finally {
        writer.close();
      }
    }
  }
}
