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

  private static SinkRecord record(long offset) {
    byte[] value = new byte[64 << 10];
    value[0] = (byte) offset;
    return new SinkRecord(
        TP.topic(),
        TP.partition(),
        null,
        null,
        Schema.BYTES_SCHEMA,
        value,
        offset,
        1_700_000_000_000L,
        TimestampType.CREATE_TIME);
  }

  private static void writeAll(PartitionWriter writer, RecordEncoder encoder) {
    writer.startRun();
    for (int i = 0; i < RECORDS; i++) {
      writer.write(i, encoder.encode(record(i)));
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
        assertThat(record.tag()).isEqualTo(expected++);
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
