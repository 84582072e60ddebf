package dev.depot.streams.app;

import static dev.depot.streams.app.DedupCluster.T0;
import static dev.depot.streams.app.DedupCluster.assertEachKeyOnce;
import static dev.depot.streams.app.DedupCluster.uploads;
import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.app.DedupCluster.Batch;
import dev.depot.streams.app.DedupCluster.Output;
import dev.depot.testing.TestFiles;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One instance of the dedup application in this JVM, stopped and started again: on intact files,
 * and on an emptied state directory that only the changelog can refill.
 */
class DedupRestoreIT extends OnBroker {

  @TempDir Path stateDir;

  /** Runs an instance until the input is settled, then closes it cleanly. */
  private RestoreCounter runOnce(
      Properties props, String in, String out, List<Batch> send, Set<TimeKey> expected) {
    KafkaStreams streams = DedupCluster.inProcess(props);
    RestoreCounter restores = new RestoreCounter();
    streams.setGlobalStateRestoreListener(restores);
    try {
      streams.start();
      DedupCluster.awaitRunning(streams);
      cluster.send(in, send);
      try (Output output = cluster.settledOutput(props.getProperty("application.id"), in, out)) {
        assertEachKeyOnce(output, expected);
      }
      return restores;
    } finally {
      DedupCluster.closeLeaving(streams);
    }
  }

  @Test
  void aCleanRestartOnIntactFilesRestoresNothingAndStillKnowsEveryKey() throws Exception {
    String app = "intact-app";
    cluster.createTopics(2, "intact-readings", "intact-unique");
    Properties props =
        DedupCluster.sampleConfig(
            cluster.baseOverrides(app, stateDir, "intact-readings", "intact-unique"));
    List<Batch> first = uploads(5, 4, 5, 100, T0);
    Set<TimeKey> expected = new HashSet<>(DedupCluster.keysOf(first));
    runOnce(props, "intact-readings", "intact-unique", first, expected);

    List<Batch> later = uploads(5, 4, 2, 100, T0 + 5 * 100 * 100_000L);
    expected.addAll(DedupCluster.keysOf(later));
    RestoreCounter restores =
        runOnce(
            props,
            "intact-readings",
            "intact-unique",
            Stream.concat(first.stream(), later.stream()).toList(),
            expected);
    assertThat(restores.total()).as("records restored on intact files").isZero();
  }

  @Test
  void aWipedStateDirectoryIsRestoredFromTheChangelogWithItsRetention() throws Exception {
    String app = "wiped-app";
    cluster.createTopics(2, "wiped-readings", "wiped-unique");
    Properties props =
        DedupCluster.sampleConfig(
            cluster.baseOverrides(app, stateDir, "wiped-readings", "wiped-unique"));
    List<Batch> first = uploads(5, 4, 5, 100, T0);
    Set<TimeKey> expected = new HashSet<>(DedupCluster.keysOf(first));
    runOnce(props, "wiped-readings", "wiped-unique", first, expected);

    String changelog = app + "-dedup-changelog";
    ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, changelog);
    Config config =
        cluster.admin().describeConfigs(List.of(topic)).all().get(1, TimeUnit.MINUTES).get(topic);
    // the sample config: retention 7 days, segments of 1 hour
    assertThat(config.get("cleanup.policy").value()).isEqualTo("delete");
    assertThat(config.get("retention.ms").value())
        .isEqualTo(Long.toString(7 * 86_400_000L + 3_600_000L));

    TestFiles.deleteTree(stateDir);
    assertThat(stateDir).doesNotExist();

    List<Batch> later = uploads(5, 4, 1, 100, T0 + 5 * 100 * 100_000L);
    expected.addAll(DedupCluster.keysOf(later));
    RestoreCounter restores =
        runOnce(
            props,
            "wiped-readings",
            "wiped-unique",
            Stream.concat(first.stream(), later.stream()).toList(),
            expected);
    assertThat(restores.total())
        .as("records restored from " + changelog)
        .isEqualTo(DedupCluster.keysOf(first).size());
    assertThat(Map.copyOf(restores.restored)).hasSize(2);
  }
}
