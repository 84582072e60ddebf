package dev.depot.streams.app;

import static dev.depot.streams.app.DedupCluster.APP_RUNNING;
import static dev.depot.streams.app.DedupCluster.T0;
import static dev.depot.streams.app.DedupCluster.WAIT;
import static dev.depot.streams.app.DedupCluster.assertEachKeyOnce;
import static dev.depot.streams.app.DedupCluster.await;
import static dev.depot.streams.app.DedupCluster.uploads;
import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.app.DedupCluster.Batch;
import dev.depot.streams.app.DedupCluster.Output;
import dev.depot.testing.ChildJvm;
import dev.depot.testing.TestFiles;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dedup application on batch records (dedup.record.layout=batch, JSON uploads of 100 readings)
 * under {@code exactly_once_v2} on a real broker: an instance SIGKILLed mid-stream and restarted,
 * and a wiped state directory restored from the key-block changelog. Counted per reading.
 */
class DedupBatchIT extends OnBroker {

  @TempDir Path stateDirs;

  private static Map<String, String> batchLayout(Map<String, String> overrides) {
    overrides.put("dedup.record.layout", "batch");
    return overrides;
  }

  /** Uploads that overlap earlier ones by half: partly new, partly repeats. */
  private static List<Batch> halfShifted(List<Batch> batches) {
    return batches.stream()
        .map(b -> new Batch(b.user(), b.device(), b.first() + b.size() / 2 * 100_000L, b.size()))
        .toList();
  }

  @Test
  void aKilledInstanceLosesNoReadingAndForwardsNoneTwice() throws Exception {
    String app = "batch-kill-app";
    String in = "batch-kill-readings";
    String out = "batch-kill-unique";
    cluster.createTopics(4, in, out);
    Map<String, String> a =
        batchLayout(cluster.baseOverrides(app, stateDirs.resolve("a"), in, out));
    Map<String, String> b =
        batchLayout(cluster.baseOverrides(app, stateDirs.resolve("b"), in, out));
    a.put("num.standby.replicas", "0");
    b.put("num.standby.replicas", "0");

    List<Batch> phase1 = uploads(10, 4, 10, 100, T0);
    List<Batch> phase2 = uploads(10, 4, 5, 100, T0 + 10 * 100 * 100_000L);
    Set<TimeKey> expected = new HashSet<>(DedupCluster.keysOf(phase1));

    ChildJvm first =
        DedupCluster.startApp(a, LOGS.resolve("batch-kill-a.log")).awaitLog(APP_RUNNING, WAIT);
    KafkaStreams second = DedupCluster.inProcess(DedupCluster.sampleConfig(b));
    try {
      second.start();
      cluster.awaitGroup(app, 2);
      DedupCluster.awaitRunning(second);

      cluster.sendRecords(in, phase1);
      cluster.sendRecords(in, everyNth(phase1, 3));
      cluster.sendRecords(in, halfShifted(everyNth(phase1, 4)));
      expected.addAll(DedupCluster.keysOf(halfShifted(everyNth(phase1, 4))));
      try (Output progress =
          cluster.new Output(DedupCluster::keysOfValue, out, IsolationLevel.READ_UNCOMMITTED)) {
        await(
            "output to reach a fifth of phase 1",
            () -> progress.poll().readings >= expected.size() / 5);
      }
      first.kill();

      cluster.sendRecords(in, phase2);
      cluster.sendRecords(in, everyNth(phase1, 2));
      cluster.sendRecords(in, halfShifted(everyNth(phase2, 3)));
      expected.addAll(DedupCluster.keysOf(phase2));
      expected.addAll(DedupCluster.keysOf(halfShifted(everyNth(phase2, 3))));
      try (Output output = cluster.settledOutput(app, in, out)) {
        assertEachKeyOnce(output, expected);
      }

      // A comes back on its killed state directory and B leaves: A must open the killed stores,
      // which Streams wipes and restores from the key blocks; then everything again is a repeat
      try (ChildJvm again = DedupCluster.startApp(a, LOGS.resolve("batch-kill-a.log"))) {
        again.awaitLog(APP_RUNNING, WAIT);
        DedupCluster.closeLeaving(second);
        cluster.awaitGroup(app, 1);
        await(
            "the restarted instance to find its killed stores",
            () -> again.logText().contains("was not closed cleanly"));
        cluster.sendRecords(in, phase1);
        cluster.sendRecords(in, phase2);
        try (Output output = cluster.settledOutput(app, in, out)) {
          assertEachKeyOnce(output, expected);
        }
      }
    } finally {
      DedupCluster.closeLeaving(second);
      first.close();
    }
  }

  @Test
  void aWipedStateDirectoryIsRestoredFromTheKeyBlocks() throws Exception {
    String app = "batch-wiped-app";
    String in = "batch-wiped-readings";
    String out = "batch-wiped-unique";
    cluster.createTopics(2, in, out);
    Path stateDir = stateDirs.resolve("wiped");
    Properties props =
        DedupCluster.sampleConfig(batchLayout(cluster.baseOverrides(app, stateDir, in, out)));
    List<Batch> first = uploads(5, 4, 5, 100, T0);
    Set<TimeKey> expected = new HashSet<>(DedupCluster.keysOf(first));
    runOnce(props, in, out, first, expected);

    TestFiles.deleteTree(stateDir);
    assertThat(stateDir).doesNotExist();

    List<Batch> later = uploads(5, 4, 1, 100, T0 + 5 * 100 * 100_000L);
    expected.addAll(DedupCluster.keysOf(later));
    RestoreCounter restores =
        runOnce(props, in, out, Stream.concat(first.stream(), later.stream()).toList(), expected);
    // one changelog record per forwarded upload, each holding its 100 keys
    assertThat(restores.total()).as("records restored").isEqualTo(first.size());
    assertThat(DedupCluster.keysOf(first)).hasSize(first.size() * 100);
  }

  private RestoreCounter runOnce(
      Properties props, String in, String out, List<Batch> send, Set<TimeKey> expected) {
    KafkaStreams streams = DedupCluster.inProcess(props);
    RestoreCounter restores = new RestoreCounter();
    streams.setGlobalStateRestoreListener(restores);
    try {
      streams.start();
      DedupCluster.awaitRunning(streams);
      cluster.sendRecords(in, send);
      try (Output output = cluster.settledOutput(props.getProperty("application.id"), in, out)) {
        assertEachKeyOnce(output, expected);
        assertThat(output.records).isLessThan(output.readings);
      }
      return restores;
    } finally {
      DedupCluster.closeLeaving(streams);
    }
  }
}
