package dev.depot.store.internal.timekey;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LongObjectMapTest {
  @Test
  void behavesLikeAHashMapThroughGrowthAndRemovals() {
    LongObjectMap<String> map = new LongObjectMap<>();
    Map<Long, String> oracle = new HashMap<>();
    Random random = new Random(5);
    for (int i = 0; i < 50_000; i++) {
      long key = random.nextInt(3000) * 0x1_0000_0001L; // collide in the low bits
      switch (random.nextInt(3)) {
        case 0 -> {
          map.putValue(key, "v" + i);
          oracle.put(key, "v" + i);
        }
        case 1 -> {
          map.remove(key);
          oracle.remove(key);
        }
        default -> {
          String made = map.computeIfAbsent(key, k -> "c" + k);
          assertThat(made).isEqualTo(oracle.computeIfAbsent(key, k -> "c" + k));
        }
      }
      long probe = random.nextInt(3000) * 0x1_0000_0001L;
      assertThat(map.get(probe)).isEqualTo(oracle.get(probe));
    }
    assertThat(map.size()).isEqualTo(oracle.size());
    assertThat(map.values()).containsExactlyInAnyOrderElementsOf(oracle.values());
  }
}
