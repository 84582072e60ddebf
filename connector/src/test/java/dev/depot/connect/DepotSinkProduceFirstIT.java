package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.envelope.DepotEnvelope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data first, the connector after: transactions (commit, abort, commit) already in the topic
 * when the sample config (two topics of two partitions, tasks.max=2, read_committed) starts, so the
 * tasks rebalance while the first task already reads. Each round uses fresh topics, a fresh
 * connector and a fresh depot directory; the depot must hold exactly what a read_committed reader
 * gets, and the committed offset must not pass a record the depot lacks. {@code
 * -Ddepot.produceFirst.rounds=N} repeats it (one round by default).
 */
@Timeout(1800)
class DepotSinkProduceFirstIT {
  private static final int ROUNDS = Integer.getInteger("depot.produceFirst.rounds", 1);

  private static EmbeddedConnectCluster connect;

  static {
    // assignments, positions, offset resets and commits in the failsafe output, should it fail
    System.setProperty(
        "org.slf4j.simpleLogger.log.org.apache.kafka.connect.runtime.WorkerSinkTask", "debug");
    System.setProperty(
        "org.slf4j.simpleLogger.log.org.apache.kafka.clients.consumer.internals", "info");
  }

  @TempDir Path depot;

  @BeforeAll
  static void startCluster() {
    Map<String, String> workerProps = new HashMap<>(); // must be mutable
    workerProps.put("plugin.discovery", "service_load");
    workerProps.put("offset.flush.interval.ms", "500");
    workerProps.put("scheduled.rebalance.max.delay.ms", "5000");
    Properties brokerProps = new Properties();
    brokerProps.put("offsets.topic.replication.factor", "1");
    brokerProps.put("transaction.state.log.replication.factor", "1");
    brokerProps.put("transaction.state.log.min.isr", "1");
    brokerProps.put("group.initial.rebalance.delay.ms", "0");
    // the broker's time retention runs every second from the start instead of at 30 s and then
    // every 5 minutes: what it deletes, it deletes within the test, not at a moment of chance
    brokerProps.put("log.initial.task.delay.ms", "1000");
    brokerProps.put("log.retention.check.interval.ms", "1000");
    connect =
        new EmbeddedConnectCluster.Builder()
            .name("depot-produce-first-it")
            .numWorkers(1)
            .workerProps(workerProps)
            .brokerProps(brokerProps)
            .build();
    connect.start();
  }

  @AfterAll
  static void stopCluster() {
    connect.stop();
  }

  @Test
  void transactionsProducedBeforeTheConnectorStartsAreStoredExactlyOnce() throws Exception {
    List<String> failures = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      String failure = round(round);
      System.err.println(
          "produce-first round " + round + ": " + (failure == null ? "ok" : failure));
      if (failure != null) {
        failures.add("round " + round + ": " + failure);
      }
    }
    assertThat(failures).as("rounds that lost or duplicated records").isEmpty();
  }

  /** One round; a description of what went wrong, or null. */
  private String round(int round) throws Exception {
    String topic = "first-" + round;
    String other = "second-" + round;
    String name = "produce-first-" + round;
    TopicPartition tp = new TopicPartition(topic, 0);
    ConnectSupport.createTopic(connect, topic, 2);
    ConnectSupport.createTopic(connect, other, 2);

    List<Long> expected = new ArrayList<>();
    long end;
    Map<String, Object> producerConfig = new HashMap<>();
    producerConfig.put("bootstrap.servers", connect.kafka().bootstrapServers());
    producerConfig.put("transactional.id", name);
    producerConfig.put("key.serializer", ByteArraySerializer.class.getName());
    producerConfig.put("value.serializer", ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
      producer.initTransactions();
      expected.addAll(transaction(producer, List.of(topic), null, "committed-a", true));
      transaction(producer, List.of(topic), null, "aborted", false);
      List<Long> last = transaction(producer, List.of(topic), null, "committed-b", true);
      expected.addAll(last);
      end = last.get(last.size() - 1) + 1;
    }
    Path dir = depot.resolve(name);
    connect.configureConnector(
        name,
        ConnectSupport.sampleConfig(
            Map.of("depot.path", dir.toString(), "topics", topic + "," + other)));
    String failure = null;
    try {
      ConnectSupport.awaitCommitted(connect, name, topic, 1, end);
    } catch (AssertionError e) {
      failure = "not committed: " + e.getMessage();
    }
    List<Long> stored = new ArrayList<>();
    for (DepotEnvelope e : ConnectSupport.stored(dir, tp)) {
      stored.add(e.offset());
    }
    Map<TopicPartition, OffsetAndMetadata> committed = ConnectSupport.committed(connect, name);
    connect.deleteConnector(name);
    // read after the connector, as the connector was created right after the producer closed
    List<Long> visible = readCommitted(tp, end);
    if (!visible.equals(expected)) {
      return "Kafka itself: a read_committed reader gets " + visible + ", not " + expected;
    }
    if (failure == null && !stored.equals(expected)) {
      failure = "the depot holds " + stored + ", not " + expected + "; committed " + committed;
    }
    return failure;
  }

  /**
   * Five records to partition 0 of each topic in one transaction, with {@code timestamp} (null:
   * now); their offsets (the same in each topic).
   */
  private static List<Long> transaction(
      KafkaProducer<byte[], byte[]> producer,
      List<String> topics,
      Long timestamp,
      String what,
      boolean commit)
      throws Exception {
    producer.beginTransaction();
    List<Future<RecordMetadata>> sends = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      for (String topic : topics) {
        Future<RecordMetadata> send =
            producer.send(
                new ProducerRecord<>(
                    topic, 0, timestamp, null, ConnectSupport.utf8(what + "-" + i)));
        if (topic.equals(topics.get(0))) {
          sends.add(send);
        }
      }
    }
    producer.flush();
    List<Long> offsets = new ArrayList<>();
    for (Future<RecordMetadata> send : sends) {
      offsets.add(send.get(ConnectSupport.WAIT.toSeconds(), TimeUnit.SECONDS).offset());
    }
    if (commit) {
      producer.commitTransaction();
    } else {
      producer.abortTransaction();
    }
    return offsets;
  }

  /**
   * What DepotSinkHeadersIT produced, in its first version before the connector existed: records
   * with timestamps of 2023 and earlier, in a topic with Kafka's default retention (7 days). The
   * first batch (offsets 0-4) opens the partition's first segment; the commit marker at 5, stamped
   * now, is more than segment.ms after it, so the broker rolls a new segment for it (LogSegment
   * rolls on the difference between the new batch's timestamp and the segment's first). The segment
   * of 0-4 then has a largest timestamp 3 years old, and the next time retention check deletes it:
   * the log starts at 5. A sink created after that never sees 0-4 and commits 17: Kafka deleted the
   * records, the sink lost nothing. With retention.ms=-1 the records stay.
   */
  @Test
  void recordsOlderThanTheTopicsRetentionAreDeletedByKafkaBeforeTheSinkReadsThem()
      throws Exception {
    String old = "old-timestamps";
    String kept = "old-timestamps-kept";
    ConnectSupport.createTopic(connect, old, 2);
    connect.kafka().createTopic(kept, 2, 1, Map.of("retention.ms", "-1"));
    long timestamp = 1_700_000_000_000L; // 2023-11-14, as in DepotSinkHeadersIT
    List<String> topics = List.of(old, kept);
    List<Long> committed = new ArrayList<>();
    long end;
    Map<String, Object> producerConfig = new HashMap<>();
    producerConfig.put("bootstrap.servers", connect.kafka().bootstrapServers());
    producerConfig.put("transactional.id", "old-timestamps");
    producerConfig.put("key.serializer", ByteArraySerializer.class.getName());
    producerConfig.put("value.serializer", ByteArraySerializer.class.getName());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
      producer.initTransactions();
      committed.addAll(transaction(producer, topics, timestamp, "committed-a", true));
      transaction(producer, topics, timestamp, "aborted", false);
      List<Long> last = transaction(producer, topics, timestamp, "committed-b", true);
      committed.addAll(last);
      end = last.get(last.size() - 1) + 1;
    }
    assertThat(committed).containsExactly(0L, 1L, 2L, 3L, 4L, 12L, 13L, 14L, 15L, 16L);
    TopicPartition oldTp = new TopicPartition(old, 0);
    TopicPartition keptTp = new TopicPartition(kept, 0);
    ConnectSupport.await(
        () -> "the log of " + oldTp + " to start at 5 (deleted by retention): " + earliest(oldTp),
        () -> earliest(oldTp) == 5);
    assertThat(earliest(keptTp)).as("retention.ms=-1 keeps the first segment").isZero();
    assertThat(readCommitted(oldTp, end)).containsExactly(12L, 13L, 14L, 15L, 16L);
    assertThat(readCommitted(keptTp, end)).isEqualTo(committed);

    Path dir = depot.resolve("old");
    connect.configureConnector(
        "old",
        ConnectSupport.sampleConfig(
            Map.of("depot.path", dir.toString(), "topics", old + "," + kept)));
    ConnectSupport.awaitCommitted(connect, "old", old, 1, end);
    ConnectSupport.awaitCommitted(connect, "old", kept, 1, end);
    assertThat(ConnectSupport.stored(dir, oldTp))
        .extracting(DepotEnvelope::offset)
        .as("what is left in Kafka, as in the failed DepotSinkHeadersIT runs")
        .containsExactly(12L, 13L, 14L, 15L, 16L);
    assertThat(ConnectSupport.stored(dir, keptTp))
        .extracting(DepotEnvelope::offset)
        .isEqualTo(committed);
    connect.deleteConnector("old");
  }

  /**
   * What the parsed-header test of DepotSinkHeadersIT produced, in its first version before its
   * connector existed: four records stamped 10 to 13 ms after the epoch. Their segment, the active
   * one, has a largest timestamp older than retention.ms, so the next retention check rolls a new
   * segment and deletes it whole: the log starts at 4 and the sink's single task receives nothing
   * (the test waited 2 minutes for a failure that could not come). A record sent now is stored.
   */
  @Test
  void recordsStampedIn1970AreDeletedWholeAndTheTaskReceivesNothingOfThem() throws Exception {
    String topic = "epoch-timestamps";
    ConnectSupport.createTopic(connect, topic, 1);
    TopicPartition tp = new TopicPartition(topic, 0);
    try (KafkaProducer<byte[], byte[]> producer = ConnectSupport.producer(connect)) {
      for (long ts = 10; ts < 14; ts++) {
        producer.send(new ProducerRecord<>(topic, 0, ts, null, ConnectSupport.utf8("at " + ts)));
      }
      producer.flush();
    }
    ConnectSupport.await(
        () -> "the log of " + tp + " to start at 4 (deleted by retention): " + earliest(tp),
        () -> earliest(tp) == 4);

    Path dir = depot.resolve("epoch");
    connect.configureConnector(
        "epoch",
        ConnectSupport.sampleConfig(
            Map.of("depot.path", dir.toString(), "topics", topic, "tasks.max", "1")));
    try (KafkaProducer<byte[], byte[]> producer = ConnectSupport.producer(connect)) {
      producer
          .send(new ProducerRecord<>(topic, 0, null, ConnectSupport.utf8("now")))
          .get(ConnectSupport.WAIT.toSeconds(), TimeUnit.SECONDS);
    }
    ConnectSupport.awaitCommitted(connect, "epoch", topic, 1, 5);
    assertThat(ConnectSupport.stored(dir, tp))
        .extracting(DepotEnvelope::offset)
        .containsExactly(4L);
    connect.deleteConnector("epoch");
  }

  /** The first offset of {@code tp} in Kafka (its log start offset). */
  private static long earliest(TopicPartition tp) {
    try (Admin admin = connect.kafka().createAdminClient()) {
      return admin
          .listOffsets(Map.of(tp, OffsetSpec.earliest()))
          .partitionResult(tp)
          .get(ConnectSupport.WAIT.toSeconds(), TimeUnit.SECONDS)
          .offset();
    } catch (Exception e) {
      throw new AssertionError("cannot list the offsets of " + tp + ": " + e, e);
    }
  }

  /** The offsets of the records of {@code tp} before {@code end} a read_committed reader gets. */
  private static List<Long> readCommitted(TopicPartition tp, long end) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", connect.kafka().bootstrapServers());
    props.put("isolation.level", "read_committed");
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    List<Long> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + ConnectSupport.WAIT.toNanos();
      while (consumer.position(tp) < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r.offset());
        }
      }
    }
    return out;
  }
}
