package dev.depot.connect;

import static dev.depot.connect.ConnectSupport.await;
import static dev.depot.connect.ConnectSupport.awaitCommitted;
import static dev.depot.connect.ConnectSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.envelope.DepotEnvelope;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.runtime.rest.errors.ConnectRestException;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Headers, keys, values and timestamps through a real worker whose own header converter is Kafka's
 * default, SimpleHeaderConverter, with the sample connector config as shipped (only depot.path
 * changed): the depot holds every byte as produced. Without the sample's header.converter, the sink
 * refuses to store what SimpleHeaderConverter parsed.
 */
@Timeout(600)
class DepotSinkHeadersIT {
  private static final String TOPIC = "readings"; // one of the sample's topics
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

  private static EmbeddedConnectCluster connect;

  static {
    // consumer assignments and offset resets in the failsafe output, to tell a Kafka problem from
    // the sink's should this test fail
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka.clients.consumer", "info");
  }

  @TempDir Path depot;

  @BeforeAll
  static void startCluster() {
    connect =
        ConnectSupport.cluster(
            "depot-headers-it",
            1,
            props -> props.put("header.converter", SimpleHeaderConverter.class.getName()));
    // The records carry timestamps of 2023 and 1970. With Kafka's default retention (7 days) the
    // broker's retention check (30 s after it starts, then every 5 minutes) deletes them: the
    // segment of the first transaction (the commit marker, stamped now, rolls a new one) and all
    // of "parsed". Before the sink read them, that lost the first transaction or every record of
    // "parsed" (DepotSinkProduceFirstIT shows both). Keep them.
    Map<String, String> keep = Map.of("retention.ms", "-1");
    ConnectSupport.createTopic(connect, TOPIC, 2, keep);
    ConnectSupport.createTopic(connect, "readings-unique", 2);
    ConnectSupport.createTopic(connect, "parsed", 1, keep);
  }

  @AfterAll
  static void stopCluster() {
    connect.stop();
  }

  private static Header header(String key, byte[] value) {
    return new RecordHeader(key, value);
  }

  private static ProducerRecord<byte[], byte[]> record(
      String topic, long timestamp, byte[] key, byte[] value, Header... headers) {
    return new ProducerRecord<>(topic, 0, timestamp, key, value, List.of(headers));
  }

  /** The records SimpleHeaderConverter changes or that are easy to get wrong, to TOPIC. */
  private static List<ProducerRecord<byte[], byte[]>> hardCases(String tag) {
    byte[] binary = {(byte) 0xff, 0x00, (byte) 0xc3, 0x28, (byte) 0x80, (byte) 0xfe, '\n'};
    return List.of(
        record(
            TOPIC,
            1_700_000_000_000L,
            null, // a null key
            utf8(tag + "-numbers"),
            header("n", utf8("007")),
            header("n", utf8("1.50")),
            header("zero", utf8("-0")),
            header("exp", utf8("1e3")),
            header("big", utf8("123456789012345678901234567890"))),
        record(
            TOPIC,
            1_600_000_000_000L, // earlier than the record before it
            binary,
            binary,
            header("bin", binary),
            header("text", utf8("null")),
            header("null", null),
            header("empty", new byte[0]),
            header("", utf8("empty key"))),
        record(
            TOPIC,
            0L, // the epoch
            new byte[0], // an empty key
            null, // a tombstone: the sample writes them
            header("dup", utf8("a")),
            header("x", utf8("true")),
            header("dup", utf8("b")),
            header("dup", utf8("a")),
            header("list", utf8("[1,2]")),
            header("map", utf8("{\"a\":1}"))),
        record(
            TOPIC,
            1_700_000_000_001L,
            utf8("key"),
            new byte[0], // an empty value
            header("quoted", utf8("\"quoted\"")),
            header("space", utf8(" 42 ")),
            header("date", utf8("2026-12-01")),
            header("time", utf8("12:00:00.000Z")),
            header("ключ", utf8("значение"))),
        record(TOPIC, 1L, utf8("no headers"), utf8(tag + "-plain")));
  }

  /** Everything a stored envelope holds, bytes in hex, for comparisons that show the difference. */
  private static String describe(
      long offset, Long timestamp, byte[] key, byte[] value, Iterable<String> headers) {
    return "offset "
        + offset
        + " ts "
        + timestamp
        + " key "
        + hex(key)
        + " value "
        + hex(value)
        + " headers "
        + headers;
  }

  private static String hex(byte[] bytes) {
    return bytes == null ? "null" : "[" + HexFormat.of().formatHex(bytes) + "]";
  }

  private static String describe(DepotEnvelope e) {
    assertThat(e.topic()).isEqualTo(TOPIC);
    assertThat(e.partition()).isZero();
    assertThat(e.timestampType()).isEqualTo(DepotEnvelope.TimestampType.CREATE_TIME);
    List<String> headers = new ArrayList<>();
    for (DepotEnvelope.Header h : e.headers()) {
      headers.add(h.key() + "=" + hex(h.value()));
    }
    return describe(e.offset(), e.timestamp(), e.key(), e.value(), headers);
  }

  private static String describe(ProducerRecord<byte[], byte[]> r, long offset) {
    List<String> headers = new ArrayList<>();
    for (Header h : r.headers()) {
      headers.add(h.key() + "=" + hex(h.value()));
    }
    return describe(offset, r.timestamp(), r.key(), r.value(), headers);
  }

  private static List<Future<RecordMetadata>> send(
      KafkaProducer<byte[], byte[]> producer, List<ProducerRecord<byte[], byte[]>> records) {
    List<Future<RecordMetadata>> sends = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> r : records) {
      sends.add(producer.send(r));
    }
    return sends;
  }

  private static long offset(Future<RecordMetadata> send) throws Exception {
    return send.get(ConnectSupport.WAIT.toSeconds(), TimeUnit.SECONDS).offset();
  }

  @Test
  void theSampleConfigStoresHeadersKeysValuesAndTimestampsByteForByte() throws Exception {
    Map<String, String> config =
        ConnectSupport.sampleConfig(Map.of("depot.path", depot.toString()));
    assertThat(config)
        .containsEntry("header.converter", "org.apache.kafka.connect.converters.ByteArrayConverter")
        .containsEntry("consumer.override.isolation.level", "read_committed")
        .containsEntry("topics", "readings,readings-unique")
        .containsEntry("tasks.max", "2");
    connect.configureConnector("sample", config);
    awaitSettled("sample", 2);

    Map<String, Object> producerConfig = new HashMap<>();
    producerConfig.put("bootstrap.servers", connect.kafka().bootstrapServers());
    producerConfig.put("transactional.id", "depot-headers-it");
    producerConfig.put("key.serializer", ByteArraySerializer.class.getName());
    producerConfig.put("value.serializer", ByteArraySerializer.class.getName());
    List<String> expected = new ArrayList<>();
    long last;
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
      producer.initTransactions();
      producer.beginTransaction();
      List<ProducerRecord<byte[], byte[]>> first = hardCases("first");
      List<Future<RecordMetadata>> firstSends = send(producer, first);
      producer.commitTransaction();

      // an aborted transaction in the middle, as read_committed must drop it
      producer.beginTransaction();
      send(producer, hardCases("aborted"));
      producer.flush();
      producer.abortTransaction();

      producer.beginTransaction();
      List<ProducerRecord<byte[], byte[]>> second = hardCases("second");
      List<Future<RecordMetadata>> secondSends = send(producer, second);
      producer.commitTransaction();

      for (int i = 0; i < first.size(); i++) {
        expected.add(describe(first.get(i), offset(firstSends.get(i))));
      }
      for (int i = 0; i < second.size(); i++) {
        expected.add(describe(second.get(i), offset(secondSends.get(i))));
      }
      last = offset(secondSends.get(secondSends.size() - 1));
    }
    assertThat(readCommitted(last + 1))
        .as("what Kafka gives read_committed readers")
        .isEqualTo(expected);

    awaitCommitted(connect, "sample", TOPIC, 1, last + 1);

    List<String> stored = new ArrayList<>();
    for (DepotEnvelope e : ConnectSupport.stored(depot, TP)) {
      stored.add(describe(e));
    }
    assertThat(stored).containsExactlyElementsOf(expected);
    connect.deleteConnector("sample");
  }

  /** The records of TP up to {@code end}, as a read_committed consumer sees them. */
  private static List<String> readCommitted(long end) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", connect.kafka().bootstrapServers());
    props.put("isolation.level", "read_committed");
    props.put("key.deserializer", ByteArrayDeserializer.class.getName());
    props.put("value.deserializer", ByteArrayDeserializer.class.getName());
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      consumer.assign(List.of(TP));
      consumer.seekToBeginning(List.of(TP));
      long deadline = System.nanoTime() + ConnectSupport.WAIT.toNanos();
      while (consumer.position(TP) < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          List<String> headers = new ArrayList<>();
          for (Header h : r.headers()) {
            headers.add(h.key() + "=" + hex(h.value()));
          }
          out.add(describe(r.offset(), r.timestamp(), r.key(), r.value(), headers));
        }
      }
    }
    return out;
  }

  @Test
  void aParsingHeaderConverterInTheConnectorConfigIsRefusedWhenPosted() throws Exception {
    Map<String, String> config =
        ConnectSupport.sampleConfig(
            Map.of(
                "depot.path",
                depot.toString(),
                "header.converter",
                SimpleHeaderConverter.class.getName()));
    assertThatThrownBy(() -> connect.configureConnector("refused", config))
        .isInstanceOf(ConnectRestException.class)
        .hasMessageContaining(
            "header.converter=org.apache.kafka.connect.storage.SimpleHeaderConverter turns header"
                + " bytes into strings, numbers or other values")
        .hasMessageContaining(
            "Set header.converter=org.apache.kafka.connect.converters.ByteArrayConverter in the"
                + " connector config to store headers byte for byte, or"
                + " behavior.on.converted.headers=write to store them as converted.");
    assertThat(connect.connectors()).doesNotContain("refused");
  }

  /**
   * The sample config without its header.converter: the worker's SimpleHeaderConverter parses the
   * headers, which the sink sees only in the records it receives. It stores the records before the
   * first parsed header and fails there, naming the header, the record and the settings.
   */
  @Test
  void withTheWorkersParsingConverterTheTaskFailsAtTheFirstHeaderItParsed() throws Exception {
    Map<String, String> config =
        ConnectSupport.sampleConfig(
            Map.of("depot.path", depot.toString(), "topics", "parsed", "tasks.max", "1"));
    config.remove("header.converter");
    connect.configureConnector("parsed", config);
    awaitSettled("parsed", 1);
    try (KafkaProducer<byte[], byte[]> producer = ConnectSupport.producer(connect)) {
      List<Future<RecordMetadata>> sends =
          send(
              producer,
              List.of(
                  record("parsed", 10L, null, utf8("zero")),
                  record("parsed", 11L, null, utf8("one")),
                  record("parsed", 12L, null, utf8("two"), header("id", utf8("007"))),
                  record("parsed", 13L, null, utf8("three"))));
      for (Future<RecordMetadata> send : sends) {
        offset(send);
      }
    }
    String expected =
        "header 'id' of the record at topic parsed partition 0 offset 2 reached the sink as INT8,"
            + " not as the bytes Kafka holds: the header converter parsed it (header.converter;"
            + " SimpleHeaderConverter when neither the connector nor the worker config sets it) or"
            + " a transform set it; the bytes sent cannot be stored. Set"
            + " header.converter=org.apache.kafka.connect.converters.ByteArrayConverter in the"
            + " connector config to store headers byte for byte, or"
            + " behavior.on.converted.headers=write to store them as converted.";
    await(
        () ->
            "task failure naming the header; stored: "
                + ConnectSupport.stored(depot, new TopicPartition("parsed", 0)).size()
                + "; status: "
                + status("parsed"),
        () -> status("parsed").contains(expected));

    List<String> stored = new ArrayList<>();
    for (DepotEnvelope e : ConnectSupport.stored(depot, new TopicPartition("parsed", 0))) {
      stored.add(new String(e.value(), StandardCharsets.UTF_8));
    }
    assertThat(stored).containsExactly("zero", "one");
    connect.deleteConnector("parsed");
  }

  /**
   * Waits until the connector's consumer group is stable with {@code tasks} members, each with its
   * partitions: records produced after this reach their final owner, with no rebalance between.
   */
  private static void awaitSettled(String name, int tasks) {
    await(
        () ->
            "the consumer group of " + name + " stable with " + tasks + " members: " + status(name),
        () -> {
          try (Admin admin = connect.kafka().createAdminClient()) {
            ConsumerGroupDescription group =
                admin
                    .describeConsumerGroups(List.of("connect-" + name))
                    .describedGroups()
                    .get("connect-" + name)
                    .get();
            return group.groupState() == GroupState.STABLE
                && group.members().size() == tasks
                && group.members().stream()
                    .allMatch(m -> !m.assignment().topicPartitions().isEmpty());
          } catch (Exception e) {
            return false;
          }
        });
  }

  /** The tasks' states and failure traces. */
  private static String status(String name) {
    try {
      ConnectorStateInfo info = connect.connectorStatus(name);
      StringBuilder out = new StringBuilder(ConnectSupport.describe(info));
      for (ConnectorStateInfo.TaskState task : info.tasks()) {
        if (task.trace() != null) {
          out.append('\n').append(task.trace());
        }
      }
      return out.toString();
    } catch (RuntimeException e) {
      return "unknown (" + e + ")";
    }
  }
}
