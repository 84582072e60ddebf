package dev.depot.store.timekey;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.testing.powerloss.CrashPoints;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The time-key set under power cuts (a {@link dev.depot.testing.powerloss.PowerLossFileSystem}), at
 * every file operation of a workload that inserts, checkpoints, evicts (a memory limit smaller than
 * the set, so streams go through the spill log), expires, reopens with retention and inserts again:
 * after each cut the set opens, verifies, holds every key inserted before the last returned {@code
 * checkpoint()} (unless its expiry was asked for) and no key that was never inserted.
 */
class TimeKeyPowerLossTest {
  private static final Duration INTERVAL = Duration.ofSeconds(1);
  private static final int DEVICES = 200;

  @TempDir Path temp;

  /** Eviction logs each failure a power cut causes, with its stack: hundreds of them here. */
  private static final Logger ENGINE_LOG =
      Logger.getLogger("dev.depot.store.internal.timekey.TimeKeySetEngine");

  private static Level engineLevel;

  @BeforeAll
  static void quietEngine() {
    engineLevel = ENGINE_LOG.getLevel();
    ENGINE_LOG.setLevel(Level.OFF);
  }

  @AfterAll
  static void restoreEngineLog() {
    ENGINE_LOG.setLevel(engineLevel);
  }

  /** What the workload was promised. */
  static final class Promises {
    final Set<TimeKey> inserted = new HashSet<>(); // before the insert call
    final Set<TimeKey> checkpointed = new HashSet<>(); // after checkpoint() returned
    long mayVanishBelow = Long.MIN_VALUE; // before an expiry was asked for
    long newest = Long.MIN_VALUE;
    long evictions; // in the first session, for the test that the workload evicts
  }

  /** Batch {@code b}: every device's readings over 200 ms, 5 segments a second. */
  static List<TimeKey> batch(int b) {
    List<TimeKey> keys = new ArrayList<>();
    for (int d = 0; d < DEVICES; d++) {
      for (int j = 0; j < 4; j++) {
        keys.add(TimeKey.of(Workload.EPOCH + b * 200_000L + j * 50_000L + d * 3L, d % 7, d));
      }
    }
    return keys;
  }

  private static TimeKeyStreamSet.Builder builder(Path dir) {
    return TimeKeyStreamSet.builder()
        .directory(dir)
        .segmentInterval(INTERVAL)
        .memoryLimit(64 << 10);
  }

  private static void insert(TimeKeyStreamSet set, Promises p, int b) {
    List<TimeKey> keys = batch(b);
    p.inserted.addAll(keys);
    for (TimeKey key : keys) {
      p.newest = Math.max(p.newest, key.micros());
    }
    set.insert(keys);
  }

  private static void checkpoint(TimeKeyStreamSet set, Promises p) {
    set.checkpoint();
    p.checkpointed.addAll(p.inserted);
  }

  private static final CrashPoints.Scenario<Promises> WORKLOAD =
      new CrashPoints.Scenario<>() {
        @Override
        public void run(Path root, Promises p) {
          Path dir = root.resolve("data").resolve("set");
          int b = 0;
          try (TimeKeyStreamSet set = builder(dir).build()) {
            for (; b < 12; b++) {
              insert(set, p, b);
              if (b % 4 == 3) {
                checkpoint(set, p);
              }
            }
            p.evictions = set.stats().evictions();
            p.mayVanishBelow = Workload.EPOCH + 1_000_000L;
            set.expireBefore(Workload.EPOCH + 1_000_000L);
            insert(set, p, b++);
            insert(set, p, 3); // a late batch: all duplicates
            checkpoint(set, p);
          }
          p.checkpointed.addAll(p.inserted); // close() checkpoints
          p.mayVanishBelow = p.newest - 1_500_000L;
          try (TimeKeyStreamSet set = builder(dir).retention(Duration.ofMillis(1500)).build()) {
            insert(set, p, b++);
            insert(set, p, b++);
            checkpoint(set, p);
            insert(set, p, b++);
          }
        }

        @Override
        public void check(Path root, Promises p) {
          Path dir = root.resolve("data").resolve("set");
          try (TimeKeyStreamSet set = builder(dir).build()) {
            set.verify();
            // one batch of every key ever inserted: a duplicate is a key the set held
            long before = set.stats().keys();
            List<TimeKey> all = new ArrayList<>(p.inserted);
            Collections.sort(all);
            boolean[] isNew = set.insert(all);
            long held = 0;
            for (int i = 0; i < all.size(); i++) {
              TimeKey key = all.get(i);
              if (!isNew[i]) {
                held++;
              } else if (p.checkpointed.contains(key)
                  && key.micros() >= SegmentStart.of(p.mayVanishBelow)) {
                throw new AssertionError("checkpointed " + key + " is missing");
              }
            }
            assertThat(before).as("keys held, all of them inserted").isEqualTo(held);
            TimeKey fresh = TimeKey.of(Workload.EPOCH + 100_000_000L, 1, 1);
            assertThat(set.contains(fresh)).isFalse();
            set.insert(List.of(fresh));
            set.checkpoint();
          }
          try (TimeKeyStreamSet set = builder(dir).build()) {
            assertThat(set.contains(TimeKey.of(Workload.EPOCH + 100_000_000L, 1, 1))).isTrue();
          }
        }
      };

  /** Segment starts for a 1-second interval, as the set computes them for positive micros. */
  private static final class SegmentStart {
    static long of(long micros) {
      return micros == Long.MIN_VALUE ? micros : Math.floorDiv(micros, 1_000_000L) * 1_000_000L;
    }
  }

  @Test
  void theWorkloadEvictsStreamsThroughTheSpillLog() throws Exception {
    Promises p = new Promises();
    WORKLOAD.run(temp, p);
    assertThat(p.evictions).isPositive();
    WORKLOAD.check(temp, p);
  }

  @Test
  void everyCheckpointedKeySurvivesAPowerCutAtEveryOperation() throws Exception {
    CrashPoints.Result result =
        CrashPoints.builder("time-key set", temp)
            .maxPoints(400)
            .seed(11)
            .run(Promises::new, WORKLOAD);
    System.err.println("time-key set power-loss: " + result);
    assertThat(result.points()).isGreaterThan(50);
  }
}
