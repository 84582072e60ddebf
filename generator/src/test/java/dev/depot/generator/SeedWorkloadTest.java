package dev.depot.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SeedWorkloadTest {
  private record Key(long micros, long id) {}

  @Test
  void batchesMarkedAsResentAreExactlyTheRepeatedReadings() {
    SeedWorkload workload = new SeedWorkload(7, 20, 2, 10.0, 50, 0.3, 0.0, 0, 1);
    long[] micros = new long[workload.batchKeys()];
    long[] ids = new long[workload.batchKeys()];
    Set<Key> seen = new HashSet<>();
    int resends = 0;
    for (int b = 0; b < 2_000; b++) {
      int n = workload.next(micros, ids);
      assertThat(n).isEqualTo(50);
      List<Key> batch = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        batch.add(new Key(micros[i], ids[i]));
      }
      if (workload.lastWasResend()) {
        resends++;
        assertThat(seen).as("a re-sent batch repeats readings sent before").containsAll(batch);
      } else {
        for (Key k : batch) {
          assertThat(seen.add(k)).as("a new batch holds only new readings: " + k).isTrue();
        }
      }
    }
    // 30 % of the new batches are chosen, and most come due within the run
    assertThat(resends).isBetween(300, 500);
  }

  @Test
  void reSentBatchesComeAtMostTheGivenDelayLater() {
    SeedWorkload workload = new SeedWorkload(7, 20, 2, 10.0, 10, 0.3, 0.0, 0, 1).withDelay(3);
    assertThat(workload.maxDelay()).isEqualTo(3);
    long[] micros = new long[10];
    long[] ids = new long[10];
    Map<Key, Integer> firstSent = new HashMap<>(); // a batch's first key -> its batch number
    int longest = 0;
    int resends = 0;
    for (int b = 0; b < 1_000; b++) {
      workload.next(micros, ids);
      Key first = new Key(micros[0], ids[0]);
      if (workload.lastWasResend()) {
        resends++;
        assertThat(firstSent).containsKey(first);
        longest = Math.max(longest, b - firstSent.get(first));
      } else {
        firstSent.put(first, b);
      }
    }
    assertThat(resends).isBetween(150, 300);
    // 1 to 3 batches later; one more when another due batch went first
    assertThat(longest).isBetween(1, 6);
  }

  @Test
  void theDefaultDelayIsFiftyBatches() {
    SeedWorkload workload = new SeedWorkload(7, 20, 2, 10.0, 10, 0.3, 0.0, 0, 1);
    assertThat(workload.maxDelay()).isEqualTo(SeedWorkload.DEFAULT_MAX_DELAY).isEqualTo(50);
    assertThatThrownBy(() -> workload.withDelay(0))
        .hasMessage("the delay must be at least 1 batch, was 0");
  }

  @Test
  void noDuplicateRateMeansNoRepeats() {
    SeedWorkload workload = new SeedWorkload(7, 10, 1, 10.0, 20, 0.0, 0.0, 0, 1);
    long[] micros = new long[20];
    long[] ids = new long[20];
    Set<Key> seen = new HashSet<>();
    for (int b = 0; b < 500; b++) {
      workload.next(micros, ids);
      assertThat(workload.lastWasResend()).isFalse();
      for (int i = 0; i < 20; i++) {
        assertThat(seen.add(new Key(micros[i], ids[i]))).isTrue();
      }
    }
  }

  @Test
  void readingsOfADeviceAreConsecutiveTicksWithItsUserAndDeviceInTheId() {
    SeedWorkload workload = new SeedWorkload(1, 3, 4, 10.0, 10, 0.0, 0.0, 0, 1);
    long[] micros = new long[10];
    long[] ids = new long[10];
    workload.next(micros, ids);
    for (int i = 1; i < 10; i++) {
      assertThat(micros[i] - micros[i - 1]).isEqualTo(100_000);
      assertThat(ids[i]).isEqualTo(ids[0]);
    }
    assertThat(ids[0] >>> 32).isBetween(0L, 2L);
    assertThat((int) ids[0]).isBetween(0, 3);
  }
}
