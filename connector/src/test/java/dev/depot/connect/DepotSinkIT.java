package dev.depot.connect;

import static dev.depot.connect.ConnectSupport.assertExactlyOnce;
import static dev.depot.connect.ConnectSupport.await;
import static dev.depot.connect.ConnectSupport.awaitCommitted;
import static dev.depot.connect.ConnectSupport.produce;
import static dev.depot.connect.ConnectSupport.storedCount;
import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.envelope.DepotEnvelope;
import jakarta.ws.rs.core.Response;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.apache.kafka.connect.util.clusters.WorkerHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The sink on a real broker and Connect worker: exactly once through restarts. */
@Timeout(600)
class DepotSinkIT {
  @TempDir Path depot;
  private EmbeddedConnectCluster connect;

  @BeforeEach
  void startCluster() {
    connect = ConnectSupport.cluster("depot-it", 1, props -> {});
  }

  @AfterEach
  void stopCluster() {
    connect.stop();
  }

  @Test
  void everyOffsetOfEveryPartitionLandsExactlyOnceInOrder() throws Exception {
    for (String topic : new String[] {"alpha", "beta", "gamma"}) {
      ConnectSupport.createTopic(connect, topic, 3);
    }
    try (KafkaProducer<byte[], byte[]> producer = ConnectSupport.producer(connect)) {
      for (String topic : new String[] {"alpha", "beta", "gamma"}) {
        produce(producer, topic, 3, 0, 400);
      }
    }
    // The sample connector config from config/, posted through the REST API.
    String body =
        ConnectSupport.sampleRequest(
            "depot-sink",
            Map.of("topics", "alpha,beta,gamma", "depot.path", depot.toString(), "tasks.max", "2"));
    Response response =
        connect.requestPost(connect.endpointForResource("connectors"), body, Map.of());
    assertThat(response.getStatus()).as(String.valueOf(response.getEntity())).isEqualTo(201);
    connect
        .assertions()
        .assertConnectorAndExactlyNumTasksAreRunning("depot-sink", 2, "connector did not start");
    for (String topic : new String[] {"alpha", "beta", "gamma"}) {
      awaitCommitted(connect, "depot-sink", topic, 3, 400);
    }
    for (String topic : new String[] {"alpha", "beta", "gamma"}) {
      assertExactlyOnce(depot, topic, 3, 400);
    }
    // The task's metrics reach the worker's JMX through pluginMetrics().
    assertThat(metricSum("depot-sink", "records-written-total")).isEqualTo(3600);
    assertThat(metricSum("depot-sink", "syncs-total")).isPositive();
    assertThat(metricSum("depot-sink", "last-synced-offset")).isEqualTo(9 * 399);
  }

  /** Sums an attribute over the MBeans the worker registered for a connector's task plugins. */
  private static double metricSum(String connector, String attribute) throws Exception {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    double sum = 0;
    int found = 0;
    for (ObjectName name : server.queryNames(new ObjectName("kafka.connect:*"), null)) {
      if (!name.getCanonicalName().contains(connector)) {
        continue;
      }
      for (MBeanAttributeInfo info : server.getMBeanInfo(name).getAttributes()) {
        if (info.getName().equals(attribute)) {

          sum += ((Number) server.getAttribute(name, attribute)).doubleValue();
          found++;
        }
      }
    }
    assertThat(found).as("MBeans with %s for %s", attribute, connector).isPositive();
    return sum;
  }

  @Test
  void restartingTheTaskTheConnectorAndTheWorkerMidStreamKeepsExactlyOnce() throws Exception {
    ConnectSupport.createTopic(connect, "events", 4);
    Map<String, String> config =
        ConnectSupport.sampleConfig(
            Map.of("topics", "events", "depot.path", depot.toString(), "tasks.max", "2"));
    int sent = 0;
    try (KafkaProducer<byte[], byte[]> producer = ConnectSupport.producer(connect)) {
      produce(producer, "events", 4, sent, 300);
      sent += 300;
      connect.configureConnector("sink", config);
      connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("sink", 2, "not started");

      // restart a task while records are still flowing
      produce(producer, "events", 4, sent, 300);
      sent += 300;
      await("some records stored", () -> storedCount(depot, "events", 4) > 0);
      connect.restartTask("sink", 0);
      connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("sink", 2, "no restart");

      // restart the connector and its tasks
      produce(producer, "events", 4, sent, 300);
      sent += 300;
      ConnectorStateInfo restarted = connect.restartConnectorAndTasks("sink", false, true, false);
      assertThat(restarted).isNotNull();
      connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("sink", 2, "no restart");

      // stop the worker and start another one in its place
      produce(producer, "events", 4, sent, 300);
      sent += 300;
      WorkerHandle only = connect.workers().iterator().next();
      connect.removeWorker(only);
      produce(producer, "events", 4, sent, 300);
      sent += 300;
      connect.addWorker();
      connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("sink", 2, "no worker");
      produce(producer, "events", 4, sent, 300);
      sent += 300;
    }
    awaitCommitted(connect, "sink", "events", 4, sent);
    assertExactlyOnce(depot, "events", 4, sent);
  }

  /**
   * A topic written by an exactly-once producer (as the dedup application writes its output) holds
   * records of aborted transactions; with the sample config they never reach the depot.
   */
  @Test
  void recordsOfAbortedTransactionsNeverReachTheDepot() throws Exception {
    ConnectSupport.createTopic(connect, "tx", 1);
    Map<String, Object> producerConfig =
        Map.of(
            "bootstrap.servers", connect.kafka().bootstrapServers(),
            "transactional.id", "depot-it-tx",
            "key.serializer", ByteArraySerializer.class.getName(),
            "value.serializer", ByteArraySerializer.class.getName());
    List<String> committed = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
      producer.initTransactions();
      for (int t = 0; t < 6; t++) {
        boolean commit = t % 2 == 0;
        producer.beginTransaction();
        for (int i = 0; i < 10; i++) {
          String value = (commit ? "committed-" : "aborted-") + t + "-" + i;
          producer.send(new ProducerRecord<>("tx", ConnectSupport.utf8(value)));
          if (commit) {
            committed.add(value);
          }
        }
        producer.flush();
        if (commit) {
          producer.commitTransaction();
        } else {
          producer.abortTransaction();
        }
      }
    }
    long end;
    try (Admin admin = connect.kafka().createAdminClient()) {
      TopicPartition tp = new TopicPartition("tx", 0);
      end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
    }
    assertThat(end).as("60 records and 6 transaction markers").isEqualTo(66);

    connect.configureConnector(
        "sink",
        ConnectSupport.sampleConfig(
            Map.of("topics", "tx", "depot.path", depot.toString(), "tasks.max", "1")));
    connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("sink", 1, "not started");
    // Connect commits the offset after the last record it delivered (53, of the third committed
    // transaction), not past the trailing aborted records and markers
    awaitCommitted(connect, "sink", "tx", 1, 54);

    List<String> stored = new ArrayList<>();
    for (DepotEnvelope e : ConnectSupport.stored(depot, new TopicPartition("tx", 0))) {
      stored.add(new String(e.value(), StandardCharsets.UTF_8));
    }
    assertThat(stored).containsExactlyElementsOf(committed);
  }
}
