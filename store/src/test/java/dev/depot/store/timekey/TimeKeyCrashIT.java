package dev.depot.store.timekey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.depot.store.queue.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills an inserting process with SIGKILL between (and during) checkpoints, many times: after
 * reopen the set holds every key of every batch before the last reported checkpoint, and every key
 * it holds is one the process inserted. Odd rounds use so many devices that one segment is larger
 * than the memory limit: streams are spilled and read back one by one between checkpoints, and
 * checkpoints write segments that are partly on disk.
 */
class TimeKeyCrashIT {
  @TempDir Path root;

  @Test
  void afterSigkillTheSetHoldsEverythingCheckpointedAndNothingNeverInserted() {
    Random random = new Random(99);
    for (int round = 0; round < 12; round++) {
      Path dir = root.resolve("round" + round);
      int devices = round % 2 == 0 ? CrashInserterMain.DEVICES : CrashInserterMain.MANY_DEVICES;
      int checkpointEvery = 1 + random.nextInt(30) * (devices / CrashInserterMain.DEVICES);
      int killAfterCheckpoints = 1 + random.nextInt(6);
      int[] progress = new int[2]; // last inserted, last checkpointed
      assertTimeoutPreemptively(
          Duration.ofMinutes(2),
          () -> runAndKill(dir, checkpointEvery, killAfterCheckpoints, devices, progress));
      int lastInserted = progress[0];
      int lastCheckpoint = progress[1];
      try (TimeKeyStreamSet set = TimeKeyStreamSet.builder().directory(dir).build()) {
        Set<TimeKey> checkpointed = new HashSet<>();
        for (int b = 0; b <= lastCheckpoint; b++) {
          checkpointed.addAll(CrashInserterMain.batch(b, devices));
        }
        for (TimeKey key : checkpointed) {
          assertThat(set.contains(key)).as("round %d: checkpointed %s", round, key).isTrue();
        }
        // Everything held is accounted for by batches the process had started to insert.
        Set<TimeKey> possible = new HashSet<>();
        for (int b = 0; b <= lastInserted + 1; b++) {
          possible.addAll(CrashInserterMain.batch(b, devices));
        }
        long held = possible.stream().filter(set::contains).count();
        assertThat(set.stats().keys()).as("round %d", round).isEqualTo(held);
        assertThat(held).isGreaterThanOrEqualTo(checkpointed.size());
        assertThat(set.contains(TimeKey.of(Workload.EPOCH + 1, 5, 999))).isFalse();
      }
    }
  }

  private static void runAndKill(
      Path dir, int checkpointEvery, int killAfterCheckpoints, int devices, int[] progress)
      throws Exception {
    Process child =
        ChildJvm.start(
            CrashInserterMain.class,
            dir.toString(),
            Integer.toString(checkpointEvery),
            Integer.toString(devices));
    progress[1] = -1;
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      int checkpoints = 0;
      String line;
      while (checkpoints < killAfterCheckpoints && (line = out.readLine()) != null) {
        checkpoints += record(line, progress);
      }
      assertThat(checkpoints).isEqualTo(killAfterCheckpoints);
      // The child is ahead of what was read: it dies mid-batch, mid-eviction or mid-checkpoint.
      // (SIGKILL through the handle, which, unlike Process.destroyForcibly, keeps stdout readable.)
      child.toHandle().destroyForcibly();
      child.waitFor();
      while ((line = out.readLine()) != null) {
        record(line, progress); // what it printed before it died
      }
    } finally {
      child.destroyForcibly();
      child.waitFor();
    }
  }

  /** Notes an {@code inserted b} or {@code checkpoint b} line; returns 1 for a checkpoint. */
  private static int record(String line, int[] progress) {
    int b = Integer.parseInt(line.substring(line.indexOf(' ') + 1));
    if (line.startsWith("inserted ")) {
      progress[0] = b;
      return 0;
    }
    progress[1] = b;
    return 1;
  }
}
