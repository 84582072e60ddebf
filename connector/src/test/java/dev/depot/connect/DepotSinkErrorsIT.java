package dev.depot.connect;

import static dev.depot.connect.ConnectSupport.awaitCommitted;
import static dev.depot.connect.ConnectSupport.stored;
import static dev.depot.connect.ConnectSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.envelope.DepotEnvelope;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfo;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Tombstones, bad records and bad configs, on a real worker. */
@Timeout(600)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DepotSinkErrorsIT {
  @TempDir Path depot;
  private EmbeddedConnectCluster connect;

  @BeforeAll
  void startCluster() {
    connect = ConnectSupport.cluster("depot-errors", 1, props -> {});
  }

  @AfterAll
  void stopCluster() {
    connect.stop();
  }

  private Map<String, String> config(String topic, String... overrides) throws Exception {
    Map<String, String> extra = new HashMap<>();
    extra.put("topics", topic);
    extra.put("depot.path", depot.toString());
    extra.put("tasks.max", "1");
    for (int i = 0; i < overrides.length; i += 2) {
      extra.put(overrides[i], overrides[i + 1]);
    }
    return ConnectSupport.sampleConfig(extra);
  }

  private void sendWithTombstone(String topic) {
    ConnectSupport.createTopic(connect, topic, 1);
    try (KafkaProducer<byte[], byte[]> producer = ConnectSupport.producer(connect)) {
      producer.send(new ProducerRecord<>(topic, 0, utf8("a"), utf8("first")));
      producer.send(new ProducerRecord<>(topic, 0, utf8("a"), null));
      producer.send(new ProducerRecord<>(topic, 0, utf8("b"), utf8("third")));
      producer.flush();
    }
  }

  @Test
  void tombstonesAreWrittenIgnoredOrFailTheTask() throws Exception {
    sendWithTombstone("nulls-write");
    connect.configureConnector("write", config("nulls-write"));
    awaitCommitted(connect, "write", "nulls-write", 1, 3);
    List<DepotEnvelope> written = stored(depot, new TopicPartition("nulls-write", 0));
    assertThat(written).extracting(DepotEnvelope::offset).containsExactly(0L, 1L, 2L);
    assertThat(written.get(1).value()).isNull();
    assertThat(written.get(1).key()).isEqualTo(utf8("a"));

    sendWithTombstone("nulls-ignore");
    connect.configureConnector(
        "ignore", config("nulls-ignore", "behavior.on.null.values", "ignore"));
    awaitCommitted(connect, "ignore", "nulls-ignore", 1, 3);
    assertThat(stored(depot, new TopicPartition("nulls-ignore", 0)))
        .extracting(DepotEnvelope::offset)
        .containsExactly(0L, 2L);

    sendWithTombstone("nulls-fail");
    connect.configureConnector("fail", config("nulls-fail", "behavior.on.null.values", "fail"));
    connect
        .assertions()
        .assertConnectorIsRunningAndTasksHaveFailed(
            "fail", 1, "the tombstone did not fail the task");
    String trace = connect.connectorStatus("fail").tasks().get(0).trace();
    assertThat(trace)
        .contains(
            "tombstone (null value) at topic nulls-fail partition 0 offset 1 and"
                + " behavior.on.null.values=fail");
    assertThat(stored(depot, new TopicPartition("nulls-fail", 0)))
        .extracting(DepotEnvelope::offset)
        .containsExactly(0L);
  }

  @Test
  void aRecordTooLargeForASegmentGoesToTheDeadLetterQueueOrFailsTheTask() throws Exception {
    for (String topic : new String[] {"large-dlq", "large-fail"}) {
      ConnectSupport.createTopic(connect, topic, 1);
      try (KafkaProducer<byte[], byte[]> producer = ConnectSupport.producer(connect)) {
        producer.send(new ProducerRecord<>(topic, 0, utf8("k"), utf8("small")));
        producer.send(new ProducerRecord<>(topic, 0, utf8("k"), new byte[6000]));
        producer.send(new ProducerRecord<>(topic, 0, utf8("k"), utf8("after")));
        producer.flush();
      }
    }
    connect.configureConnector(
        "dlq",
        config(
            "large-dlq",
            "depot.segment.bytes",
            "4096",
            "errors.tolerance",
            "all",
            "errors.deadletterqueue.topic.name",
            "depot-dlq",
            "errors.deadletterqueue.topic.replication.factor",
            "1",
            "errors.deadletterqueue.context.headers.enable",
            "true"));
    awaitCommitted(connect, "dlq", "large-dlq", 1, 3);
    assertThat(stored(depot, new TopicPartition("large-dlq", 0)))
        .extracting(e -> new String(e.value(), StandardCharsets.UTF_8))
        .containsExactly("small", "after");
    ConsumerRecords<byte[], byte[]> dead = connect.kafka().consume(1, 60_000, "depot-dlq");
    ConsumerRecord<byte[], byte[]> only = dead.iterator().next();
    assertThat(only.value()).hasSize(6000);
    String error =
        StreamSupport.stream(only.headers().spliterator(), false)
            .filter(h -> h.key().equals("__connect.errors.exception.message"))
            .map(h -> new String(h.value(), StandardCharsets.UTF_8))
            .findFirst()
            .orElseThrow();
    assertThat(error).contains("offset 1").contains("raise depot.segment.bytes");

    connect.configureConnector("strict", config("large-fail", "depot.segment.bytes", "4096"));
    connect
        .assertions()
        .assertConnectorIsRunningAndTasksHaveFailed("strict", 1, "the large record was accepted");
    assertThat(connect.connectorStatus("strict").tasks().get(0).trace())
        .contains("the record at topic large-fail partition 0 offset 1 takes ")
        .contains("raise depot.segment.bytes");
  }

  @Test
  void validationNamesTheKeyAndTheAllowedValues() throws Exception {
    Map<String, String> bad =
        config(
            "whatever",
            "depot.segment.bytes",
            "100",
            "depot.sync.policy",
            "sometimes",
            "depot.value.converter",
            "java.lang.String");
    bad.put("connector.class", DepotSinkConnector.class.getName());
    ConfigInfos infos =
        connect.validateConnectorConfig(DepotSinkConnector.class.getSimpleName(), bad);
    Map<String, List<String>> errors = new HashMap<>();
    for (ConfigInfo info : infos.configs()) {
      if (!info.configValue().errors().isEmpty()) {
        errors.put(info.configValue().name(), info.configValue().errors());
      }
    }
    assertThat(errors.get("depot.segment.bytes"))
        .containsExactly(
            "Invalid value 100 for configuration depot.segment.bytes: Value must be at least 4096");
    assertThat(errors.get("depot.sync.policy").get(0))
        .startsWith("Invalid value sometimes for configuration depot.sync.policy");
    assertThat(errors.get("depot.value.converter").get(0))
        .contains("must implement org.apache.kafka.connect.storage.Converter");
    assertThat(infos.errorCount()).isGreaterThanOrEqualTo(3);
  }
}
