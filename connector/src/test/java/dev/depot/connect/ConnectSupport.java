package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

/** Shared helpers of the connector's integration tests: a real broker and Connect workers. */
final class ConnectSupport {
  static final Duration WAIT = Duration.ofSeconds(120);
  private static final ObjectMapper JSON = new ObjectMapper();

  private ConnectSupport() {}

  /** A Connect cluster with one broker, ready for the sink (internal topics at RF 1). */
  static EmbeddedConnectCluster cluster(
      String name, int workers, Consumer<Map<String, String>> extra) {
    Map<String, String> workerProps = new HashMap<>(); // must be mutable
    workerProps.put("plugin.discovery", "service_load");
    workerProps.put("offset.flush.interval.ms", "500");
    // A worker that misses a rebalance on these busy 2 cores counts as lost, and its connector and
    // tasks wait scheduled.rebalance.max.delay.ms (5 minutes by default) for it to come back: keep
    // that short, so tests see the reassignment instead of timing out (DepotSinkRebalanceIT did).
    workerProps.put("scheduled.rebalance.max.delay.ms", "5000");
    extra.accept(workerProps);
    Properties brokerProps = new Properties();
    brokerProps.put("offsets.topic.replication.factor", "1");
    brokerProps.put("transaction.state.log.replication.factor", "1");
    brokerProps.put("transaction.state.log.min.isr", "1");
    brokerProps.put("group.initial.rebalance.delay.ms", "0");
    EmbeddedConnectCluster connect =
        new EmbeddedConnectCluster.Builder()
            .name(name)
            .numWorkers(workers)
            .workerProps(workerProps)
            .brokerProps(brokerProps)
            .build();
    connect.start();
    return connect;
  }

  /** The connector config of {@code config/depot-sink.json}, with the given overrides. */
  static Map<String, String> sampleConfig(Map<String, String> overrides) throws IOException {
    JsonNode config = sampleJson().get("config");
    Map<String, String> out = new HashMap<>();
    config.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    out.putAll(overrides);
    return out;
  }

  /** {@code config/depot-sink.json} as posted to {@code POST /connectors}, with overrides. */
  static String sampleRequest(String name, Map<String, String> overrides) throws IOException {
    ObjectNode body = (ObjectNode) sampleJson();
    body.put("name", name);
    ObjectNode config = (ObjectNode) body.get("config");
    overrides.forEach(config::put);
    return JSON.writeValueAsString(body);
  }

  private static JsonNode sampleJson() throws IOException {
    Path file = Path.of(System.getProperty("depot.config.dir", "../config"), "depot-sink.json");
    return JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
  }

  static KafkaProducer<byte[], byte[]> producer(EmbeddedConnectCluster connect) {
    return connect.kafka().createProducer(Map.of("acks", "all", "linger.ms", "5"));
  }

  /**
   * Sends {@code count} records to each partition: key "p-i", value "topic/p/i", in order, and
   * fails unless every one was written.
   */
  static void produce(
      KafkaProducer<byte[], byte[]> producer, String topic, int partitions, int from, int count) {
    List<Future<RecordMetadata>> sends = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      for (int p = 0; p < partitions; p++) {
        sends.add(
            producer.send(
                new ProducerRecord<>(
                    topic, p, utf8(p + "-" + i), utf8(topic + "/" + p + "/" + i))));
      }
    }
    producer.flush();
    for (Future<RecordMetadata> send : sends) {
      try {
        send.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("could not produce to " + topic + ": " + e, e);
      }
    }
  }

  /**
   * Creates a topic and waits until every partition has a leader: producing into a partition whose
   * leader is still being elected can leave an idempotent producer retrying a batch forever.
   */
  static void createTopic(EmbeddedConnectCluster connect, String topic, int partitions) {
    createTopic(connect, topic, partitions, Map.of());
  }

  /** {@link #createTopic(EmbeddedConnectCluster, String, int)} with topic configs. */
  static void createTopic(
      EmbeddedConnectCluster connect, String topic, int partitions, Map<String, String> configs) {
    connect.kafka().createTopic(topic, partitions, 1, configs);
    await(
        "leaders for " + topic,
        () -> {
          try (Admin admin = connect.kafka().createAdminClient()) {
            return admin
                .describeTopics(List.of(topic))
                .allTopicNames()
                .get()
                .get(topic)
                .partitions()
                .stream()
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
          } catch (Exception e) {
            return false;
          }
        });
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The complete records of a partition's queue, decoded, or an empty list. */
  static List<DepotEnvelope> stored(Path depot, TopicPartition tp) {
    Path dir = depot.resolve(tp.topic()).resolve(Integer.toString(tp.partition()));
    List<DepotEnvelope> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DepotQueue queue = DepotQueue.builder(dir).readOnly(true).build();
        DepotCursor cursor = queue.stream()) {
      DepotRecord r;
      while ((r = cursor.next()) != null) {
        if (r.complete()) {
          DepotEnvelope e = EnvelopeCodec.decode(r.item());
          assertThat(r.tag()).as("tag of %s", e).isEqualTo(e.offset());
          out.add(e);
        }
      }
    }
    return out;
  }

  /**
   * Asserts that each partition's queue holds offsets 0..count-1 exactly once, in order, each with
   * the value {@link #produce} sent.
   */
  static void assertExactlyOnce(Path depot, String topic, int partitions, int count) {
    for (int p = 0; p < partitions; p++) {
      List<DepotEnvelope> stored = stored(depot, new TopicPartition(topic, p));
      assertThat(stored).as("records of %s-%d", topic, p).hasSize(count);
      for (int i = 0; i < count; i++) {
        DepotEnvelope e = stored.get(i);
        assertThat(e.offset()).as("offset %d of %s-%d", i, topic, p).isEqualTo(i);
        assertThat(new String(e.value(), StandardCharsets.UTF_8))
            .isEqualTo(topic + "/" + p + "/" + i);
        assertThat(new String(e.key(), StandardCharsets.UTF_8)).isEqualTo(p + "-" + i);
      }
    }
  }

  static int storedCount(Path depot, String topic, int partitions) {
    int n = 0;
    for (int p = 0; p < partitions; p++) {
      n += stored(depot, new TopicPartition(topic, p)).size();
    }
    return n;
  }

  /** The sink's committed offsets (its consumer group {@code connect-NAME}). */
  static Map<TopicPartition, OffsetAndMetadata> committed(
      EmbeddedConnectCluster connect, String name) throws Exception {
    try (Admin admin = connect.kafka().createAdminClient()) {
      return admin
          .listConsumerGroupOffsets("connect-" + name)
          .partitionsToOffsetAndMetadata()
          .get();
    }
  }

  /** Waits until every partition of {@code topic} has its committed offset at {@code count}. */
  static void awaitCommitted(
      EmbeddedConnectCluster connect, String name, String topic, int partitions, long count) {
    await(
        () -> {
          String status;
          try {
            status = describe(connect.connectorStatus(name));
          } catch (RuntimeException e) {
            status = "unknown (" + e + ")";
          }
          String offsets;
          try {
            offsets = String.valueOf(committed(connect, name));
          } catch (Exception e) {
            offsets = "unknown (" + e + ")";
          }
          return "offsets of "
              + topic
              + " committed up to "
              + count
              + "; committed: "
              + offsets
              + "; connector status: "
              + status;
        },
        () -> {
          try {
            Map<TopicPartition, OffsetAndMetadata> offsets = committed(connect, name);
            for (int p = 0; p < partitions; p++) {
              OffsetAndMetadata o = offsets.get(new TopicPartition(topic, p));
              if (o == null || o.offset() < count) {
                return false;
              }
            }
            return true;
          } catch (Exception e) {
            return false;
          }
        });
  }

  /** The connector's and its tasks' states, and the first line of any task's failure. */
  static String describe(ConnectorStateInfo info) {
    StringBuilder out = new StringBuilder("connector " + info.connector().state());
    for (ConnectorStateInfo.TaskState task : info.tasks()) {
      out.append(", task ").append(task.id()).append(' ').append(task.state());
      out.append(" on ").append(task.workerId());
      if (task.trace() != null) {
        out.append(" (").append(task.trace().lines().findFirst().orElse("")).append(')');
      }
    }
    return out.toString();
  }

  static void await(String what, BooleanSupplier condition) {
    await(() -> what, condition);
  }

  /** Waits for {@code condition}; {@code what} describes it, and the state, when it times out. */
  static void await(Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out after " + WAIT + " waiting for " + what.get());
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }
}
