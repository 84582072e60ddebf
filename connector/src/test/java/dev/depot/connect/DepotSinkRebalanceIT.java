package dev.depot.connect;

import static dev.depot.connect.ConnectSupport.assertExactlyOnce;
import static dev.depot.connect.ConnectSupport.await;
import static dev.depot.connect.ConnectSupport.awaitCommitted;
import static dev.depot.connect.ConnectSupport.produce;
import static dev.depot.connect.ConnectSupport.storedCount;

import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.apache.kafka.connect.util.clusters.WorkerHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two workers sharing a depot directory (as workers sharing a volume would): tasks move between
 * workers as workers join and leave mid-stream, and each partition's queue changes hands.
 */
@Timeout(600)
class DepotSinkRebalanceIT {
  @TempDir Path depot;
  private EmbeddedConnectCluster connect;

  @BeforeEach
  void startCluster() {
    connect = ConnectSupport.cluster("depot-rebalance", 2, props -> {});
  }

  @AfterEach
  void stopCluster() {
    connect.stop();
  }

  @Test
  void aRebalanceMidStreamKeepsExactlyOnce() throws Exception {
    ConnectSupport.createTopic(connect, "moving", 6);
    connect.configureConnector(
        "sink",
        ConnectSupport.sampleConfig(
            Map.of("topics", "moving", "depot.path", depot.toString(), "tasks.max", "2")));
    connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("sink", 2, "not started");
    int sent = 0;
    try (KafkaProducer<byte[], byte[]> producer = ConnectSupport.producer(connect)) {
      produce(producer, "moving", 6, sent, 400);
      sent += 400;
      await("some records stored", () -> storedCount(depot, "moving", 6) > 0);

      WorkerHandle third = connect.addWorker(); // tasks rebalance onto three workers
      produce(producer, "moving", 6, sent, 400);
      sent += 400;
      connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("sink", 2, "no rebalance");

      WorkerHandle first = connect.workers().stream().filter(w -> w != third).findFirst().get();
      connect.removeWorker(first); // and back onto two, while records keep coming
      produce(producer, "moving", 6, sent, 400);
      sent += 400;
      connect.assertions().assertConnectorAndExactlyNumTasksAreRunning("sink", 2, "no rebalance");
      produce(producer, "moving", 6, sent, 400);
      sent += 400;
    }
    awaitCommitted(connect, "sink", "moving", 6, sent);
    assertExactlyOnce(depot, "moving", 6, sent);
  }
}
