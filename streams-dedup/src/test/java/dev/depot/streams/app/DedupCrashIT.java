package dev.depot.streams.app;

import static dev.depot.streams.app.DedupCluster.T0;
import static dev.depot.streams.app.DedupCluster.assertEachKeyOnce;
import static dev.depot.streams.app.DedupCluster.await;
import static dev.depot.streams.app.DedupCluster.uploads;
import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.app.DedupCluster.Batch;
import dev.depot.streams.app.DedupCluster.Output;
import dev.depot.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Repeated SIGKILLs of an application instance (a child JVM) while production goes on, each
 * followed by a restart on the state directory the kill left, under each processing guarantee and
 * record layout (one reading per record, a batch of readings per record): under {@code
 * at_least_once} no reading is missing (repeats are counted and reported); under {@code
 * exactly_once_v2} none is missing and none is repeated, and a restarted store restores fewer
 * changelog records than it holds keys (it resumes from its own files). Then a store whose files
 * were damaged: it starts empty and is restored in full.
 */
class DedupCrashIT extends OnBroker {

  @TempDir Path stateDirs;

  private Map<String, String> overrides(String app, String guarantee, String in, String out) {
    Map<String, String> o = cluster.baseOverrides(app, stateDirs.resolve(app), in, out);
    o.put("processing.guarantee", guarantee);
    o.put("num.standby.replicas", "0");
    o.put("commit.interval.ms", guarantee.equals("at_least_once") ? "300" : "100");
    o.put("dedup.checkpoint.interval.ms", "200"); // checkpoints all through the run
    return o;
  }

  @ParameterizedTest(name = "{0}, {1} layout")
  @CsvSource({
    "at_least_once, reading",
    "exactly_once_v2, reading",
    "at_least_once, batch",
    "exactly_once_v2, batch"
  })
  void repeatedKillsLoseNoReading(String guarantee, String layout) throws Exception {
    String app = "crash-" + guarantee.replace('_', '-') + "-" + layout;
    String in = app + "-in";
    String out = app + "-out";
    cluster.createTopics(2, in, out);
    Map<String, String> overrides = overrides(app, guarantee, in, out);
    overrides.put("dedup.record.layout", layout);
    boolean batches = layout.equals("batch");
    Path log = LOGS.resolve(app + ".log");
    Set<TimeKey> expected = new HashSet<>();
    ChildJvm instance = DedupCluster.restartApp(overrides, log);
    try {
      for (int round = 0; round < 3; round++) {
        List<Batch> phase = uploads(8, 4, 4, 100, T0 + round * 4 * 100 * 100_000L);
        expected.addAll(DedupCluster.keysOf(phase));
        send(batches, in, phase);
        send(batches, in, everyNth(phase, 3));
        int target = expected.size() - DedupCluster.keysOf(phase).size() / 2;
        try (Output progress =
            cluster.new Output(DedupCluster::keysOfValue, out, IsolationLevel.READ_UNCOMMITTED)) {
          await(
              "output to pass " + target + " keys", () -> progress.poll().counts.size() >= target);
        }
        instance.kill(); // mid-stream: half of the round may be left
        send(batches, in, everyNth(phase, 2)); // production goes on while it is down
        instance = DedupCluster.restartApp(overrides, log);
      }
      try (Output output = cluster.settledOutput(app, in, out)) {
        assertThat(output.counts.keySet()).as("readings forwarded").isEqualTo(expected);
        if (guarantee.equals("exactly_once_v2")) {
          assertEachKeyOnce(output, expected);
        } else {
          System.err.printf(
              "at_least_once after 3 kills: %d readings, %d repeated in the output%n",
              expected.size(), output.repeated().size());
        }
      }
      assertThat(instance.logText()).contains("was not closed cleanly");

      // once more, killed, then restarted in this JVM to count what it restores
      instance.kill();
      KafkaStreams streams = DedupCluster.inProcess(DedupCluster.sampleConfig(overrides));
      RestoreCounter restores = new RestoreCounter();
      streams.setGlobalStateRestoreListener(restores);
      try {
        streams.start();
        DedupCluster.awaitRunning(streams);
        List<Batch> last = uploads(8, 4, 1, 100, T0 + 12 * 100 * 100_000L);
        expected.addAll(DedupCluster.keysOf(last));
        send(batches, in, last);
        try (Output output = cluster.settledOutput(app, in, out)) {
          assertThat(output.counts.keySet()).isEqualTo(expected);
          if (guarantee.equals("exactly_once_v2")) {
            assertEachKeyOnce(output, expected);
          }
        }
        assertThat(restores.total())
            .as("changelog records restored, against %d keys held", expected.size())
            .isLessThan(expected.size() / 2);
      } finally {
        DedupCluster.closeLeaving(streams);
      }
    } finally {
      instance.close();
    }
  }

  /** One record per reading, or one batch record per upload. */
  private static void send(boolean batches, String topic, List<Batch> uploads) {
    if (batches) {
      cluster.sendRecords(topic, uploads);
    } else {
      cluster.send(topic, uploads);
    }
  }

  @Test
  void aStoreWithDamagedFilesIsRestoredInFullAndStillDropsEveryRepeat() throws Exception {
    String app = "damaged-app";
    String in = app + "-in";
    String out = app + "-out";
    cluster.createTopics(2, in, out);
    Map<String, String> overrides = overrides(app, "exactly_once_v2", in, out);
    Path log = LOGS.resolve(app + ".log");
    List<Batch> first = uploads(8, 4, 4, 100, T0);
    Set<TimeKey> expected = new HashSet<>(DedupCluster.keysOf(first));
    try (ChildJvm instance = DedupCluster.restartApp(overrides, log)) {
      cluster.send(in, first);
      try (Output output = cluster.settledOutput(app, in, out)) {
        assertEachKeyOnce(output, expected);
      }
      instance.kill();
    }
    int damaged = 0;
    try (Stream<Path> files = Files.walk(stateDirs.resolve(app))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".tks")).toList()) {
        byte[] bytes = Files.readAllBytes(f);
        bytes[bytes.length - 5] ^= 0x5A;
        Files.write(f, bytes);
        damaged++;
      }
    }
    assertThat(damaged).as("segment files to damage").isPositive();

    KafkaStreams streams = DedupCluster.inProcess(DedupCluster.sampleConfig(overrides));
    RestoreCounter restores = new RestoreCounter();
    streams.setGlobalStateRestoreListener(restores);
    try {
      streams.start();
      DedupCluster.awaitRunning(streams);
      cluster.send(in, first); // all repeats
      List<Batch> later = uploads(8, 4, 1, 100, T0 + 4 * 100 * 100_000L);
      expected.addAll(DedupCluster.keysOf(later));
      cluster.send(in, later);
      try (Output output = cluster.settledOutput(app, in, out)) {
        assertEachKeyOnce(output, expected);
      }
      assertThat(restores.total()).isEqualTo(DedupCluster.keysOf(first).size());
    } finally {
      DedupCluster.closeLeaving(streams);
    }
  }
}
