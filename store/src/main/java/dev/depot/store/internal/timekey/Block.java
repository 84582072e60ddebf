package dev.depot.store.internal.timekey;

import java.util.Arrays;

/**
 * Up to {@link #MAX_KEYS} sorted, distinct timestamps of one stream, delta-of-delta encoded as in
 * Gorilla (Pelkonen et al., VLDB 2015) with buckets sized for microseconds. The first timestamp is
 * kept as a field; each following one is written as the change of its delta to the previous one
 * (the delta before the second key counts as 0):
 *
 * <pre>
 * bits                          delta-of-delta d (zz = zigzag(d))
 * 0                             d = 0: a regular stream costs one bit per key
 * 10   + 7 bits of zz           zz &lt; 128
 * 110  + 12 bits of zz          zz &lt; 4096
 * 1110 + 20 bits of zz          zz &lt; 1,048,576
 * 1111 + 64 bits of d           anything else
 * </pre>
 *
 * Bits are packed most significant first into {@code long} words. A block is appended to while it
 * is its stream's last (the tail); other blocks are only replaced. Not thread-safe: the owning
 * stream's lock guards it.
 */
final class Block {
  static final int MAX_KEYS = 4096;

  /**
   * A block is full at {@link #MAX_KEYS} keys or at this many bits (1 KiB), whichever comes first:
   * a regular stream fills 4,096 keys in about 4,100 bits, a jittery one (about 15 bits a key) 550
   * keys, so that looking a key up or merging late keys into a block decodes at most about 550
   * jittery keys.
   */
  static final int MAX_BITS = 8192;

  /** Accounted size of a block object without its bit array (header, fields, array header). */
  static final long OVERHEAD_BYTES = 72;

  long first;
  long last;
  int count;
  long lastDelta;
  long[] bits;
  int bitLength;

  Block(long first, long last, int count, long lastDelta, long[] bits, int bitLength) {
    this.first = first;
    this.last = last;
    this.count = count;
    this.lastDelta = lastDelta;
    this.bits = bits;
    this.bitLength = bitLength;
  }

  /** A block holding one timestamp, with room to grow. */
  static Block starting(long ts) {
    return new Block(ts, ts, 1, 0, new long[2], 0);
  }

  long memoryBytes() {
    return OVERHEAD_BYTES + 8L * bits.length;
  }

  boolean full() {
    return count >= MAX_KEYS || bitLength >= MAX_BITS;
  }

  /**
   * Appends {@code ts}, which must be greater than {@link #last} and the block not full; returns
   * how many bytes the bit array grew by.
   */
  long append(long ts) {
    long delta = ts - last;
    long dod = delta - lastDelta;
    long grown = 0;
    if (bitLength + 68 > (bits.length << 6)) {
      grown = grow();
    }
    if (dod == 0) {
      bitLength++; // a zero bit: the words start zeroed and are only ever appended to
    } else {
      long zz = (dod << 1) ^ (dod >> 63);
      if (zz < 128) {
        write((0b10L << 7) | zz, 9);
      } else if (zz < 4096) {
        write((0b110L << 12) | zz, 15);
      } else if (zz < (1 << 20)) {
        write((0b1110L << 20) | zz, 24);
      } else {
        write(0b1111L, 4);
        write(dod, 64);
      }
    }
    last = ts;
    lastDelta = delta;
    count++;
    return grown;
  }

  private long grow() {
    int words = Math.max(4, bits.length + (bits.length >> 1) + 2);
    long before = bits.length;
    bits = Arrays.copyOf(bits, words);
    return 8 * (words - before);
  }

  /** Writes the low {@code n} bits of {@code value} (1..64); room was made by the caller. */
  private void write(long value, int n) {
    int word = bitLength >>> 6;
    int free = 64 - (bitLength & 63);
    if (n <= free) {
      bits[word] |= value << (free - n);
    } else {
      int spill = n - free;
      bits[word] |= value >>> spill;
      bits[word + 1] |= value << (64 - spill);
    }
    bitLength += n;
  }

  /** Drops unused words of the bit array; returns how many bytes that freed. */
  long trim() {
    int words = (bitLength + 63) >>> 6;
    if (words == bits.length) {
      return 0;
    }
    long freed = 8L * (bits.length - words);
    bits = Arrays.copyOf(bits, words);
    return freed;
  }

  /** Decodes every timestamp into {@code out[0..count)} and returns {@link #count}. */
  int decode(long[] out) {
    long ts = first;
    long delta = 0;
    out[0] = ts;
    int n = 1;
    int pos = 0;
    while (n < count) {
      long window = peek(pos);
      if (window >= 0) {
        // a run of zero bits: that many keys with an unchanged delta
        int zeros = window == 0 ? 64 : Long.numberOfLeadingZeros(window);
        int run = Math.min(zeros, count - n);
        for (int i = 0; i < run; i++) {
          ts += delta;
          out[n++] = ts;
        }
        pos += run;
        continue;
      }
      int ones = Long.numberOfLeadingZeros(~window);
      long dod;
      if (ones == 1) {
        dod = unzigzag((window << 2) >>> 57);
        pos += 9;
      } else if (ones == 2) {
        dod = unzigzag((window << 3) >>> 52);
        pos += 15;
      } else if (ones == 3) {
        dod = unzigzag((window << 4) >>> 44);
        pos += 24;
      } else {
        dod = peek(pos + 4);
        pos += 68;
      }
      delta += dod;
      ts += delta;
      out[n++] = ts;
    }
    return count;
  }

  /** Whether {@code ts} is in the block; decodes only up to it. */
  boolean contains(long ts, long[] scratch) {
    if (ts < first || ts > last) {
      return false;
    }
    if (ts == first || ts == last) {
      return true;
    }
    int n = decode(scratch);
    return Arrays.binarySearch(scratch, 0, n, ts) >= 0;
  }

  private static long unzigzag(long zz) {
    return (zz >>> 1) ^ -(zz & 1);
  }

  /** The 64 bits starting at bit {@code pos}, zero beyond the array. */
  private long peek(int pos) {
    int word = pos >>> 6;
    int offset = pos & 63;
    if (word >= bits.length) {
      return 0;
    }
    long hi = bits[word] << offset;
    if (offset != 0 && word + 1 < bits.length) {
      hi |= bits[word + 1] >>> (64 - offset);
    }
    return hi;
  }

  /** Encodes {@code sorted[from..to)}, ascending and distinct, into a new block. */
  static Block encode(long[] sorted, int from, int to) {
    Block block =
        new Block(sorted[from], sorted[from], 1, 0, new long[estimateWords(to - from)], 0);
    for (int i = from + 1; i < to; i++) {
      block.append(sorted[i]);
    }
    return block;
  }

  /**
   * Encodes keys of {@code sorted[from..to)}, ascending and distinct, into a new block until it is
   * {@link #full()}; its {@link #count} says how many it took.
   */
  static Block encodeUntilFull(long[] sorted, int from, int to) {
    Block block =
        new Block(sorted[from], sorted[from], 1, 0, new long[estimateWords(to - from)], 0);
    for (int i = from + 1; i < to && !block.full(); i++) {
      block.append(sorted[i]);
    }
    return block;
  }

  private static int estimateWords(int keys) {
    // one bit per key, grown when the stream is irregular
    return Math.max(2, (Math.min(keys, MAX_KEYS) + 63) >>> 6);
  }
}
