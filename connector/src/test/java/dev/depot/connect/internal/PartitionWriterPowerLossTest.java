package dev.depot.connect.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.connect.DepotSinkConfig;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.testing.powerloss.CrashPoints;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink's files under power cuts (a {@link dev.depot.testing.powerloss.PowerLossFileSystem}):
 * {@code depot.format} and the offsets the queue keeps in its records' tags, at every file
 * operation of a partition writer driven the way the task drives it (write, then on each commit
 * sync when dirty and report what is committable; close; reopen after a rebalance and go on). After
 * each cut the writer opens (the format file is whole) and the queue holds every offset below the
 * highest one reported committable, each once, in order, intact.
 */
class PartitionWriterPowerLossTest {
  private static final TopicPartition TP = new TopicPartition("readings", 3);

  @TempDir Path temp;

  /** The highest offset {@code committable} returned: what Connect would commit. */
  static final class Committed {
    long offset = -1;
  }

  private static final Map<String, DepotSinkConfig> CONFIGS =
      Map.of("value", newConfig("value"), "envelope", newConfig("envelope"));

  private static DepotSinkConfig config(String format) {
    return CONFIGS.get(format);
  }

  private static DepotSinkConfig newConfig(String format) {
    return new DepotSinkConfig(
        Map.of(
            "depot.path", "unused-the-test-gives-a-path",
            "depot.format", format,
            "depot.segment.bytes", "4096",
            "depot.sync.policy", "commit"));
  }

  private static byte[] value(long offset) {
    return ("reading " + offset + " " + "x".repeat((int) (offset % 50)))
        .getBytes(StandardCharsets.UTF_8);
  }

  /** The value of {@code offset} as the encoder hands it over (depot.format=value). */
  private static RecordEncoder.Item item(long offset) {
    byte[] bytes = value(offset);
    return new RecordEncoder.Item() {
      @Override
      public int length() {
        return bytes.length;
      }

      @Override
      public void write(ByteBuffer target) {
        target.put(bytes);
      }
    };
  }

  /** Writes offsets [from, to), committing every {@code every} records the way preCommit does. */
  private static void writeAndCommit(PartitionWriter writer, Committed c, long from, long to) {
    writer.startRun();
    for (long offset = from; offset < to; offset++) {
      if (!writer.holds(offset)) {
        writer.write(offset, item(offset), 1_700_000_000_000L + offset);
      }
      if (offset % 9 == 8) {
        if (writer.dirty()) {
          writer.sync();
        }
        c.offset = Math.max(c.offset, writer.committable(offset + 1));
        writer.startRun();
      }
    }
  }

  private static final class Workload implements CrashPoints.Scenario<Committed> {
    private final String format;

    Workload(String format) {
      this.format = format;
    }

    @Override
    public void run(Path root, Committed c) {
      Path depot = root.resolve("depot");
      long next;
      try (PartitionWriter writer =
          PartitionWriter.open(config(format), depot, TP, new SinkMetrics(null), null)) {
        writeAndCommit(writer, c, 0, 70);
        next = writer.nextOffset();
      }
      // a rebalance: the partition's next task opens the queue and resumes where it says
      try (PartitionWriter writer =
          PartitionWriter.open(config(format), depot, TP, new SinkMetrics(null), null)) {
        assertThat(writer.nextOffset()).isEqualTo(next);
        writeAndCommit(writer, c, next - 5, 100); // Connect redelivers a few
      }
    }

    @Override
    public void check(Path root, Committed c) throws Exception {
      Path depot = root.resolve("depot");
      long next;
      try (PartitionWriter writer =
          PartitionWriter.open(config(format), depot, TP, new SinkMetrics(null), null)) {
        next = writer.nextOffset();
        assertThat(Math.max(next, 0))
            .as("resumes at or after the committed offset")
            .isGreaterThanOrEqualTo(c.offset);
        writeAndCommit(writer, new Committed(), Math.max(next, 0), Math.max(next, 0) + 3);
        next = writer.nextOffset();
      }
      Path dir = depot.resolve(TP.topic()).resolve(Integer.toString(TP.partition()));
      assertThat(Files.readString(dir.resolve(PartitionWriter.FORMAT_FILE)).trim())
          .isEqualTo(format);
      try (DepotQueue queue = DepotQueue.builder(dir).readOnly(true).build();
          DepotCursor cursor = queue.stream(0)) {
        long expected = 0;
        DepotRecord record;
        while ((record = cursor.next()) != null) {
          if (!record.complete()) {
            continue;
          }
          assertThat(record.tag()).as("offsets in order, each once").isEqualTo(expected);
          if (format.equals("value")) {
            assertThat(record.item()).isEqualTo(value(expected));
          }
          expected++;
        }
        assertThat(expected).as("every offset up to the last").isEqualTo(next);
      }
    }
  }

  @Test
  void valueFormatKeepsEveryCommittedOffsetAndItsFormatFile() throws Exception {
    CrashPoints.Result result =
        CrashPoints.builder("sink partition writer, depot.format=value", temp)
            .maxPoints(300)
            .run(Committed::new, new Workload("value"));
    System.err.println("sink metadata power-loss (value): " + result);
    assertThat(result.points()).isGreaterThan(20);
  }

  @Test
  void envelopeFormatKeepsEveryCommittedOffsetAndItsFormatFile() throws Exception {
    CrashPoints.Result result =
        CrashPoints.builder("sink partition writer, depot.format=envelope", temp)
            .maxPoints(300)
            .run(Committed::new, new Workload("envelope"));
    System.err.println("sink metadata power-loss (envelope): " + result);
    assertThat(result.points()).isGreaterThan(20);
  }
}
