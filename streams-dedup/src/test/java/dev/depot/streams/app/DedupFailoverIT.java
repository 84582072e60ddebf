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
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StandbyUpdateListener;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances of the dedup application under {@code exactly_once_v2} on a real broker: one is a
 * child JVM that the test kills with SIGKILL, the other runs in this JVM where the test can watch
 * its restores and standbys.
 */
class DedupFailoverIT extends OnBroker {

  @TempDir Path stateDirs;

  @Test
  void aKilledInstanceLosesNothingAndForwardsNothingTwice() throws Exception {
    String app = "kill-app";
    String in = "kill-readings";
    String out = "kill-unique";
    cluster.createTopics(4, in, out);
    Map<String, String> a = cluster.baseOverrides(app, stateDirs.resolve("a"), in, out);
    Map<String, String> b = cluster.baseOverrides(app, stateDirs.resolve("b"), in, out);
    a.put("num.standby.replicas", "0");
    b.put("num.standby.replicas", "0");

    List<Batch> phase1 = uploads(10, 4, 10, 100, T0); // 40 devices x 10 uploads of 100
    List<Batch> phase2 = uploads(10, 4, 5, 100, T0 + 10 * 100 * 100_000L);
    List<Batch> phase3 = uploads(10, 4, 2, 100, T0 + 15 * 100 * 100_000L);
    Set<TimeKey> expected = new HashSet<>(DedupCluster.keysOf(phase1));

    ChildJvm first =
        DedupCluster.startApp(a, LOGS.resolve("failover-a.log")).awaitLog(APP_RUNNING, WAIT);
    KafkaStreams second = DedupCluster.inProcess(DedupCluster.sampleConfig(b));
    try {
      second.start();
      cluster.awaitGroup(app, 2);
      DedupCluster.awaitRunning(second);

      // phase 1 with a third of it re-sent, and A killed while it is working through it
      cluster.send(in, phase1);
      cluster.send(in, everyNth(phase1, 3));
      try (Output progress = cluster.new Output(out, IsolationLevel.READ_UNCOMMITTED)) {
        await(
            "output to reach a fifth of phase 1",
            () -> progress.poll().records >= expected.size() / 5);
      }
      first.kill();

      // keep producing: phase 2, and phase 1 re-sent again across the kill
      cluster.send(in, phase2);
      cluster.send(in, everyNth(phase1, 2));
      cluster.send(in, everyNth(phase2, 4));
      expected.addAll(DedupCluster.keysOf(phase2));
      try (Output output = cluster.settledOutput(app, in, out)) {
        assertEachKeyOnce(output, expected);
      }

      // A comes back on the state directory the kill left, and B leaves, so that A must open
      // every task, its killed stores among them: they were not closed cleanly, so they report no
      // offsets and Streams wipes and restores them
      try (ChildJvm again = DedupCluster.startApp(a, LOGS.resolve("failover-a.log"))) {
        again.awaitLog(APP_RUNNING, WAIT);
        DedupCluster.closeLeaving(second);
        cluster.awaitGroup(app, 1);
        await(
            "the restarted instance to find its killed stores",
            () -> again.logText().contains("was not closed cleanly"));
        cluster.send(in, phase1); // everything once more: all repeats
        cluster.send(in, phase2);
        cluster.send(in, phase3);
        cluster.send(in, everyNth(phase3, 2));
        expected.addAll(DedupCluster.keysOf(phase3));
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
  void aStandbyTakesOverWithoutRestoringAndKeepsDroppingRepeats() throws Exception {
    String app = "standby-app";
    String in = "standby-readings";
    String out = "standby-unique";
    cluster.createTopics(2, in, out);
    Map<String, String> a = cluster.baseOverrides(app, stateDirs.resolve("a"), in, out);
    Map<String, String> b = cluster.baseOverrides(app, stateDirs.resolve("b"), in, out);
    a.put("num.standby.replicas", "1");
    b.put("num.standby.replicas", "1");
    String changelog = app + "-dedup-changelog";

    Map<TopicPartition, Long> standbyLoaded = new ConcurrentHashMap<>();
    RestoreCounter restores = new RestoreCounter();
    List<Batch> before = uploads(5, 4, 6, 100, T0);
    List<Batch> after = uploads(5, 4, 2, 100, T0 + 6 * 100 * 100_000L);
    Set<TimeKey> expected = new HashSet<>(DedupCluster.keysOf(before));

    ChildJvm first =
        DedupCluster.startApp(a, LOGS.resolve("standby-a.log")).awaitLog(APP_RUNNING, WAIT);
    KafkaStreams second = DedupCluster.inProcess(DedupCluster.sampleConfig(b));
    second.setStandbyUpdateListener(new StandbyCounter(standbyLoaded));
    second.setGlobalStateRestoreListener(restores);
    try {
      second.start();
      cluster.awaitGroup(app, 2);
      DedupCluster.awaitRunning(second);
      Set<TaskId> standbys = standbyTasks(second);
      assertThat(standbys).as("standby tasks of the in-process instance").isNotEmpty();

      cluster.send(in, before);
      cluster.send(in, everyNth(before, 2));
      try (Output output = cluster.settledOutput(app, in, out)) {
        assertEachKeyOnce(output, expected);
      }
      // the standbys hold every key of their partitions before A goes
      Map<TopicPartition, Long> keysPerChangelog = new ConcurrentHashMap<>();
      for (TaskId task : standbys) {
        TopicPartition partition = new TopicPartition(changelog, task.partition());
        keysPerChangelog.put(partition, cluster.count(partition));
      }
      assertThat(keysPerChangelog.values()).allMatch(n -> n > 0);
      await(
          "the standbys to load their changelogs " + keysPerChangelog,
          () ->
              keysPerChangelog.entrySet().stream()
                  .allMatch(e -> standbyLoaded.getOrDefault(e.getKey(), 0L) >= e.getValue()));
      restores.restored.clear();

      first.kill();
      await(
          "the in-process instance to take over " + standbys,
          () -> activeTasks(second).containsAll(standbys));
      cluster.send(in, before); // all repeats, now decided by the promoted standbys
      cluster.send(in, after);
      expected.addAll(DedupCluster.keysOf(after));
      try (Output output = cluster.settledOutput(app, in, out)) {
        assertEachKeyOnce(output, expected);
      }
      for (TopicPartition partition : keysPerChangelog.keySet()) {
        assertThat(restores.restored.getOrDefault(partition, 0L))
            .as("records restored into the promoted standby of %s", partition)
            .isZero();
      }
    } finally {
      DedupCluster.closeLeaving(second);
      first.close();
    }
  }

  private static Set<TaskId> standbyTasks(KafkaStreams streams) {
    return streams.metadataForLocalThreads().stream()
        .flatMap(t -> t.standbyTasks().stream())
        .map(t -> t.taskId())
        .collect(Collectors.toSet());
  }

  private static Set<TaskId> activeTasks(KafkaStreams streams) {
    return streams.metadataForLocalThreads().stream()
        .flatMap(t -> t.activeTasks().stream())
        .map(t -> t.taskId())
        .collect(Collectors.toSet());
  }

  /** Counts the records each standby loads, per changelog partition. */
  private static final class StandbyCounter implements StandbyUpdateListener {
    private final Map<TopicPartition, Long> loaded;

    StandbyCounter(Map<TopicPartition, Long> loaded) {
      this.loaded = loaded;
    }

    @Override
    public void onUpdateStart(TopicPartition partition, String store, long startingOffset) {}

    @Override
    public void onBatchLoaded(
        TopicPartition partition,
        String store,
        TaskId task,
        long batchEndOffset,
        long batchSize,
        long currentEndOffset) {
      loaded.merge(partition, batchSize, Long::sum);
    }

    @Override
    public void onUpdateSuspended(
        TopicPartition partition,
        String store,
        long storeOffset,
        long currentEndOffset,
        SuspendReason reason) {}
  }
}
