package dev.depot.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.store.timekey.TimeKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KeyBlockTest {
  private final KeyBlock.Encoder encoder = new KeyBlock.Encoder();

  private List<TimeKey> roundTrip(List<TimeKey> keys) {
    int n = keys.size();
    long[] micros = new long[n + 1];
    long[] ids = new long[n + 1];
    boolean[] pick = new boolean[n + 1];
    for (int i = 0; i < n; i++) {
      micros[i] = keys.get(i).micros();
      ids[i] = keys.get(i).id();
      pick[i] = true;
    }
    micros[n] = 99; // a key not picked: not in the block
    byte[] value = encoder.encode(micros, ids, pick, n + 1, n);
    return KeyBlock.keysOf(encoder.key(), value);
  }

  @Test
  void decodesToTheKeysSortedByIdThenMicros() {
    Random random = new Random(1);
    for (int round = 0; round < 500; round++) {
      Set<TimeKey> keys = new LinkedHashSet<>();
      int n = 1 + random.nextInt(round % 4 == 2 ? 80 : 300); // case 2 has 90 keys in all
      while (keys.size() < n) {
        long micros =
            switch (round % 4) {
              case 0 -> random.nextLong();
              case 1 -> 1_700_000_000_000_000L + random.nextInt(1_000_000);
              case 2 ->
                  (random.nextBoolean() ? Long.MIN_VALUE : Long.MAX_VALUE - 5) + random.nextInt(5);
              default -> -1_000 + random.nextInt(2_000);
            };
        keys.add(TimeKey.of(micros, random.nextInt(3), random.nextInt(3)));
      }
      List<TimeKey> sorted = new ArrayList<>(keys);
      sorted.sort(
          (a, b) ->
              a.id() != b.id()
                  ? Long.compare(a.id(), b.id())
                  : Long.compare(a.micros(), b.micros()));
      assertThat(roundTrip(new ArrayList<>(keys))).containsExactlyElementsOf(sorted);
    }
  }

  @Test
  void aJitteryDeviceCostsUnderTwoBytesAKeyAndARegularOneAlmostNothing() {
    Random random = new Random(2);
    long[] micros = new long[500];
    long[] regular = new long[500];
    long[] ids = new long[500];
    boolean[] pick = new boolean[500];
    Arrays.fill(ids, TimeKey.of(0, 17, 3).id());
    Arrays.fill(pick, true);
    for (int i = 0; i < 500; i++) {
      micros[i] = 1_764_590_400_000_000L + i * 100_000L + random.nextInt(2_001) - 1_000;
      regular[i] = 1_764_590_400_000_000L + i * 100_000L;
    }
    assertThat(encoder.encode(micros, ids, pick, 500, 500).length).isLessThan(2 * 500);
    byte[] block = encoder.encode(regular, ids, pick, 500, 500);
    assertThat(block.length).isLessThan(30);
    // and it decodes: 500 keys from under 30 bytes (a check on the run length once refused it)
    List<TimeKey> keys = KeyBlock.keysOf(encoder.key(), block);
    assertThat(keys).hasSize(500);
    assertThat(keys.get(499)).isEqualTo(TimeKey.of(regular[499], 17, 3));
  }

  @Test
  void damagedBlocksFailInsteadOfDecodingToOtherKeys() {
    long[] micros = {1, 5, 9};
    long[] ids = {4, 4, 4};
    boolean[] pick = {true, true, true};
    byte[] value = encoder.encode(micros, ids, pick, 3, 3);
    for (int cut = 0; cut < value.length; cut++) {
      byte[] shorter = Arrays.copyOf(value, cut);
      assertThatThrownBy(() -> KeyBlock.keysOf(encoder.key(), shorter))
          .isInstanceOf(IllegalArgumentException.class);
    }
    byte[] longer = Arrays.copyOf(value, value.length + 1);
    assertThatThrownBy(() -> KeyBlock.keysOf(encoder.key(), longer))
        .hasMessageContaining("left over");
    assertThatThrownBy(() -> KeyBlock.keysOf(new byte[5], value))
        .hasMessageContaining("not a time-key changelog record");
  }
}
