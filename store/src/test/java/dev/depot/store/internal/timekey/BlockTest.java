package dev.depot.store.internal.timekey;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class BlockTest {
  private static long[] decode(Block block) {
    long[] out = new long[Block.MAX_KEYS];
    int n = block.decode(out);
    return Arrays.copyOf(out, n);
  }

  @Test
  void everyBucketRoundTripsIncludingExtremeDeltas() {
    long[] dods = {0, 1, -1, 63, -64, 64, -65, 2047, -2048, 2048, 524287, -524288, 524288};
    long ts = 1_700_000_000_000_000L;
    long delta = 100_000;
    long[] keys = new long[dods.length * 3 + 3];
    int n = 0;
    keys[n++] = ts;
    for (long dod : dods) {
      for (int rep = 0; rep < 3; rep++) {
        delta = Math.max(1, delta + dod);
        ts += delta;
        keys[n++] = ts;
      }
    }
    keys[n++] = ts + 1;
    keys[n++] = ts + (1L << 40); // a 64-bit delta-of-delta
    Block block = Block.encode(keys, 0, n);
    assertThat(block.count).isEqualTo(n);
    assertThat(block.first).isEqualTo(keys[0]);
    assertThat(block.last).isEqualTo(keys[n - 1]);
    assertThat(decode(block)).containsExactly(Arrays.copyOf(keys, n));
  }

  @Test
  void aRegularStreamCostsOneBitPerKey() {
    Block block = Block.starting(1_000_000);
    for (int i = 1; i < Block.MAX_KEYS; i++) {
      block.append(1_000_000 + i * 100_000L);
    }
    block.trim();
    // the first delta (100,000 from 0) takes the 24-bit bucket, then one bit per key
    assertThat(block.bitLength).isEqualTo(24 + (Block.MAX_KEYS - 2));
    assertThat(block.bits.length).isEqualTo((block.bitLength + 63) / 64);
    assertThat(block.full()).isTrue();
    long[] decoded = decode(block);
    for (int i = 0; i < decoded.length; i++) {
      assertThat(decoded[i]).isEqualTo(1_000_000 + i * 100_000L);
    }
  }

  @Test
  void randomSortedKeysRoundTripAndContainsAgrees() {
    Random random = new Random(3);
    for (int round = 0; round < 200; round++) {
      TreeSet<Long> set = new TreeSet<>();
      int size = 1 + random.nextInt(Block.MAX_KEYS);
      long base = random.nextInt(1 << 30) * 1000L;
      // dense (consecutive-ish) or sparse keys
      int spread = round % 3 == 0 ? 2 * size : 5_000_000;
      long step = round % 3 == 0 ? 1 : 1 + random.nextInt(1000);
      while (set.size() < size) {
        set.add(base + random.nextInt(spread) * step);
      }
      long[] keys = set.stream().mapToLong(Long::longValue).toArray();
      Block block = Block.encode(keys, 0, keys.length);
      assertThat(decode(block)).containsExactly(keys);
      long[] scratch = new long[Block.MAX_KEYS];
      for (int probe = 0; probe < 50; probe++) {
        long t = keys[random.nextInt(keys.length)] + (probe % 2 == 0 ? 0 : 1);
        assertThat(block.contains(t, scratch)).isEqualTo(set.contains(t));
      }
    }
  }
}
