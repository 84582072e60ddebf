package dev.depot.store.internal.timekey;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class BlockCodecTest {
  private static final long START = 1_700_000_000_000_000L;
  private static final long PERIOD = 100_000;

  /**
   * Keys of a stream at {@code PERIOD} with uniform jitter in +-{@code jitter}, sorted, distinct.
   */
  private static long[] jittered(Random random, long jitter, int count) {
    TreeSet<Long> set = new TreeSet<>();
    for (int i = 0; set.size() < count; i++) {
      long offset = jitter == 0 ? 0 : random.nextLong(2 * jitter + 1) - jitter;
      set.add(START + i * PERIOD + offset);
    }
    return set.stream().mapToLong(Long::longValue).toArray();
  }

  private static ByteBuffer write(Block block) {
    long[] keys = new long[Block.MAX_KEYS];
    block.decode(keys);
    BlockCodec.Ticks ticks = BlockCodec.fit(keys, block.count);
    ByteBuffer out = ByteBuffer.allocate(BlockCodec.size(block, ticks));
    BlockCodec.write(block, keys, ticks, out);
    assertThat(out.hasRemaining()).as("size() matches what write() wrote").isFalse();
    return out.flip();
  }

  private static Block read(ByteBuffer in) {
    long first = in.getLong();
    long last = in.getLong();
    int stored = in.getInt();
    String[] damage = new String[1];
    Block block =
        BlockCodec.read(
            in,
            first,
            last,
            stored & ~BlockCodec.TICK_FLAG,
            stored < 0,
            new long[Block.MAX_KEYS],
            damage);
    assertThat(damage[0]).isNull();
    assertThat(in.hasRemaining()).isFalse();
    return block;
  }

  private static long[] decode(Block block) {
    long[] out = new long[Block.MAX_KEYS];
    return Arrays.copyOf(out, block.decode(out));
  }

  private static boolean tick(ByteBuffer stored) {
    return stored.getInt(16) < 0;
  }

  @Test
  void blocksOfEveryJitterSizeRoundTripAndAnswerContainsLikeTheOriginal() {
    Random random = new Random(11);
    long[] jitters = {0, 1, 1_000, 100_000, -1};
    for (int round = 0; round < 100; round++) {
      long jitter = jitters[round % jitters.length];
      if (jitter < 0) {
        jitter = random.nextInt(3_000_000);
      }
      int count = 1 + random.nextInt(Block.MAX_KEYS);
      long[] keys = jittered(random, jitter, count);
      Block block = Block.encodeUntilFull(keys, 0, keys.length);
      long[] held = Arrays.copyOf(keys, block.count);
      Block back = read(write(block));
      assertThat(decode(back)).as("jitter %d, %d keys", jitter, block.count).containsExactly(held);
      assertThat(back.lastDelta).isEqualTo(block.lastDelta);
      assertThat(back.bitLength).isEqualTo(block.bitLength);
      long[] scratch = new long[Block.MAX_KEYS];
      for (int probe = 0; probe < 20; probe++) {
        long t = held[random.nextInt(held.length)] + (probe % 2);
        assertThat(back.contains(t, scratch)).isEqualTo(block.contains(t, scratch));
      }
      // the block still grows like one that was never stored
      if (!back.full()) {
        back.append(back.last + PERIOD);
        assertThat(decode(back)[back.count - 1]).isEqualTo(held[held.length - 1] + PERIOD);
      }
    }
  }

  @Test
  void aMillisecondOfJitterIsStoredInAtMostTwelveBitsAKey() {
    long[] keys = jittered(new Random(5), 1_000, Block.MAX_KEYS);
    Block block = Block.encodeUntilFull(keys, 0, keys.length);
    ByteBuffer stored = write(block);
    assertThat(tick(stored)).isTrue();
    assertThat(8.0 * stored.remaining() / block.count).isLessThanOrEqualTo(12.0);
    assertThat(stored.remaining()).isLessThan(BlockCodec.DOD_HEADER + 8 * block.bits.length);
  }

  @Test
  void regularAndIrregularBlocksKeepTheirDeltaOfDeltaBits() {
    long[] regular = jittered(new Random(1), 0, Block.MAX_KEYS);
    Block block = Block.encode(regular, 0, regular.length);
    block.trim();
    ByteBuffer stored = write(block);
    assertThat(tick(stored)).isFalse();
    assertThat(stored.remaining()).isEqualTo(BlockCodec.DOD_HEADER + 8 * block.bits.length);

    // exponential gaps: no period to speak of
    Random random = new Random(2);
    long[] irregular = new long[2_000];
    irregular[0] = START;
    for (int i = 1; i < irregular.length; i++) {
      irregular[i] = irregular[i - 1] + 1 + (long) (-Math.log(1 - random.nextDouble()) * PERIOD);
    }
    Block sparse = Block.encodeUntilFull(irregular, 0, irregular.length);
    sparse.trim();
    ByteBuffer sparseStored = write(sparse);
    assertThat(sparseStored.remaining())
        .isLessThanOrEqualTo(BlockCodec.DOD_HEADER + 8 * sparse.bits.length);
    assertThat(decode(read(sparseStored))).containsExactly(Arrays.copyOf(irregular, sparse.count));
  }

  @Test
  void extremeTimestampsAndPeriodsRoundTrip() {
    long[][] cases = {
      {Long.MIN_VALUE, Long.MIN_VALUE + 3, Long.MIN_VALUE + 5, Long.MIN_VALUE + 9},
      {Long.MAX_VALUE - 30, Long.MAX_VALUE - 20, Long.MAX_VALUE - 9, Long.MAX_VALUE},
      {0, 1L << 50, (2L << 50) + 7, (3L << 50) - 5, 4L << 50},
    };
    for (long[] keys : cases) {
      Block block = Block.encode(keys, 0, keys.length);
      assertThat(decode(read(write(block)))).containsExactly(keys);
    }
  }

  @Test
  void aTickBlockCutShortOrOutOfOrderIsDamageNotKeys() {
    long[] keys = jittered(new Random(9), 1_000, 500);
    Block block = Block.encode(keys, 0, keys.length);
    ByteBuffer stored = write(block);
    assertThat(tick(stored)).isTrue();
    ByteBuffer cut = ByteBuffer.wrap(Arrays.copyOf(stored.array(), stored.remaining() - 8));
    String[] damage = new String[1];
    cut.position(20);
    assertThat(BlockCodec.read(cut, keys[0], keys[499], 500, true, new long[4096], damage))
        .isNull();
    assertThat(damage[0]).isEqualTo("chunk ends early");
    // a last key that the offsets do not reach
    ByteBuffer whole = ByteBuffer.wrap(stored.array());
    whole.position(20);
    assertThat(BlockCodec.read(whole, keys[0], keys[499] + 1, 500, true, new long[4096], damage))
        .isNull();
    assertThat(damage[0]).startsWith("tick block ends at " + keys[499]);
  }
}
