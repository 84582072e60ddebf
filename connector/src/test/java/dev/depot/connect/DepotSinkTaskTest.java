package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.testing.TestFiles;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

/** The task against real depot queues, driven the way a worker drives it. */
class DepotSinkTaskTest extends SinkTaskTestBase {
  private static final TopicPartition TP = new TopicPartition("readings", 2);

  private DepotSinkTask task(TestContext context) {
    DepotSinkTask task = new DepotSinkTask();
    task.initialize(context);
    task.start(context.configs());
    task.open(List.of(TP));
    started.add(task);
    return task;
  }

  private static SinkRecord record(long offset, String value) {
    ConnectHeaders headers = new ConnectHeaders();
    headers.addBytes("source", ("gw-" + offset).getBytes(StandardCharsets.UTF_8));
    return new SinkRecord(
        TP.topic(),
        TP.partition(),
        Schema.BYTES_SCHEMA,
        ("k" + offset).getBytes(StandardCharsets.UTF_8),
        Schema.OPTIONAL_BYTES_SCHEMA,
        value == null ? null : value.getBytes(StandardCharsets.UTF_8),
        offset,
        1_700_000_000_000L + offset,
        TimestampType.CREATE_TIME,
        headers);
  }

  private static List<SinkRecord> records(long from, long to) {
    List<SinkRecord> out = new ArrayList<>();
    for (long o = from; o < to; o++) {
      out.add(record(o, "value-" + o));
    }
    return out;
  }

  /** A record copied out of the queue. */
  private record Stored(long tag, boolean complete, byte[] item) {}

  private List<Stored> stored() {
    List<Stored> out = new ArrayList<>();
    try (DepotQueue queue =
            DepotQueue.builder(dir.resolve("readings").resolve("2")).readOnly(true).build();
        DepotCursor cursor = queue.stream()) {
      DepotRecord r;
      while ((r = cursor.next()) != null) {
        out.add(new Stored(r.tag(), r.complete(), r.item()));
      }
    }
    return out;
  }

  private static Map<TopicPartition, OffsetAndMetadata> consumed(long next) {
    return Map.of(TP, new OffsetAndMetadata(next));
  }

  @Test
  void storesEnvelopesWithEveryFieldAndCommitsOnlyAfterSyncing() {
    TestContext context = new TestContext(props());
    DepotSinkTask task = task(context);
    assertThat(context.rewinds).isEmpty(); // nothing stored yet: Kafka's offsets decide
    task.put(records(0, 5));
    assertThat(task.preCommit(consumed(5))).isEqualTo(consumed(5));
    task.stop();
    started.clear();

    List<Stored> stored = stored();
    assertThat(stored).hasSize(5);
    for (int i = 0; i < 5; i++) {
      Stored r = stored.get(i);
      assertThat(r.tag()).isEqualTo(i);
      DepotEnvelope e = EnvelopeCodec.decode(r.item());
      assertThat(e.topic()).isEqualTo("readings");
      assertThat(e.partition()).isEqualTo(2);
      assertThat(e.offset()).isEqualTo(i);
      assertThat(e.timestamp()).isEqualTo(1_700_000_000_000L + i);
      assertThat(e.timestampType()).isEqualTo(DepotEnvelope.TimestampType.CREATE_TIME);
      assertThat(new String(e.key(), StandardCharsets.UTF_8)).isEqualTo("k" + i);
      assertThat(new String(e.value(), StandardCharsets.UTF_8)).isEqualTo("value-" + i);
      assertThat(e.headers()).hasSize(1);
      assertThat(new String(e.headers().get(0).value(), StandardCharsets.UTF_8))
          .isEqualTo("gw-" + i);
    }
    assertThat(dir.resolve("readings/2/depot.format")).hasContent("envelope");
  }

  @Test
  void reopeningRewindsAfterTheLastStoredRecordAndSkipsRedeliveries() {
    DepotSinkTask first = task(new TestContext(props()));
    first.put(records(0, 10));
    first.stop(); // no commit reached Kafka: the worker will redeliver from 0
    started.clear();

    TestContext context = new TestContext(props());
    DepotSinkTask second = task(context);
    assertThat(context.rewinds).containsEntry(TP, 10L);
    second.put(records(0, 15)); // a worker that ignored the rewind, or redelivered anyway
    second.preCommit(consumed(15));
    second.stop();
    started.clear();
    assertThat(stored())
        .extracting(Stored::tag)
        .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L);
  }

  /**
   * The calls a worker makes when a partition holding transactions (commit 0-4, marker 5, aborted
   * 6-10, marker 11, commit 12-16, marker 17) moves to another task mid-stream: the first task gets
   * the committed records in two polls, the revocation calls preCommit and then close, and the next
   * owner opens the queue. Offsets jump over markers and aborted records; only synced records are
   * committed, and the next owner resumes after the last stored one.
   */
  @Test
  void aPartitionOfTransactionsHandedOverMidStreamLosesAndRepeatsNothing() {
    TestContext firstContext = new TestContext(props());
    DepotSinkTask first = task(firstContext);
    assertThat(firstContext.rewinds)
        .as("an empty queue: the consumer's position decides")
        .isEmpty();
    first.put(records(0, 5));
    assertThat(first.preCommit(consumed(5))).isEqualTo(consumed(5));
    first.put(records(12, 17));
    first.put(List.of()); // a poll that only passed the last marker
    // revocation: WorkerSinkTask commits (preCommit) and then closes
    assertThat(first.preCommit(consumed(17))).isEqualTo(consumed(17));
    first.close(List.of(TP));

    TestContext nextContext = new TestContext(props());
    DepotSinkTask next = task(nextContext);
    assertThat(nextContext.rewinds).containsEntry(TP, 17L);
    next.put(records(12, 17)); // redelivered from an older committed offset: skipped
    next.put(records(17, 19));
    assertThat(next.preCommit(consumed(19))).isEqualTo(consumed(19));
    next.stop();
    first.stop();
    started.clear();
    assertThat(stored())
        .extracting(Stored::tag)
        .containsExactly(0L, 1L, 2L, 3L, 4L, 12L, 13L, 14L, 15L, 16L, 17L, 18L);
  }

  /**
   * Lost partitions (the consumer fell out of the group): the worker closes them without a
   * preCommit, so Kafka's committed offset stays behind. Close syncs the queue, the next owner
   * rewinds to after the records written, and their redelivery is skipped.
   */
  @Test
  void aHandoverWithoutACommitResumesAfterTheStoredRecords() {
    DepotSinkTask first = task(new TestContext(props()));
    first.put(records(0, 5));
    first.close(List.of(TP)); // lost partition: close without preCommit

    TestContext nextContext = new TestContext(props());
    DepotSinkTask next = task(nextContext);
    assertThat(nextContext.rewinds).containsEntry(TP, 5L);
    next.put(records(0, 7)); // the worker redelivers from Kafka's committed offset (none: 0)
    assertThat(next.preCommit(consumed(7))).isEqualTo(consumed(7));
    next.stop();
    first.stop();
    started.clear();
    assertThat(stored()).extracting(Stored::tag).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
  }

  @Test
  void aTornLastRecordIsWrittenAgain() throws Exception {
    DepotSinkTask first = task(new TestContext(props()));
    first.put(records(0, 3));
    first.stop();
    started.clear();
    Path segment = TestFiles.segment(dir.resolve("readings/2"), 0);
    try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
      f.setLength(f.length() - 4); // offset 2 torn by a crash
    }
    TestContext context = new TestContext(props());
    DepotSinkTask second = task(context);
    assertThat(context.rewinds).containsEntry(TP, 2L);
    second.put(records(2, 4));
    second.stop();
    started.clear();
    List<Stored> stored = stored();
    assertThat(stored.stream().filter(Stored::complete))
        .extracting(Stored::tag)
        .containsExactly(0L, 1L, 2L, 3L);
    assertThat(stored.stream().filter(r -> !r.complete())).hasSize(1);
  }

  @Test
  void valueFormatStoresTheValueBytesAloneWithTheirOffsets() {
    DepotSinkTask task = task(new TestContext(props("depot.format", "value")));
    task.put(List.of(record(7, "seven"), record(8, null)));
    task.stop();
    started.clear();
    List<Stored> stored = stored();
    assertThat(stored).extracting(Stored::tag).containsExactly(7L, 8L);
    assertThat(stored.get(0).item()).isEqualTo("seven".getBytes(StandardCharsets.UTF_8));
    assertThat(stored.get(1).item()).isEmpty(); // a tombstone, written
    assertThat(dir.resolve("readings/2/depot.format")).hasContent("value");
    // a queue keeps its format
    assertThatThrownBy(() -> task(new TestContext(props())))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("depot.format=envelope but the queue at")
        .hasMessageContaining("holds value items");
  }

  @Test
  void storesEachKafkaTimestampWhereTheQueueSeeksByTimeAndOffset() {
    DepotSinkTask task = task(new TestContext(props("depot.format", "value")));
    SinkRecord untimed =
        new SinkRecord(
            TP.topic(),
            TP.partition(),
            null,
            null,
            Schema.OPTIONAL_BYTES_SCHEMA,
            "no time".getBytes(StandardCharsets.UTF_8),
            5,
            null,
            TimestampType.NO_TIMESTAMP_TYPE);
    List<SinkRecord> records = new ArrayList<>(records(0, 5));
    records.add(untimed);
    records.addAll(records(6, 9));
    task.put(records);
    task.stop();
    started.clear();
    try (DepotQueue queue =
        DepotQueue.builder(dir.resolve("readings").resolve("2")).readOnly(true).build()) {
      try (DepotCursor cursor = queue.stream()) {
        for (long offset = 0; offset < 9; offset++) {
          DepotRecord r = cursor.next();
          assertThat(r.tag()).isEqualTo(offset);
          assertThat(r.timestamp())
              .isEqualTo(offset == 5 ? DepotRecord.NO_TIMESTAMP : 1_700_000_000_000L + offset);
        }
      }
      try (DepotCursor cursor = queue.streamFromTimestamp(1_700_000_000_000L + 5)) {
        assertThat(cursor.next().tag()).as("offset 5 has no timestamp").isEqualTo(6);
      }
      try (DepotCursor cursor = queue.streamFromTag(5)) {
        assertThat(cursor.next().item()).isEqualTo("no time".getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void tombstonesFollowBehaviorOnNullValues() {
    DepotSinkTask ignore = task(new TestContext(props("behavior.on.null.values", "ignore")));
    ignore.put(List.of(record(0, "a"), record(1, null), record(2, "c")));
    assertThat(ignore.preCommit(consumed(3))).isEqualTo(consumed(3));
    ignore.stop();
    started.clear();
    assertThat(stored()).extracting(Stored::tag).containsExactly(0L, 2L);

    DepotSinkTask fail = task(new TestContext(props("behavior.on.null.values", "fail")));
    assertThatThrownBy(() -> fail.put(List.of(record(3, null))))
        .isInstanceOf(ConnectException.class)
        .hasMessage(
            "tombstone (null value) at topic readings partition 2 offset 3 and"
                + " behavior.on.null.values=fail; set it to write or ignore to accept tombstones");
    fail.stop();
    started.clear();

    DepotSinkTask write = task(new TestContext(props()));
    write.put(List.of(record(3, null)));
    write.stop();
    started.clear();
    assertThat(EnvelopeCodec.decode(stored().get(2).item()).value()).isNull();
  }

  @Test
  void aRecordThatCannotBeStoredFailsTheTaskOrGoesToTheDeadLetterQueue() {
    String big = "x".repeat(5000);
    DepotSinkTask strict = task(new TestContext(props("depot.segment.bytes", "4096")));
    assertThatThrownBy(() -> strict.put(List.of(record(0, "ok"), record(1, big))))
        .isInstanceOf(ConnectException.class)
        .hasMessageStartingWith("the record at topic readings partition 2 offset 1 takes ")
        .hasMessageContaining("raise depot.segment.bytes")
        .hasMessageContaining("errors.tolerance=all");
    strict.stop();
    started.clear();

    TestContext context =
        new TestContext(props("depot.segment.bytes", "4096", "errors.tolerance", "all"));
    DepotSinkTask tolerant = task(context);
    tolerant.put(List.of(record(1, big), record(2, "fine")));
    assertThat(context.reported).extracting(SinkRecord::kafkaOffset).containsExactly(1L);
    assertThat(tolerant.preCommit(consumed(3))).isEqualTo(consumed(3));
    tolerant.stop();
    started.clear();
    assertThat(stored()).extracting(Stored::tag).containsExactly(0L, 2L);
  }

  @Test
  void structValuesGoThroughTheConfiguredConverter() {
    DepotSinkTask task =
        task(
            new TestContext(
                props(
                    "depot.value.converter", "org.apache.kafka.connect.json.JsonConverter",
                    "depot.value.converter.schemas.enable", "false")));
    Schema schema = SchemaBuilder.struct().field("hr", Schema.INT32_SCHEMA).build();
    task.put(
        List.of(
            new SinkRecord(
                TP.topic(),
                TP.partition(),
                null,
                null,
                schema,
                new Struct(schema).put("hr", 61),
                0)));
    task.stop();
    started.clear();
    assertThat(
            new String(
                EnvelopeCodec.decode(stored().get(0).item()).value(), StandardCharsets.UTF_8))
        .isEqualTo("{\"hr\":61}");
  }

  @Test
  void withTheIntervalPolicyOnlySyncedOffsetsAreCommitted() throws Exception {
    DepotSinkTask task =
        task(
            new TestContext(
                props("depot.sync.policy", "interval", "depot.sync.interval.ms", "3600000")));
    task.put(records(0, 4));
    // nothing synced since open: the commit stays at the first unsynced record
    assertThat(task.preCommit(consumed(4))).isEqualTo(consumed(0));
    task.stop();
    started.clear();

    DepotSinkTask none = task(new TestContext(props("depot.sync.policy", "none")));
    none.put(records(4, 6));
    assertThat(none.preCommit(consumed(6))).isEqualTo(consumed(4));
  }

  @Test
  void anUnusableDepotPathFailsTheTaskNamingIt() throws Exception {
    Path file = dir.resolve("not-a-dir");
    Files.writeString(file, "x");
    TestContext context = new TestContext(props("depot.path", file.toString()));
    DepotSinkTask task = new DepotSinkTask();
    task.initialize(context);
    task.start(context.configs());
    assertThatThrownBy(() -> task.open(List.of(TP)))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining(file.resolve("readings").resolve("2").toString());
    task.stop();
  }

  @Test
  void anOpenThatCannotRecoverTheLastOffsetFailsWithTheRealErrorAndReleasesTheQueue()
      throws Exception {
    Path queueDir = dir.resolve("readings").resolve("2");
    Files.createDirectories(queueDir);
    Files.writeString(queueDir.resolve("depot.format"), "envelope\n");
    try (DepotQueue queue = DepotQueue.open(queueDir)) {
      queue.append("not written by the sink".getBytes(StandardCharsets.UTF_8));
    }
    TestContext context = new TestContext(props());
    DepotSinkTask task = new DepotSinkTask();
    task.initialize(context);
    task.start(context.configs());
    assertThatThrownBy(() -> task.open(List.of(TP)))
        .isInstanceOf(ConnectException.class)
        .hasMessage(
            "the last record of "
                + queueDir
                + " carries no offset: the queue was not written by the depot sink; choose"
                + " another depot.path");
    task.stop();
    // Released: a retry (here, any writer) gets the queue at once instead of waiting for a lock.
    try (DepotQueue queue = DepotQueue.open(queueDir)) {
      assertThat(queue.lastId()).isNotNegative();
    }
  }

  @Test
  void anEmptyOrTornFormatFileFailsTheTaskNamingTheFileAndWhatToDo() throws Exception {
    Path queueDir = dir.resolve("readings").resolve("2");
    Path formatFile = queueDir.resolve("depot.format");
    Files.createDirectories(queueDir);
    for (String content : new String[] {"", "enve", "env\uFFFD"}) {
      Files.write(
          formatFile,
          content.startsWith("env\uFFFD")
              ? new byte[] {'e', 'n', 'v', (byte) 0xC3}
              : content.getBytes(StandardCharsets.UTF_8));
      TestContext context = new TestContext(props());
      DepotSinkTask task = new DepotSinkTask();
      task.initialize(context);
      task.start(context.configs());
      assertThatThrownBy(() -> task.open(List.of(TP)))
          .isInstanceOf(ConnectException.class)
          .hasMessage(
              formatFile
                  + " is damaged (it holds "
                  + (content.isEmpty() ? "nothing" : "'" + content + "'")
                  + ", not one of [envelope, value]; a crash while it was written?): write the"
                  + " format of the items in "
                  + queueDir
                  + " into it (depot.format=envelope writes 'envelope'), or delete the directory"
                  + " to start the queue over");
      task.stop();
    }
  }

  @Test
  void theFormatFileIsRecordedWholeWithoutATempFileLeft() throws Exception {
    task(new TestContext(props("depot.format", "value")));
    try (var files = Files.list(dir.resolve("readings").resolve("2"))) {
      assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("depot")))
          .containsExactly("depot.format");
    }
    assertThat(dir.resolve("readings/2/depot.format")).hasContent("value");
  }
}
