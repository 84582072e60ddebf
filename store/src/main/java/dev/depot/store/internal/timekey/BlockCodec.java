package dev.depot.store.internal.timekey;

import java.nio.ByteBuffer;

/**
 * How a {@link Block} is stored in a version 2 chunk: as its delta-of-delta bits, or as offsets
 * from nominal ticks, whichever is smaller. A stream sampled at a fixed period with jitter (t_i =
 * t_0 + i * P + j_i) has delta-of-deltas j_{i+1} - 2 j_i + j_{i-1}, four times the jitter's range,
 * while its offsets from a line fitted to the block span the jitter's range once: about 11 bits a
 * key for +-1 ms instead of about 15. The line is t_0 + floor(i * period / 65536) with the period
 * in 1/65536 microsecond, fitted by least squares; the offsets are stored minus their minimum, in
 * as many bits as the largest needs. A stream at an exact period needs zero bits a key. The fit
 * only chooses the parameters: decoding is exact integer arithmetic, so any choice round-trips.
 * Stateless and thread-safe.
 */
final class BlockCodec {
  /** Set in a stored block's key count when the block holds tick offsets. */
  static final int TICK_FLAG = 1 << 31;

  /** Widest offsets stored; wider ones are left to delta-of-delta. */
  static final int MAX_WIDTH = 40;

  /** Fixed point of the period: 16 fraction bits. */
  static final int PERIOD_SHIFT = 16;

  /** Periods at most this large, so that {@code i * period} cannot overflow for i below 4096. */
  static final long MAX_PERIOD = Long.MAX_VALUE / Block.MAX_KEYS;

  /** Bytes before a delta-of-delta block's words, and before a tick block's words. */
  static final int DOD_HEADER = 8 + 8 + 4 + 8 + 4;

  static final int TICK_HEADER = 8 + 8 + 4 + 8 + 8 + 1;

  private BlockCodec() {}

  /** The tick parameters chosen for a block, or a width of -1 when offsets do not pay. */
  record Ticks(long period, long minOffset, int width) {
    int words(int count) {
      return (int) (((long) (count - 1) * width + 63) >>> 6);
    }
  }

  static final Ticks NONE = new Ticks(0, 0, -1);

  /**
   * Whether {@link #fit} may find a smaller encoding for {@code block}: not for a block under 2
   * bits a key (a regular stream's, or one with rare changes of period), which offsets of 1 bit or
   * more would hardly beat; skipping it spares decoding every regular block each time it is
   * written.
   */
  static boolean worthFitting(Block block) {
    return block.count >= 3 && block.bitLength >= 2 * (block.count - 1);
  }

  /** Chooses the tick parameters for {@code keys[0..count)}, or {@link #NONE}. */
  static Ticks fit(long[] keys, int count) {
    if (count < 3) {
      return NONE;
    }
    double meanI = (count - 1) / 2.0;
    double meanT = 0;
    for (int i = 0; i < count; i++) {
      meanT += (double) (keys[i] - keys[0]);
    }
    meanT /= count;
    double num = 0;
    double den = 0;
    for (int i = 0; i < count; i++) {
      double di = i - meanI;
      num += di * ((double) (keys[i] - keys[0]) - meanT);
      den += di * di;
    }
    double slope = num / den * (1 << PERIOD_SHIFT);
    if (!(slope >= 0) || slope >= MAX_PERIOD) {
      return NONE;
    }
    // the fitted period, and the nearest whole microsecond (sampling clocks often tick in those)
    Ticks fitted = offsets(keys, count, Math.round(slope));
    long whole = Math.round(slope / (1 << PERIOD_SHIFT)) << PERIOD_SHIFT;
    Ticks rounded = whole < MAX_PERIOD ? offsets(keys, count, whole) : NONE;
    if (fitted.width() < 0 || (rounded.width() >= 0 && rounded.width() <= fitted.width())) {
      return rounded;
    }
    return fitted;
  }

  private static Ticks offsets(long[] keys, int count, long period) {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int i = 1; i < count; i++) {
      long offset = keys[i] - nominal(keys[0], period, i);
      min = Math.min(min, offset);
      max = Math.max(max, offset);
    }
    long span = max - min;
    if (span < 0 || span >= (1L << MAX_WIDTH)) {
      return NONE;
    }
    return new Ticks(period, min, 64 - Long.numberOfLeadingZeros(span));
  }

  static long nominal(long first, long period, int i) {
    return first + ((i * period) >> PERIOD_SHIFT);
  }

  /** Stored size of {@code block}; {@code keys} holds its decoded keys. */
  static int size(Block block, Ticks ticks) {
    int dod = DOD_HEADER + 8 * ((block.bitLength + 63) >>> 6);
    if (ticks.width() <= 0) {
      return dod;
    }
    int tick = TICK_HEADER + 8 * ticks.words(block.count);
    return Math.min(dod, tick);
  }

  /** Writes {@code block}, whose decoded keys are in {@code keys}, in the smaller encoding. */
  static void write(Block block, long[] keys, Ticks ticks, ByteBuffer out) {
    out.putLong(block.first).putLong(block.last);
    int dodWords = (block.bitLength + 63) >>> 6;
    // A block at an exact period (width 0) stays delta-of-delta: its run of zero bits costs next to
    // nothing once zstd has it, and keeps regular streams' chunks as they were.
    if (ticks.width() <= 0
        || TICK_HEADER + 8 * ticks.words(block.count) >= DOD_HEADER + 8 * dodWords) {
      out.putInt(block.count).putLong(block.lastDelta).putInt(block.bitLength);
      for (int w = 0; w < dodWords; w++) {
        out.putLong(block.bits[w]);
      }
      return;
    }
    out.putInt(block.count | TICK_FLAG).putLong(ticks.period()).putLong(ticks.minOffset());
    out.put((byte) ticks.width());
    int width = ticks.width();
    long word = 0;
    int used = 0;
    for (int i = 1; i < block.count && width > 0; i++) {
      long value = keys[i] - nominal(block.first, ticks.period(), i) - ticks.minOffset();
      int free = 64 - used;
      if (width <= free) {
        word |= value << (free - width);
        used += width;
      } else {
        int spill = width - free;
        word |= value >>> spill;
        out.putLong(word);
        word = value << (64 - spill);
        used = spill;
      }
      if (used == 64) {
        out.putLong(word);
        word = 0;
        used = 0;
      }
    }
    if (used > 0) {
      out.putLong(word);
    }
  }

  /**
   * Reads a block written by {@link #write} after its first 20 bytes (first, last, count without
   * {@link #TICK_FLAG}, already read and checked by the caller; {@code tick}: whether the flag was
   * set); returns it, or null after putting what is wrong in {@code damage[0]}. {@code scratch}
   * holds at least {@link Block#MAX_KEYS} keys.
   */
  static Block read(
      ByteBuffer in,
      long first,
      long last,
      int count,
      boolean tick,
      long[] scratch,
      String[] damage) {
    if (!tick) {
      if (in.remaining() < 12) {
        damage[0] = "chunk ends early";
        return null;
      }
      long lastDelta = in.getLong();
      int bitLength = in.getInt();
      int words = (bitLength + 63) >>> 6;
      if (bitLength < count - 1 || bitLength > 68L * (count - 1)) {
        damage[0] = "impossible bit length " + bitLength + " for " + count + " keys";
        return null;
      }
      if (in.remaining() < 8L * words) {
        damage[0] = "chunk ends early";
        return null;
      }
      long[] bits = new long[Math.max(1, words)];
      for (int w = 0; w < words; w++) {
        bits[w] = in.getLong();
      }
      return new Block(first, last, count, lastDelta, bits, bitLength);
    }
    if (in.remaining() < 17) {
      damage[0] = "chunk ends early";
      return null;
    }
    long period = in.getLong();
    long minOffset = in.getLong();
    int width = in.get();
    if (count < 3 || period < 0 || period >= MAX_PERIOD || width < 0 || width > MAX_WIDTH) {
      damage[0] =
          "impossible tick block: " + count + " keys, period " + period + ", width " + width;
      return null;
    }
    Ticks ticks = new Ticks(period, minOffset, width);
    int words = ticks.words(count);
    if (in.remaining() < 8L * words) {
      damage[0] = "chunk ends early";
      return null;
    }
    scratch[0] = first;
    long word = 0;
    int left = 0;
    for (int i = 1; i < count; i++) {
      long value;
      if (width == 0) {
        value = 0;
      } else if (width <= left) {
        value = (word << (64 - left)) >>> (64 - width);
        left -= width;
      } else {
        long high = left == 0 ? 0 : (word << (64 - left)) >>> (64 - left);
        word = in.getLong();
        int rest = width - left;
        value = (high << rest) | (word >>> (64 - rest));
        left = 64 - rest;
      }
      scratch[i] = nominal(first, period, i) + minOffset + value;
      if (scratch[i] <= scratch[i - 1]) {
        damage[0] = "tick block keys out of order at key " + i;
        return null;
      }
    }
    if (scratch[count - 1] != last) {
      damage[0] = "tick block ends at " + scratch[count - 1] + ", not " + last;
      return null;
    }
    Block block = Block.encode(scratch, 0, count);
    block.trim();
    return block;
  }
}
