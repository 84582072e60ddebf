package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.ConnectorTransactionBoundaries;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnectorContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DepotSourceConnectorTest {
  @TempDir Path root;
  private final DepotSourceConnector connector = new DepotSourceConnector();
  private final AtomicInteger reconfigurations = new AtomicInteger();

  @AfterEach
  void stop() {
    connector.stop();
  }

  private Map<String, String> props(String... keysAndValues) {
    return DepotProps.of(root, keysAndValues);
  }

  private void start(Map<String, String> props) {
    connector.initialize(
        new SourceConnectorContext() {
          @Override
          public OffsetStorageReader offsetStorageReader() {
            return null;
          }

          @Override
          public void requestTaskReconfiguration() {
            reconfigurations.incrementAndGet();
          }

          @Override
          public void raiseError(Exception e) {}

          @Override
          public PluginMetrics pluginMetrics() {
            return null;
          }
        });
    connector.start(props);
  }

  private void queue(String topic, int partition) throws Exception {
    Path dir = root.resolve(topic).resolve(Integer.toString(partition));
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("depot.format"), "envelope\n");
  }

  private static List<String> queuesOf(List<Map<String, String>> configs) {
    List<String> out = new ArrayList<>();
    for (Map<String, String> c : configs) {
      out.add(c.get(DepotSourceTask.QUEUES_CONFIG));
    }
    return out;
  }

  @Test
  void spreadsTheQueuesOverAtMostTasksMaxTasks() throws Exception {
    for (int p = 0; p < 3; p++) {
      queue("orders", p);
    }
    queue("audit", 0);
    queue("audit", 11);
    Files.createDirectories(root.resolve("audit").resolve("7")); // no depot.format yet: not a queue
    Files.createDirectories(root.resolve("audit").resolve("notes"));
    start(props("replay.stop", "never"));
    assertThat(queuesOf(connector.taskConfigs(2)))
        .containsExactly("audit/0,orders/0,orders/2", "audit/11,orders/1");
    assertThat(queuesOf(connector.taskConfigs(10)))
        .containsExactly("audit/0", "audit/11", "orders/0", "orders/1", "orders/2");
    assertThat(connector.taskConfigs(1).get(0))
        .containsEntry("replay.stop", "never")
        .containsEntry("depot.path", root.toString());
  }

  @Test
  void onlyTheTopicsNamedAndNoTaskForNoQueue() throws Exception {
    queue("orders", 0);
    queue("audit", 0);
    start(props("source.topics", "orders"));
    assertThat(queuesOf(connector.taskConfigs(4))).containsExactly("orders/0");
    connector.stop();
    start(props("source.topics", "missing"));
    assertThat(connector.taskConfigs(4)).isEmpty();
  }

  @Test
  void aQueueThatAppearsMakesTheWatcherAskForNewTaskConfigs() throws Exception {
    queue("orders", 0);
    start(props("depot.scan.interval.ms", "100"));
    assertThat(connector.taskConfigs(2)).hasSize(1);
    queue("orders", 1);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (reconfigurations.get() == 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
    assertThat(reconfigurations.get()).isEqualTo(1);
    assertThat(queuesOf(connector.taskConfigs(2))).containsExactly("orders/0", "orders/1");
  }

  @Test
  void aMissingOrNonDirectoryDepotPathFailsNamingItAndTheSetting() throws Exception {
    Path missing = root.resolve("nope");
    assertThatThrownBy(() -> start(props("depot.path", missing.toString())))
        .isInstanceOf(ConnectException.class)
        .hasMessage(
            "depot.path="
                + missing
                + " does not exist: set depot.path to the directory the depot sink writes (the"
                + " sink's depot.path)");
    Path file = Files.writeString(root.resolve("file"), "x");
    assertThatThrownBy(() -> start(props("depot.path", file.toString())))
        .isInstanceOf(ConnectException.class)
        .hasMessageStartingWith("depot.path=" + file + " is not a directory: set depot.path");
  }

  @Test
  void supportsExactlyOnceAndLeavesTransactionBoundariesToConnect() {
    assertThat(connector.exactlyOnceSupport(props())).isEqualTo(ExactlyOnceSupport.SUPPORTED);
    assertThat(connector.canDefineTransactionBoundaries(props()))
        .isEqualTo(ConnectorTransactionBoundaries.UNSUPPORTED);
  }

  @Test
  void validateReportsMissingCompanionsOnTheirKeys() {
    Config result =
        connector.validate(props("replay.start", "timestamp", "replay.stop", "timestamp"));
    Map<String, List<String>> errors = new HashMap<>();
    for (ConfigValue value : result.configValues()) {
      if (!value.errorMessages().isEmpty()) {
        errors.put(value.name(), value.errorMessages());
      }
    }
    assertThat(errors)
        .containsOnlyKeys("replay.start.timestamp", "replay.stop.timestamp")
        .containsEntry(
            "replay.start.timestamp",
            List.of(
                "replay.start=timestamp needs replay.start.timestamp (an ISO-8601 instant such as"
                    + " 2026-11-30T12:00:00Z)"));
    Config bad = connector.validate(props("replay.start.timestamp", "yesterday"));
    assertThat(
            bad.configValues().stream()
                .filter(v -> v.name().equals("replay.start.timestamp"))
                .findFirst()
                .orElseThrow()
                .errorMessages())
        .containsExactly(
            "Invalid value yesterday for configuration replay.start.timestamp: not an ISO-8601"
                + " instant with its offset, such as 2026-11-30T12:00:00Z");
  }

  @Test
  void acceptsOffsetResetsAndEditsNamingAQueueAndAnId() {
    Map<Map<String, ?>, Map<String, ?>> offsets = new HashMap<>();
    offsets.put(Map.of("queue", "orders/0"), null);
    offsets.put(Map.of("queue", "orders/1"), Map.of("id", 4_294_967_312L, "offset", 7L));
    assertThat(connector.alterOffsets(props(), offsets)).isTrue();
    assertThatThrownBy(
            () -> connector.alterOffsets(props(), Map.of(Map.of("topic", "orders"), Map.of())))
        .isInstanceOf(ConnectException.class)
        .hasMessage(
            "source partition {topic=orders} names no depot queue: expected {\"queue\":"
                + " \"<topic>/<partition>\"}");
    assertThatThrownBy(
            () ->
                connector.alterOffsets(
                    props(), Map.of(Map.of("queue", "orders/0"), Map.of("id", "12"))))
        .hasMessage(
            "source offset {id=12} of orders/0: 'id' must be a depot id, a number (as GET"
                + " /connectors/NAME/offsets shows it)");
  }
}
