package dev.depot.connect;

import static dev.depot.connect.ConnectSupport.await;
import static dev.depot.connect.ConnectSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.queue.DepotQueue;
import dev.depot.testing.ChildJvm;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.converters.ByteArrayConverter;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.apache.kafka.connect.util.clusters.WorkerHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The source on a real broker and Connect workers with exactly-once source support: topic A -> sink
 * -> depot -> source -> topic B holds exactly A's committed records, byte for byte, through a
 * worker leaving mid-replay; a replay from a timestamp; tailing a queue the sink is writing.
 */
@Timeout(900)
class DepotSourceIT {
  private static final String BYTES = ByteArrayConverter.class.getName();

  /**
   * Recent timestamps: records stamped older than a topic's retention.ms (7 days by default) are
   * deleted by the broker once a transaction marker (stamped now) rolls their segment; with
   * timestamps of 2025 each partition's first transaction vanished from A and B within minutes.
   */
  private static final long T0 = System.currentTimeMillis() / 1000 * 1000 - 3_600_000L;

  @TempDir Path depot;
  private EmbeddedConnectCluster connect;

  @AfterEach
  void stopCluster() {
    if (connect != null) {
      connect.stop();
    }
  }

  private void startCluster(int workers) {
    connect =
        ConnectSupport.cluster(
            "depot-source-it",
            workers,
            props -> props.put("exactly.once.source.support", "enabled"));
  }

  /** The sink's sample config, headers stored byte for byte (issue 15). */
  private Map<String, String> sinkConfig(String topics) throws Exception {
    return ConnectSupport.sampleConfig(
        Map.of(
            "topics",
            topics,
            "depot.path",
            depot.toString(),
            "tasks.max",
            "3",
            "header.converter",
            BYTES));
  }

  private Map<String, String> sourceConfig(String... keysAndValues) {
    Map<String, String> config = new HashMap<>();
    config.put("connector.class", DepotSourceConnector.class.getName());
    config.put("depot.path", depot.toString());
    config.put("key.converter", BYTES);
    config.put("value.converter", BYTES);
    config.put("header.converter", BYTES);
    config.put("exactly.once.support", "required");
    config.put("offsets.storage.topic", "depot-source-offsets");
    config.put("depot.scan.interval.ms", "300");
    config.put("replay.poll.wait.ms", "200");
    for (int i = 0; i < keysAndValues.length; i += 2) {
      config.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return config;
  }

  private KafkaProducer<byte[], byte[]> transactionalProducer(String id) {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", connect.kafka().bootstrapServers());
    config.put("transactional.id", id);
    // a transaction the broker leaves hanging resolves (aborts) in 10 s, not 60
    config.put("transaction.timeout.ms", "10000");
    config.put("key.serializer", ByteArraySerializer.class.getName());
    config.put("value.serializer", ByteArraySerializer.class.getName());
    return new KafkaProducer<>(config);
  }

  /**
   * Writes {@code transactions} transactions of {@code perTransaction} records over the partitions
   * of {@code topic}, every third aborted: keys (some null), binary and repeated headers (some
   * null), out-of-order timestamps, tombstones and empty values. Aborted transactions come from a
   * second transactional producer, interleaved with the first's committed ones.
   */
  private void produceMixed(String topic, int partitions, int transactions, int perTransaction) {
    Random random = new Random(42);
    try (KafkaProducer<byte[], byte[]> committing = transactionalProducer("commit-" + topic);
        KafkaProducer<byte[], byte[]> aborting = transactionalProducer("abort-" + topic)) {
      committing.initTransactions();
      aborting.initTransactions();
      int n = 0;
      for (int t = 0; t < transactions; t++) {
        boolean abort = t % 3 == 2;
        KafkaProducer<byte[], byte[]> producer = abort ? aborting : committing;
        producer.beginTransaction();
        for (int i = 0; i < perTransaction; i++, n++) {
          byte[] key = n % 9 == 0 ? null : utf8("key-" + (n % 50));
          byte[] value;
          if (n % 13 == 5) {
            value = null;
          } else if (n % 17 == 6) {
            value = new byte[0];
          } else {
            value = new byte[random.nextInt(40)];
            random.nextBytes(value);
          }
          List<Header> headers = new ArrayList<>();
          if (n % 3 != 0) {
            byte[] binary = new byte[5];
            random.nextBytes(binary);
            headers.add(new RecordHeader("bin", binary));
            headers.add(new RecordHeader("num", utf8(n % 2 == 0 ? "007" : "1.50")));
            headers.add(new RecordHeader("bin", utf8("null")));
            headers.add(new RecordHeader("nothing", null));
          }
          long timestamp = T0 + n * 10L + (n % 4 == 0 ? -25_000 : 0);
          producer.send(
              new ProducerRecord<>(topic, n % partitions, timestamp, key, value, headers));
        }
        producer.flush();
        if (abort) {
          producer.abortTransaction();
        } else {
          producer.commitTransaction();
        }
      }
    }
  }

  /** Every committed record of {@code topic}, per partition, in offset order. */
  private Map<Integer, List<ConsumerRecord<byte[], byte[]>>> readCommitted(
      String topic, int partitions, int atLeast) {
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> out = perPartition(partitions);
    try (KafkaConsumer<byte[], byte[]> consumer = consumer("read_committed")) {
      List<TopicPartition> tps = fromStart(consumer, topic, partitions);
      awaitNoOpenTransaction(consumer, tps);
      int[] count = {0};
      await(
          () -> topic + " holds at least " + atLeast + " committed records, has " + count[0],
          () -> {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
              out.get(r.partition()).add(r);
              count[0]++;
            }
            if (count[0] < atLeast) {
              return false;
            }
            // at the end: every position at the last stable offset
            Map<TopicPartition, Long> ends = consumer.endOffsets(tps);
            return tps.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp));
          });
    }
    return out;
  }

  /**
   * Waits until every partition's last stable offset is its high watermark: no transaction is open,
   * so what read_committed reads now is final.
   */
  private void awaitNoOpenTransaction(
      KafkaConsumer<byte[], byte[]> committed, List<TopicPartition> tps) {
    try (KafkaConsumer<byte[], byte[]> uncommitted = consumer(null)) {
      Object[] last = {null, null};
      await(
          () -> "no open transaction on " + tps + ": stable " + last[0] + ", high " + last[1],
          () -> {
            last[0] = committed.endOffsets(tps);
            last[1] = uncommitted.endOffsets(tps);
            return last[0].equals(last[1]);
          });
    }
  }

  private static int total(Map<Integer, List<ConsumerRecord<byte[], byte[]>>> records) {
    return records.values().stream().mapToInt(List::size).sum();
  }

  /**
   * Asserts that B holds A's records, partition by partition, in order: key, value, timestamp and
   * headers byte for byte, then the three origin headers naming A's topic, partition and offset.
   */
  private static void assertReplayed(
      Map<Integer, List<ConsumerRecord<byte[], byte[]>>> a,
      Map<Integer, List<ConsumerRecord<byte[], byte[]>>> b) {
    assertThat(b.keySet()).isEqualTo(a.keySet());
    for (int p : a.keySet()) {
      List<ConsumerRecord<byte[], byte[]>> want = a.get(p);
      List<ConsumerRecord<byte[], byte[]>> got = b.get(p);
      assertThat(got).as("records in partition %d", p).hasSize(want.size());
      for (int i = 0; i < want.size(); i++) {
        ConsumerRecord<byte[], byte[]> w = want.get(i);
        ConsumerRecord<byte[], byte[]> g = got.get(i);
        String at = "partition " + p + " record " + i + " (offset " + w.offset() + " in A)";
        assertThat(g.key()).as("key, " + at).isEqualTo(w.key());
        assertThat(g.value()).as("value, " + at).isEqualTo(w.value());
        assertThat(g.timestamp()).as("timestamp, " + at).isEqualTo(w.timestamp());
        Header[] wh = w.headers().toArray();
        Header[] gh = g.headers().toArray();
        assertThat(gh).as("headers, " + at).hasSize(wh.length + 3);
        for (int h = 0; h < wh.length; h++) {
          assertThat(gh[h].key()).as("header %d key, %s", h, at).isEqualTo(wh[h].key());
          assertThat(gh[h].value()).as("header %d value, %s", h, at).isEqualTo(wh[h].value());
        }
        assertThat(gh[wh.length].key()).isEqualTo("depot.origin.topic");
        assertThat(gh[wh.length].value()).isEqualTo(utf8(w.topic()));
        assertThat(gh[wh.length + 1].value()).isEqualTo(utf8(Integer.toString(p)));
        assertThat(gh[wh.length + 2].value()).isEqualTo(utf8(Long.toString(w.offset())));
      }
    }
  }

  private int storedTotal(String topic, int partitions) {
    return ConnectSupport.storedCount(depot, topic, partitions);
  }

  /**
   * Creates topics a and b (3 partitions each), produces 4,000 committed and 2,000 aborted records
   * into a, and has the depot sink store a; returns a's committed records.
   */
  private Map<Integer, List<ConsumerRecord<byte[], byte[]>>> storeMixedTopicA() throws Exception {
    ConnectSupport.createTopic(connect, "a", 3);
    ConnectSupport.createTopic(connect, "b", 3);
    produceMixed("a", 3, 60, 100); // 4,000 committed records, 2,000 aborted
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> a = readCommitted("a", 3, 1);
    int committed = total(a);
    assertThat(committed).isEqualTo(4000);
    connect.configureConnector("sink", sinkConfig("a"));
    await(
        () -> "the sink stored a: " + storedTotal("a", 3), () -> storedTotal("a", 3) == committed);
    connect.deleteConnector("sink");
    return a;
  }

  @Test
  void roundTripThroughSinkAndSourceIsExactlyOnceThroughAWorkerLeavingMidReplay() throws Exception {
    startCluster(2);
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> a = storeMixedTopicA();
    int committed = total(a);

    connect.configureConnector(
        "source",
        sourceConfig(
            "tasks.max", "2", "target.topic.rename", "a:b", "replay.batch.max.records", "10"));
    connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("source", 2, "no source");
    await("some records replayed into b", () -> !readUncommitted("b", 3).isEmpty());
    WorkerHandle leaving = connect.workers().iterator().next();
    connect.removeWorker(leaving);
    connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("source", 2, "no reassign");
    assertReplayed(a, readCommitted("b", 3, committed));
  }

  /**
   * A worker in its own process, SIGKILLed while its task replays: the tasks move to the worker
   * left, which fences the killed one's transactions, and B still holds every committed record of A
   * exactly once.
   */
  @Test
  void aWorkerProcessKilledMidReplayLeavesExactlyOnce() throws Exception {
    String name = "depot-source-kill";
    Map<String, String> shared = new HashMap<>();
    shared.put("group.id", "connect-integration-test-" + name);
    shared.put("config.storage.topic", "connect-config-topic-" + name);
    shared.put("offset.storage.topic", "connect-offset-topic-" + name);
    shared.put("status.storage.topic", "connect-status-topic-" + name);
    shared.put("exactly.once.source.support", "enabled");
    connect = ConnectSupport.cluster(name, 1, props -> props.putAll(shared));
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> a = storeMixedTopicA();
    int committed = total(a);

    // a second worker of the same cluster in a child JVM
    Properties worker = new Properties();
    worker.putAll(shared);
    worker.put("bootstrap.servers", connect.kafka().bootstrapServers());
    worker.put("listeners", "http://localhost:0");
    worker.put("plugin.discovery", "service_load");
    worker.put("key.converter", BYTES);
    worker.put("value.converter", BYTES);
    worker.put("config.storage.replication.factor", "1");
    worker.put("offset.storage.replication.factor", "1");
    worker.put("status.storage.replication.factor", "1");
    worker.put("offset.flush.interval.ms", "500");
    worker.put("scheduled.rebalance.max.delay.ms", "5000");
    Path workerFile = depot.resolveSibling(depot.getFileName() + "-worker.properties");
    try (var out = Files.newOutputStream(workerFile)) {
      worker.store(out, "child worker");
    }
    Path log = depot.resolveSibling(depot.getFileName() + "-worker.log");
    try (ChildJvm child =
        ChildJvm.main(ConnectDistributed.class)
            .jvmArg("-Xmx512m")
            .jvmArg("-Dorg.slf4j.simpleLogger.defaultLogLevel=info")
            .arg(workerFile.toString())
            .log(log)
            .start()) {
      child.awaitLog("Kafka Connect started", Duration.ofMinutes(3));
      connect.configureConnector(
          "source",
          sourceConfig(
              "tasks.max", "2", "target.topic.rename", "a:b", "replay.batch.max.records", "10"));
      String inProcess = connect.workers().iterator().next().url().getAuthority();
      int[] childTask = {-1};
      await(
          () -> "a source task on the child worker: " + status("source"),
          () -> {
            try {
              for (var task : connect.connectorStatus("source").tasks()) {
                if (task.state().equals("RUNNING") && !task.workerId().equals(inProcess)) {
                  childTask[0] = task.id();
                  return true;
                }
              }
            } catch (RuntimeException e) {
              // no status yet
            }
            return false;
          });
      // the queues are spread round robin: task 0 replays a/0 and a/2, task 1 a/1
      int childPartition = childTask[0] == 0 ? 0 : 1;
      await(
          "committed records of the child's task in b",
          () -> committedCount("b", childPartition) > 0);
      child.kill(); // SIGKILL, mid-replay, with transactions committed and one likely open
    }
    await(
        () -> "both tasks on the worker left: " + status("source"),
        () -> {
          try {
            var tasks = connect.connectorStatus("source").tasks();
            return tasks.size() == 2
                && tasks.stream()
                    .allMatch(t -> t.state().equals("RUNNING") && t.workerId().equals(inProcess()));
          } catch (RuntimeException e) {
            return false;
          }
        });
    await(
        () -> "b to hold a's committed records: " + missing(a, "b"),
        () -> total(readCommittedNow("b", 3)) >= committed);
    assertReplayed(a, readCommitted("b", 3, committed));
  }

  /** Whatever read_committed returns of {@code topic} in a few polls from the start. */
  private Map<Integer, List<ConsumerRecord<byte[], byte[]>>> readCommittedNow(
      String topic, int partitions) {
    return readAll(topic, partitions, "read_committed");
  }

  private Map<Integer, List<ConsumerRecord<byte[], byte[]>>> readAll(
      String topic, int partitions, String isolation) {
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> out = perPartition(partitions);
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(isolation)) {
      List<TopicPartition> tps = fromStart(consumer, topic, partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(tps);
      for (int i = 0;
          i < 50 && tps.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp));
          i++) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.get(r.partition()).add(r);
        }
      }
    }
    return out;
  }

  /**
   * Which of A's offsets B lacks under read_committed, per partition, and how often each is in B's
   * log at all (read_uncommitted: committed and aborted copies).
   */
  private String missing(Map<Integer, List<ConsumerRecord<byte[], byte[]>>> a, String b) {
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> committed = readCommittedNow(b, a.size());
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> all =
        readAll(b, a.size(), "read_uncommitted");
    StringBuilder out = new StringBuilder();
    for (int p : a.keySet()) {
      Map<String, Integer> inLog = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : all.get(p)) {
        inLog.merge(
            new String(r.headers().lastHeader("depot.origin.offset").value()), 1, Integer::sum);
      }
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (ConsumerRecord<byte[], byte[]> r : committed.get(p)) {
        seen.add(new String(r.headers().lastHeader("depot.origin.offset").value()));
      }
      List<String> lacking = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : a.get(p)) {
        String o = Long.toString(r.offset());
        if (!seen.contains(o)) {
          lacking.add(o + "x" + inLog.getOrDefault(o, 0));
        }
      }
      out.append(" partition ")
          .append(p)
          .append(": ")
          .append(committed.get(p).size())
          .append(" committed of ")
          .append(a.get(p).size())
          .append(", log ")
          .append(all.get(p).size())
          .append(", lacking (offset x copies in log) ")
          .append(lacking.size() > 40 ? lacking.subList(0, 40) + "..." : lacking);
    }
    return out.toString();
  }

  /** How many records of one partition read_committed returns in one poll from the start. */
  private int committedCount(String topic, int partition) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer("read_committed")) {
      TopicPartition tp = new TopicPartition(topic, partition);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      return consumer.poll(Duration.ofMillis(200)).count();
    }
  }

  private String inProcess() {
    return connect.workers().iterator().next().url().getAuthority();
  }

  private String status(String connector) {
    try {
      return ConnectSupport.describe(connect.connectorStatus(connector));
    } catch (RuntimeException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  /**
   * A byte-array consumer on the cluster reading at {@code isolation} ({@code null}: the client's
   * default, read_uncommitted), assigned nothing yet.
   */
  private KafkaConsumer<byte[], byte[]> consumer(String isolation) {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", connect.kafka().bootstrapServers());
    if (isolation != null) {
      config.put("isolation.level", isolation);
    }
    config.put("key.deserializer", ByteArrayDeserializer.class.getName());
    config.put("value.deserializer", ByteArrayDeserializer.class.getName());
    return new KafkaConsumer<>(config);
  }

  /**
   * Assigns {@code consumer} partitions 0 to {@code partitions - 1} of {@code topic} at their
   * start.
   */
  private static List<TopicPartition> fromStart(
      KafkaConsumer<byte[], byte[]> consumer, String topic, int partitions) {
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      tps.add(new TopicPartition(topic, p));
    }
    consumer.assign(tps);
    consumer.seekToBeginning(tps);
    return tps;
  }

  /** An empty list per partition, in partition order. */
  private static Map<Integer, List<ConsumerRecord<byte[], byte[]>>> perPartition(int partitions) {
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> out = new TreeMap<>();
    for (int p = 0; p < partitions; p++) {
      out.put(p, new ArrayList<>());
    }
    return out;
  }

  private List<ConsumerRecord<byte[], byte[]>> readUncommitted(String topic, int partitions) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(null)) {
      fromStart(consumer, topic, partitions);
      consumer.poll(Duration.ofMillis(200)).forEach(out::add);
    }
    return out;
  }

  @Test
  void aReplayFromATimestampHoldsExactlyTheRecordsAtOrAfterIt() throws Exception {
    startCluster(1);
    ConnectSupport.createTopic(connect, "restored.t", 2);
    List<List<DepotEnvelope>> stored = new ArrayList<>();
    for (int p = 0; p < 2; p++) {
      Path dir = depot.resolve("t").resolve(Integer.toString(p));
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("depot.format"), "envelope\n");
      List<DepotEnvelope> records = new ArrayList<>();
      try (DepotQueue queue = DepotQueue.open(dir)) {
        for (int i = 0; i < 500; i++) {
          DepotEnvelope e =
              new DepotEnvelope(
                  "t",
                  p,
                  i,
                  T0 + i * 1000L + p,
                  DepotEnvelope.TimestampType.CREATE_TIME,
                  utf8("k" + i),
                  utf8("t/" + p + "/" + i),
                  List.of(new DepotEnvelope.Header("i", utf8(Integer.toString(i)))));
          queue.append(EnvelopeCodec.encode(e), i);
          records.add(e);
        }
      }
      stored.add(records);
    }
    long from = T0 + 300_000L; // partition 0: record 300 exactly; partition 1: 300 at +1 ms
    connect.configureConnector(
        "source",
        sourceConfig(
            "tasks.max", "1",
            "target.topic.prefix", "restored.",
            "replay.start", "timestamp",
            "replay.start.timestamp", Instant.ofEpochMilli(from).toString()));
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> b = readCommitted("restored.t", 2, 400);
    // the task's metrics reach the worker's JMX: 400 replayed, both queues finished (no lag)
    await(
        "400 records replayed and no lag in the metrics",
        () ->
            metricSum("source", "records-replayed-total") == 400
                && metricSum("source", "replay-lag-records") == 0);
    assertThat(metricSum("source", "last-replayed-offset")).isEqualTo(2 * 499);
    for (int p = 0; p < 2; p++) {
      List<DepotEnvelope> want = stored.get(p).stream().filter(e -> e.timestamp() >= from).toList();
      assertThat(want).hasSize(200);
      List<ConsumerRecord<byte[], byte[]>> got = b.get(p);
      assertThat(got).as("partition %d", p).hasSize(want.size());
      for (int i = 0; i < want.size(); i++) {
        assertThat(got.get(i).value()).isEqualTo(want.get(i).value());
        assertThat(got.get(i).key()).isEqualTo(want.get(i).key());
        assertThat(got.get(i).timestamp()).isEqualTo(want.get(i).timestamp());
      }
    }
  }

  @Test
  void tailsQueuesTheSinkIsWritingAndPicksUpNewOnes() throws Exception {
    startCluster(1);
    Files.createDirectories(depot);
    ConnectSupport.createTopic(connect, "live", 3);
    ConnectSupport.createTopic(connect, "live-copy", 3);
    // the source first, over an empty depot: no queue, no task yet
    connect.configureConnector(
        "source",
        sourceConfig(
            "tasks.max",
            "2",
            "target.topic.prefix",
            "",
            "target.topic.rename",
            "live:live-copy",
            "replay.stop",
            "never"));
    connect.configureConnector("sink", sinkConfig("live"));
    int sent = 0;
    try (KafkaProducer<byte[], byte[]> producer = ConnectSupport.producer(connect)) {
      for (int round = 0; round < 5; round++) {
        // partition 2 only from the third round on: its queue appears while the source runs
        int partitions = round < 2 ? 2 : 3;
        ConnectSupport.produce(producer, "live", partitions, round * 100, 100);
        sent += partitions * 100;
        int expected = sent;
        await(
            () -> "the copy to grow to " + expected,
            () -> readUncommitted("live-copy", 3).size() > 0 && storedTotal("live", 3) > 0);
      }
    }
    Map<Integer, List<ConsumerRecord<byte[], byte[]>>> a = readCommitted("live", 3, sent);
    assertThat(total(a)).isEqualTo(sent);
    connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("source", 2, "two queues+");
    assertReplayed(a, readCommitted("live-copy", 3, sent));
  }

  static boolean same(byte[] a, byte[] b) {
    return Arrays.equals(a, b);
  }

  /** Sums an attribute over the MBeans the worker registered for a connector's task plugins. */
  private static double metricSum(String connector, String attribute) {
    try {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      double sum = 0;
      for (ObjectName name : server.queryNames(new ObjectName("kafka.connect:*"), null)) {
        if (!name.getCanonicalName().contains("connector=" + connector)) {
          continue;
        }
        for (MBeanAttributeInfo info : server.getMBeanInfo(name).getAttributes()) {
          if (info.getName().equals(attribute)) {
            sum += ((Number) server.getAttribute(name, attribute)).doubleValue();
          }
        }
      }
      return sum;
    } catch (Exception e) {
      throw new AssertionError("cannot read " + attribute + " from JMX: " + e, e);
    }
  }
}
