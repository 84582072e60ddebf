package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.DepotEnvelope.TimestampType;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source task on real depot queues, written through the store and envelope APIs as the sink
 * writes them, driven the way a worker drives it (start, poll, committed offsets, stop).
 */
class DepotSourceTaskTest {
  private static final long T0 = 1_700_000_000_000L;

  @TempDir Path root;
  private final List<DepotSourceTask> started = new ArrayList<>();
  private final List<DepotQueue> writers = new ArrayList<>();

  @AfterEach
  void stopAll() {
    for (DepotSourceTask task : started) {
      task.stop();
    }
    for (DepotQueue queue : writers) {
      queue.close();
    }
  }

  private Map<String, String> props(String queues, String... keysAndValues) {
    Map<String, String> props = DepotProps.of(root, keysAndValues);
    props.putIfAbsent(DepotSourceTask.QUEUES_CONFIG, queues);
    props.putIfAbsent("replay.poll.wait.ms", "20");
    return props;
  }

  /** Task settings that replay {@code queues} from the first record at or after {@code instant}. */
  private Map<String, String> fromTimestamp(String queues, String instant) {
    return props(queues, "replay.start", "timestamp", "replay.start.timestamp", instant);
  }

  /** Opens a queue for writing as the sink keeps it, with its format file. */
  private DepotQueue queue(String topic, int partition, String format) throws Exception {
    Path dir = root.resolve(topic).resolve(Integer.toString(partition));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("depot.format"), format + "\n");
    DepotQueue queue = DepotQueue.open(dir);
    writers.add(queue);
    return queue;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The varied records of partition 1 of "orders": what a sink stores from a real topic. */
  private static List<DepotEnvelope> varied() {
    List<DepotEnvelope> out = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      byte[] key = i % 5 == 0 ? null : new byte[] {(byte) i, 0, (byte) 0xFF, 'k'};
      byte[] value =
          i % 7 == 3 ? null : i % 11 == 4 ? new byte[0] : utf8("value-" + i + "-\u00e9\u0000");
      List<DepotEnvelope.Header> headers = new ArrayList<>();
      if (i % 2 == 0) {
        headers.add(new DepotEnvelope.Header("h", new byte[] {(byte) 0x80, 1, 2}));
        headers.add(new DepotEnvelope.Header("h", utf8("007")));
        headers.add(new DepotEnvelope.Header("n", null));
      }
      Long timestamp = i == 9 ? null : T0 + (i % 3 == 0 ? -i : i) * 1000L;
      TimestampType type =
          timestamp == null
              ? TimestampType.NO_TIMESTAMP_TYPE
              : i % 4 == 1 ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME;
      out.add(new DepotEnvelope("orders", 1, 100 + 2L * i, timestamp, type, key, value, headers));
    }
    return out;
  }

  private static long[] write(DepotQueue queue, List<DepotEnvelope> records) {
    long[] ids = new long[records.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = queue.append(EnvelopeCodec.encode(records.get(i)), records.get(i).offset());
    }
    queue.sync();
    return ids;
  }

  private DepotSourceTask start(SourceTestContext context) {
    DepotSourceTask task = new DepotSourceTask();
    task.initialize(context);
    task.start(context.configs());
    started.add(task);
    return task;
  }

  /** Polls until a poll returns nothing, committing every record as the worker would. */
  private static List<SourceRecord> drain(DepotSourceTask task, SourceTestContext context)
      throws InterruptedException {
    List<SourceRecord> out = new ArrayList<>();
    List<SourceRecord> batch;
    while ((batch = task.poll()) != null) {
      for (SourceRecord r : batch) {
        context.commit(r);
      }
      out.addAll(batch);
    }
    return out;
  }

  private static void assertSame(SourceRecord r, DepotEnvelope e, String topic, boolean origin) {
    assertThat(r.topic()).isEqualTo(topic);
    assertThat(r.kafkaPartition()).isEqualTo(e.partition());
    assertThat((byte[]) r.key()).as("key of %d", e.offset()).isEqualTo(e.key());
    assertThat((byte[]) r.value()).as("value of %d", e.offset()).isEqualTo(e.value());
    assertThat(r.timestamp()).as("timestamp of %d", e.offset()).isEqualTo(e.timestamp());
    List<String> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (Header h : r.headers()) {
      keys.add(h.key());
      values.add((byte[]) h.value());
      assertThat(h.schema())
          .as("schema of header %s", h.key())
          .isEqualTo(Schema.OPTIONAL_BYTES_SCHEMA);
    }
    List<String> wantKeys = new ArrayList<>();
    List<byte[]> wantValues = new ArrayList<>();
    for (DepotEnvelope.Header h : e.headers()) {
      wantKeys.add(h.key());
      wantValues.add(h.value());
    }
    if (origin) {
      wantKeys.addAll(
          List.of("depot.origin.topic", "depot.origin.partition", "depot.origin.offset"));
      wantValues.addAll(
          List.of(
              utf8(e.topic()),
              utf8(Integer.toString(e.partition())),
              utf8(Long.toString(e.offset()))));
    }
    assertThat(keys).as("header keys of %d", e.offset()).isEqualTo(wantKeys);
    assertThat(values)
        .as("header values of %d", e.offset())
        .usingElementComparator(Arrays::compare)
        .isEqualTo(wantValues);
  }

  @Test
  void replaysEveryRecordByteForByteWithOriginHeaders() throws Exception {
    List<DepotEnvelope> records = varied();
    long[] ids = write(queue("orders", 1, "envelope"), records);
    SourceTestContext context = new SourceTestContext(props("orders/1"));
    List<SourceRecord> out = drain(start(context), context);
    assertThat(out).hasSize(records.size());
    for (int i = 0; i < out.size(); i++) {
      assertSame(out.get(i), records.get(i), "orders", true);
      assertThat(out.get(i).sourcePartition()).isEqualTo(Map.of("queue", "orders/1"));
      assertThat(out.get(i).sourceOffset())
          .isEqualTo(
              Map.of("id", ids[i], "offset", records.get(i).offset(), "end", ids[ids.length - 1]));
    }
  }

  @Test
  void resumesExactlyAfterTheCommittedRecord() throws Exception {
    List<DepotEnvelope> records = varied();
    write(queue("orders", 1, "envelope"), records);
    Map<String, String> props = props("orders/1", "replay.batch.max.records", "7");
    for (int stopAfter : new int[] {1, 7, 13, 39}) {
      SourceTestContext context = new SourceTestContext(props);
      DepotSourceTask first = start(context);
      List<SourceRecord> got = new ArrayList<>();
      while (got.size() < stopAfter) {
        List<SourceRecord> batch = first.poll();
        got.addAll(batch);
      }
      // the worker committed the offsets of the first stopAfter records only, then died
      context.commit(got.get(stopAfter - 1));
      first.stop();
      SourceTestContext resumed = new SourceTestContext(props);
      resumed.committed.putAll(context.committed);
      DepotSourceTask second = start(resumed);
      List<SourceRecord> rest = drain(second, resumed);
      assertThat(rest).as("after %d", stopAfter).hasSize(records.size() - stopAfter);
      for (int i = 0; i < rest.size(); i++) {
        assertSame(rest.get(i), records.get(stopAfter + i), "orders", true);
      }
    }
  }

  @Test
  void stopsAtTheEndAsOfTheFirstStartAndKeepsItAcrossRestarts() throws Exception {
    DepotQueue queue = queue("orders", 1, "envelope");
    List<DepotEnvelope> records = varied();
    write(queue, records.subList(0, 20));
    Map<String, String> props = props("orders/1", "replay.batch.max.records", "5");
    SourceTestContext context = new SourceTestContext(props);
    DepotSourceTask task = start(context);
    List<SourceRecord> first = new ArrayList<>(task.poll());
    first.forEach(context::commit);
    write(queue, records.subList(20, 30)); // appended after the replay started
    task.stop();
    SourceTestContext resumed = new SourceTestContext(props);
    resumed.committed.putAll(context.committed);
    List<SourceRecord> rest = drain(start(resumed), resumed);
    assertThat(first.size() + rest.size()).isEqualTo(20);
    assertSame(rest.get(rest.size() - 1), records.get(19), "orders", true);
    // a new replay (no committed offsets) takes the end as it is now
    SourceTestContext fresh = new SourceTestContext(props);
    assertThat(drain(start(fresh), fresh)).hasSize(30);
  }

  @Test
  void tailsTheQueueAsItIsWrittenWithStopNever() throws Exception {
    DepotQueue queue = queue("orders", 1, "envelope");
    List<DepotEnvelope> records = varied();
    write(queue, records.subList(0, 10));
    SourceTestContext context = new SourceTestContext(props("orders/1", "replay.stop", "never"));
    DepotSourceTask task = start(context);
    List<SourceRecord> got = new ArrayList<>(task.poll());
    assertThat(task.poll()).as("caught up").isNull();
    write(queue, records.subList(10, 40)); // the sink appends and syncs
    List<SourceRecord> batch;
    while ((batch = task.poll()) != null) {
      got.addAll(batch);
    }
    assertThat(got).hasSize(40);
    for (int i = 0; i < 40; i++) {
      assertSame(got.get(i), records.get(i), "orders", true);
      assertThat(got.get(i).sourceOffset().get("end")).isEqualTo(-1L);
    }
  }

  /**
   * The same records and the same answers whether the timestamps are only in the envelopes (the
   * sink's queues so far: read from the oldest record) or also in the frames (appendTimed: the
   * store's index finds the start).
   */
  @Test
  void startsAtTheFirstRecordAtOrAfterTheTimestampAndStopsBeforeOneAfterTheStop() throws Exception {
    List<DepotEnvelope> records = new ArrayList<>();
    long[] stamps = {T0, T0 + 10, T0 + 20, T0 + 5, T0 + 20, T0 + 30, T0 + 40, T0 + 35};
    for (int i = 0; i < stamps.length; i++) {
      records.add(
          new DepotEnvelope(
              "t", 0, i, stamps[i], TimestampType.CREATE_TIME, null, utf8("v" + i), List.of()));
    }
    DepotQueue untimed = queue("t", 0, "envelope");
    DepotQueue timed = queue("t", 1, "envelope");
    for (DepotEnvelope e : records) {
      untimed.append(EnvelopeCodec.encode(e), e.offset());
      timed.appendTimed(EnvelopeCodec.encode(e), e.offset(), e.timestamp());
    }
    untimed.sync();
    timed.sync();
    // between stored timestamps, equal to one, before all, after all
    Object[][] cases = {
      {T0 + 15, 2}, {T0 + 20, 2}, {T0 - 1, 0}, {T0 + 10, 1}, {T0 + 41, 8},
    };
    for (String queue : new String[] {"t/0", "t/1"}) {
      for (Object[] c : cases) {
        String at = java.time.Instant.ofEpochMilli((Long) c[0]).toString();
        SourceTestContext context = new SourceTestContext(fromTimestamp(queue, at));
        List<SourceRecord> got = drain(start(context), context);
        int from = (Integer) c[1];
        assertThat(got).as("%s from %s", queue, at).hasSize(stamps.length - from);
        for (int i = 0; i < got.size(); i++) {
          assertThat((byte[]) got.get(i).value()).isEqualTo(records.get(from + i).value());
          assertThat(got.get(i).timestamp()).isEqualTo(records.get(from + i).timestamp());
        }
      }
      SourceTestContext stop =
          new SourceTestContext(
              props(
                  queue,
                  "replay.stop",
                  "timestamp",
                  "replay.stop.timestamp",
                  java.time.Instant.ofEpochMilli(T0 + 20).toString()));
      assertThat(drain(start(stop), stop))
          .as(queue)
          .extracting(r -> new String((byte[]) r.value(), StandardCharsets.UTF_8))
          .containsExactly("v0", "v1", "v2", "v3", "v4");
    }
  }

  @Test
  void valueQueuesWithTimestampsInTheFramesReplayThemAndSeekByThem() throws Exception {
    DepotQueue queue = queue("plain", 0, "value");
    for (int i = 0; i < 10; i++) {
      queue.appendTimed(utf8("v" + i), 100 + i, T0 + i * 1000L);
    }
    queue.sync();
    SourceTestContext context =
        new SourceTestContext(
            fromTimestamp("plain/0", java.time.Instant.ofEpochMilli(T0 + 6500).toString()));
    List<SourceRecord> got = drain(start(context), context);
    assertThat(got)
        .extracting(SourceRecord::timestamp)
        .containsExactly(T0 + 7000, T0 + 8000, T0 + 9000);
    assertThat(got).extracting(SourceRecord::key).containsOnlyNulls();
  }

  @Test
  void anEmptyValueQueueTailedFromATimestampStartsAndReplaysTheTimedRecordsAtOrAfterIt()
      throws Exception {
    DepotQueue queue = queue("plain", 0, "value");
    SourceTestContext context =
        new SourceTestContext(
            props(
                "plain/0",
                "replay.start",
                "timestamp",
                "replay.start.timestamp",
                java.time.Instant.ofEpochMilli(T0 + 1500).toString(),
                "replay.stop",
                "never"));
    DepotSourceTask task = start(context); // failed: "items without timestamps", with no items
    assertThat(task.poll()).as("nothing yet").isNull();
    for (int i = 0; i < 4; i++) {
      queue.appendTimed(utf8("v" + i), 10 + i, T0 + i * 1000L);
    }
    queue.sync();
    List<SourceRecord> got = new ArrayList<>();
    List<SourceRecord> batch;
    while ((batch = task.poll()) != null) {
      got.addAll(batch);
    }
    assertThat(got).extracting(SourceRecord::timestamp).containsExactly(T0 + 2000, T0 + 3000);
  }

  @Test
  void startsAtTheKafkaOffsetGivenForEachQueue() throws Exception {
    List<DepotEnvelope> records = varied(); // offsets 100, 102, ..., 178
    write(queue("orders", 1, "envelope"), records);
    write(queue("orders", 2, "envelope"), records.subList(0, 3));
    SourceTestContext context =
        new SourceTestContext(
            props(
                "orders/1,orders/2",
                "replay.start",
                "offsets",
                "replay.start.offsets",
                "orders:1:151"));
    List<SourceRecord> got = drain(start(context), context);
    List<SourceRecord> one = got.stream().filter(r -> r.kafkaPartition() == 1).toList();
    assertThat(one).hasSize(14); // 152 .. 178
    assertSame(one.get(0), records.get(26), "orders", true);
    assertThat(got.stream().filter(r -> r.kafkaPartition() == 2)).hasSize(3); // not named: all
  }

  @Test
  void valueQueuesReplayWithoutKeyAndTheOffsetFromTheTag() throws Exception {
    DepotQueue queue = queue("plain", 0, "value");
    queue.append(utf8("a"), 5);
    queue.append(new byte[0], 6);
    queue.sync();
    SourceTestContext context =
        new SourceTestContext(
            props(
                "plain/0",
                "origin.header.offset",
                "from-offset",
                "target.topic.prefix",
                "restored."));
    List<SourceRecord> got = drain(start(context), context);
    assertThat(got).hasSize(2);
    assertThat(got.get(0).key()).isNull();
    assertThat(got.get(0).timestamp()).isNull();
    assertThat(got.get(0).topic()).isEqualTo("restored.plain");
    assertThat((byte[]) got.get(1).value()).isEmpty();
    assertThat((byte[]) got.get(1).headers().lastWithName("from-offset").value())
        .isEqualTo(utf8("6"));
    assertThatThrownBy(
            () -> start(new SourceTestContext(fromTimestamp("plain/0", "2026-01-01T00:00:00Z"))))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining(root.resolve("plain").resolve("0").toString())
        .hasMessageContaining("depot.format=value")
        .hasMessageContaining("replay.start=timestamp");
  }

  @Test
  void renamesAndPartitionsByKeyAndDropsOriginHeadersWhenAsked() throws Exception {
    List<DepotEnvelope> records = varied();
    write(queue("orders", 1, "envelope"), records);
    SourceTestContext context =
        new SourceTestContext(
            props(
                "orders/1",
                "target.topic.rename",
                "orders:orders-copy,other:x",
                "target.topic.prefix",
                "dr.",
                "target.partition",
                "by-key",
                "origin.headers.enable",
                "false"));
    List<SourceRecord> got = drain(start(context), context);
    assertThat(got).hasSize(records.size());
    for (int i = 0; i < got.size(); i++) {
      assertThat(got.get(i).topic()).isEqualTo("dr.orders-copy");
      assertThat(got.get(i).kafkaPartition()).isNull();
      assertThat((byte[]) got.get(i).key()).isEqualTo(records.get(i).key());
      assertThat(got.get(i).headers().size()).isEqualTo(records.get(i).headers().size());
    }
  }

  @Test
  void aCorruptRecordFailsNamingThePathOrIsSteppedOverWithToleranceAll() throws Exception {
    DepotQueue queue = queue("orders", 1, "envelope");
    List<DepotEnvelope> records = varied().subList(0, 5);
    long[] ids = write(queue, records);
    queue.close();
    writers.remove(queue);
    Path dir = root.resolve("orders").resolve("1");
    try (RandomAccessFile file =
        new RandomAccessFile(dir.resolve("0000000000.seg").toFile(), "rw")) {
      long at = DepotIds.position(ids[2]) + 30;
      file.seek(at);
      int b = file.read();
      file.seek(at);
      file.write(b ^ 0x5A);
    }
    SourceTestContext strict = new SourceTestContext(props("orders/1"));
    DepotSourceTask task = start(strict);
    assertThatThrownBy(() -> drain(task, strict))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("orders/1: a corrupt record")
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("set errors.tolerance=all");
    SourceTestContext tolerant =
        new SourceTestContext(props("orders/1", "errors.tolerance", "all"));
    List<SourceRecord> got = drain(start(tolerant), tolerant);
    assertThat(got).hasSize(4);
    assertSame(got.get(1), records.get(1), "orders", true);
    assertSame(got.get(2), records.get(3), "orders", true);
  }

  @Test
  void aMissingDepotPathFailsNamingItAndTheSetting() {
    Map<String, String> props = props("orders/1");
    props.put("depot.path", root.resolve("nope").toString());
    assertThatThrownBy(() -> start(new SourceTestContext(props)))
        .isInstanceOf(ConnectException.class)
        .hasMessage(
            "depot.path="
                + root.resolve("nope")
                + " does not exist: set depot.path to the directory the depot sink writes (the"
                + " sink's depot.path)");
  }

  @Test
  void readsBesideARunningWriterThatHoldsTheLock() throws Exception {
    DepotQueue queue = queue("orders", 1, "envelope"); // open for write: holds the lock
    List<DepotEnvelope> records = varied();
    write(queue, records);
    SourceTestContext context = new SourceTestContext(props("orders/1"));
    assertThat(drain(start(context), context)).hasSize(records.size());
  }

  @Test
  void stopFromAnotherThreadEndsAWaitingPollAndReleasesTheQueues() throws Exception {
    DepotQueue queue = queue("orders", 1, "envelope");
    write(queue, varied().subList(0, 3));
    SourceTestContext context =
        new SourceTestContext(
            props("orders/1", "replay.stop", "never", "replay.poll.wait.ms", "60000"));
    DepotSourceTask task = start(context);
    assertThat(task.poll()).hasSize(3);
    List<Object> polled = new ArrayList<>();
    Thread poller =
        new Thread(
            () -> {
              try {
                polled.add(String.valueOf(task.poll()));
              } catch (InterruptedException e) {
                polled.add(e);
              }
            });
    poller.start();
    while (poller.getState() != Thread.State.TIMED_WAITING && poller.isAlive()) {
      Thread.onSpinWait(); // the poll is caught up and waiting for appends
    }
    task.stop();
    poller.join(Duration.ofSeconds(30).toMillis());
    assertThat(poller.isAlive()).as("the poll still waits after stop").isFalse();
    assertThat(polled).containsExactly("null");
    assertThat(task.poll()).isNull();
  }
}
