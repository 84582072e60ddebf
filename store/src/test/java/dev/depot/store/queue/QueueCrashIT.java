package dev.depot.store.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.depot.store.queue.Items.Read;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a writer process with SIGKILL at random moments, many times over the same queue: after
 * every reopen, every id the writer reported synced is there with its bytes, and the complete
 * records are exactly items 0..n-1 in order (nothing lost in the middle, nothing twice); and the
 * index files the killed writer left (written at rolls and syncs, maybe torn) never change where a
 * seek by tag, timestamp or id lands, read-only before recovery and in the recovered writer.
 */
class QueueCrashIT {
  private static final long SEED = 42;

  @TempDir Path dir;

  @Test
  void everyIdReportedSyncedSurvivesSigkill() {
    killRepeatedly("array");
  }

  @Test
  void everyIdReportedSyncedSurvivesSigkillWhenItemWritersAppend() {
    killRepeatedly("writer");
  }

  private void killRepeatedly(String mode) {
    Random random = new Random(SEED);
    Map<Long, Long> synced = new HashMap<>(); // id -> item index
    int rounds = 25;
    for (int round = 0; round < rounds; round++) {
      int syncEvery = 1 + random.nextInt(50);
      int killAfter = 1 + random.nextInt(40);
      assertTimeoutPreemptively(
          Duration.ofMinutes(2), () -> runAndKill(syncEvery, killAfter, synced, mode));
      try (DepotQueue queue = DepotQueue.builder(dir).readOnly(true).build()) {
        checkSeeks(queue, round);
      }
      try (DepotQueue queue = DepotQueue.open(dir)) {
        checkSeeks(queue, round);
        List<Read> reads = Items.readAll(queue, 0);
        Map<Long, byte[]> byId = new HashMap<>();
        long expectedIndex = 0;
        for (Read r : reads) {
          if (!r.complete()) {
            continue;
          }
          assertThat(Items.indexOf(r.item())).as("round %d", round).isEqualTo(expectedIndex);
          assertThat(r.item()).isEqualTo(Items.item(SEED, expectedIndex, 200));
          byId.put(r.id(), r.item());
          expectedIndex++;
        }
        try (DepotCursor cursor = queue.stream()) {
          DepotRecord record;
          while ((record = cursor.next()) != null) {
            if (record.complete()) {
              long index = Items.indexOf(record.item());
              assertThat(record.tag()).as("round %d, tag", round).isEqualTo(index);
              assertThat(record.timestamp()).as("round %d, timestamp", round).isEqualTo(10 * index);
            }
          }
        }
        for (Map.Entry<Long, Long> e : synced.entrySet()) {
          assertThat(byId.get(e.getKey()))
              .as("synced id %s of item %d", DepotIds.toString(e.getKey()), e.getValue())
              .isEqualTo(Items.item(SEED, e.getValue(), 200));
        }
      }
    }
    assertThat(synced.size()).isGreaterThanOrEqualTo(rounds);
  }

  /** Seeks to every 7th complete record by tag, timestamp and the id after the one before it. */
  private static void checkSeeks(DepotQueue queue, int round) {
    List<Read> reads = Items.readAll(queue, 0).stream().filter(Read::complete).toList();
    for (int i = 1; i < reads.size(); i += 7) {
      Read r = reads.get(i);
      long index = Items.indexOf(r.item());
      try (DepotCursor byTag = queue.streamFromTag(index);
          DepotCursor byTime = queue.streamFromTimestamp(10 * index - 5);
          DepotCursor byId = queue.stream(reads.get(i - 1).id() + 1)) {
        assertThat(byTag.next().id()).as("round %d, tag %d", round, index).isEqualTo(r.id());
        assertThat(byTime.next().id()).as("round %d, time %d", round, index).isEqualTo(r.id());
        DepotRecord next = byId.next();
        while (!next.complete()) {
          next = byId.next(); // a partial record the crash left between the two
        }
        assertThat(next.id()).as("round %d, id after %d", round, index - 1).isEqualTo(r.id());
      }
    }
  }

  private void runAndKill(int syncEvery, int killAfter, Map<Long, Long> synced, String mode)
      throws Exception {
    Process child =
        ChildJvm.start(
            CrashWriterMain.class,
            dir.toString(),
            Long.toString(SEED),
            Integer.toString(syncEvery),
            mode);
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      int seen = 0;
      String line;
      while (seen < killAfter && (line = out.readLine()) != null) {
        if (line.startsWith("synced ")) {
          String[] parts = line.split(" ");
          synced.put(Long.parseLong(parts[1]), Long.parseLong(parts[2]));
          seen++;
        }
      }
      assertThat(seen).as("syncs reported before the kill").isEqualTo(killAfter);
    } finally {
      child.destroyForcibly(); // SIGKILL on Linux
      child.waitFor();
    }
    assertThat(child.exitValue()).isEqualTo(137);
  }
}
