package dev.depot.streams.internal;

import dev.depot.store.timekey.TimeKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The changelog record of a batch: the time keys a batch record inserted, in one compact value. The
 * dedup processor in batch mode writes one per record that had new readings; restore decodes it
 * straight into one set insert.
 *
 * <h2>Record key (17 bytes)</h2>
 *
 * <pre>
 * 0      1 byte   0xB1: a key block, format 1 (a single time key's changelog record has a 16-byte key)
 * 1      8 bytes  micros of the block's first key (the smallest id, then the smallest micros), big-endian
 * 9      8 bytes  id of that key, big-endian
 * </pre>
 *
 * The first key was new when the block was written, so no other block of the same store has it
 * while it is retained: keys stay unique under a compacted changelog.
 *
 * <h2>Record value</h2>
 *
 * Keys sorted by id then micros, in runs of one id. Varints are unsigned LEB128 (7 bits a byte, low
 * first); signed values are zigzag-encoded first.
 *
 * <pre>
 * varint        number of runs R
 * R times:
 *   8 bytes     id, big-endian
 *   varint      n, keys in the run (at least 1)
 *   zigzag      micros of the first key
 *   if n &gt; 1:
 *     varint    d, the smallest gap between consecutive micros (at least 1)
 *     1 byte    w, bits per gap (0..64)
 *     ceil((n-1)*w/8) bytes: each gap minus d in w bits, least significant bit first
 * </pre>
 *
 * A device reading at a regular rate costs 0 bits a key after the first; with 1 ms of jitter, about
 * 12 bits. A value that does not decode exactly (bad varint, a run past the end, bytes left over)
 * throws {@link IllegalArgumentException}.
 */
public final class KeyBlock {
  static final byte KEY_MARKER = (byte) 0xB1;
  static final int KEY_BYTES = 17;

  /** Longest run a block may hold (a regular device's run costs no bits a key, so it is capped). */
  static final long MAX_RUN = 1L << 24;

  private KeyBlock() {}

  /** Whether a changelog record key is a block's. */
  static boolean isBlockKey(byte[] key) {
    return key != null && key.length == KEY_BYTES && key[0] == KEY_MARKER;
  }

  static final byte FORMAT_KEYS = 1;
  static final byte FORMAT_SOURCE = 2;

  /**
   * Where a block's keys came from: the input record, and how far that input partition was known
   * committed when the block was written.
   */
  record Source(String topic, int partition, long offset, long committedThrough) {}

  /** Sorted keys, encoded; plus the record key. Not thread-safe: one per processor. */
  static final class Encoder {
    private long[] micros = new long[256];
    private long[] ids = new long[256];
    private Integer[] order = new Integer[0];
    private byte[] out = new byte[1024];
    private int at;

    /**
     * Encodes the keys {@code i} of {@code micros/ids} with {@code pick[i]}. Returns the value;
     * {@link #key()} then gives the record key.
     */
    byte[] encode(long[] allMicros, long[] allIds, boolean[] pick, int n, int picked) {
      return encode(allMicros, allIds, pick, n, picked, null);
    }

    /** As {@link #encode(long[], long[], boolean[], int, int)}, with a source header if given. */
    byte[] encode(
        long[] allMicros, long[] allIds, boolean[] pick, int n, int picked, Source source) {
      if (micros.length < picked) {
        micros = new long[Math.max(picked, micros.length * 2)];
        ids = new long[micros.length];
      }
      int k = 0;
      boolean sorted = true;
      for (int i = 0; i < n; i++) {
        if (pick[i]) {
          micros[k] = allMicros[i];
          ids[k] = allIds[i];
          if (k > 0 && compare(k - 1, k) > 0) {
            sorted = false;
          }
          k++;
        }
      }
      if (!sorted) {
        sort(picked);
      }
      at = 0;
      if (source == null) {
        ensure(1);
        out[at++] = FORMAT_KEYS;
      } else {
        byte[] topic = source.topic().getBytes(StandardCharsets.UTF_8);
        ensure(1 + 10 + topic.length + 30);
        out[at++] = FORMAT_SOURCE;
        putVarint(topic.length);
        System.arraycopy(topic, 0, out, at, topic.length);
        at += topic.length;
        putVarint(source.partition());
        putVarint(source.offset());
        putVarint((source.committedThrough() << 1) ^ (source.committedThrough() >> 63));
      }
      int runs = 0;
      for (int i = 0; i < picked; i++) {
        if (i == 0 || ids[i] != ids[i - 1]) {
          runs++;
        }
      }
      ensure(10);
      putVarint(runs);
      int start = 0;
      while (start < picked) {
        int end = start + 1;
        while (end < picked && ids[end] == ids[start]) {
          end++;
        }
        run(start, end);
        start = end;
      }
      return Arrays.copyOf(out, at);
    }

    /** The record key of the block {@link #encode} last built. */
    byte[] key() {
      byte[] key = new byte[KEY_BYTES];
      key[0] = KEY_MARKER;
      putLong(key, 1, micros[0]);
      putLong(key, 9, ids[0]);
      return key;
    }

    private void run(int start, int end) {
      int n = end - start;
      ensure(8 + 10 + 10 + 10 + 1 + (int) (((long) (n - 1) * 64 + 7) / 8));
      putLong(out, at, ids[start]);
      at += 8;
      putVarint(n);
      putVarint((micros[start] << 1) ^ (micros[start] >> 63));
      if (n == 1) {
        return;
      }
      long min = Long.MAX_VALUE;
      long max = 0;
      for (int i = start + 1; i < end; i++) {
        long gap = micros[i] - micros[i - 1];
        min = Long.compareUnsigned(gap, min) < 0 ? gap : min;
        max = Long.compareUnsigned(gap, max) > 0 ? gap : max;
      }
      putVarint(min);
      int width = 64 - Long.numberOfLeadingZeros(max - min);
      out[at++] = (byte) width;
      if (width == 0) {
        return;
      }
      long acc = 0;
      int bits = 0;
      for (int i = start + 1; i < end; i++) {
        long v = micros[i] - micros[i - 1] - min;
        // up to 64 bits of v into the accumulator, spilling whole bytes
        int taken = 0;
        while (taken < width) {
          int room = 64 - bits;
          int chunk = Math.min(room, width - taken);
          long part = chunk == 64 ? v : (v >>> taken) & ((1L << chunk) - 1);
          acc |= part << bits;
          bits += chunk;
          taken += chunk;
          while (bits >= 8) {
            out[at++] = (byte) acc;
            acc >>>= 8;
            bits -= 8;
          }
        }
      }
      if (bits > 0) {
        out[at++] = (byte) acc;
      }
    }

    private int compare(int a, int b) {
      int c = Long.compare(ids[a], ids[b]);
      return c != 0 ? c : Long.compare(micros[a], micros[b]);
    }

    private void sort(int n) {
      if (order.length < n) {
        order = new Integer[Math.max(n, order.length * 2)];
      }
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(order, 0, n, this::compare);
      long[] m = new long[n];
      long[] d = new long[n];
      for (int i = 0; i < n; i++) {
        m[i] = micros[order[i]];
        d[i] = ids[order[i]];
      }
      System.arraycopy(m, 0, micros, 0, n);
      System.arraycopy(d, 0, ids, 0, n);
    }

    private void ensure(int more) {
      if (at + more > out.length) {
        out = Arrays.copyOf(out, Math.max(at + more, out.length * 2));
      }
    }

    private void putVarint(long v) {
      while ((v & ~0x7FL) != 0) {
        out[at++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      out[at++] = (byte) v;
    }
  }

  /** Decoded keys: {@code micros[i], ids[i]} for i below {@link #size}. Reused across blocks. */
  static final class Decoded {
    long[] micros = new long[1024];
    long[] ids = new long[1024];
    int size;

    /** The source of the block last decoded, or null. */
    Source source;

    void clear() {
      size = 0;
      source = null;
    }

    void add(long m, long id) {
      if (size == micros.length) {
        micros = Arrays.copyOf(micros, size * 2);
        ids = Arrays.copyOf(ids, size * 2);
      }
      micros[size] = m;
      ids[size++] = id;
    }
  }

  /**
   * The time keys of one changelog record of a time-key store: a single key (16-byte record key) or
   * a key block.
   *
   * @throws IllegalArgumentException when the record is neither
   */
  public static List<TimeKey> keysOf(byte[] key, byte[] value) {
    if (key != null && key.length == TimeKey.BYTES) {
      return List.of(TimeKey.fromBytes(key));
    }
    if (!isBlockKey(key)) {
      throw new IllegalArgumentException(
          "not a time-key changelog record: key of "
              + (key == null ? "null" : key.length + " bytes"));
    }
    Decoded keys = new Decoded();
    decode(value, keys);
    List<TimeKey> out = new ArrayList<>(keys.size);
    for (int i = 0; i < keys.size; i++) {
      out.add(TimeKey.of(keys.micros[i], keys.ids[i]));
    }
    return out;
  }

  /** Appends the keys of a block value to {@code into}. */
  static void decode(byte[] value, Decoded into) {
    int[] pos = {0};
    need(value, 0, 1);
    byte format = value[pos[0]++];
    if (format == FORMAT_SOURCE) {
      long length = getVarint(value, pos);
      need(value, pos[0], length);
      String topic = new String(value, pos[0], (int) length, StandardCharsets.UTF_8);
      pos[0] += (int) length;
      long partition = getVarint(value, pos);
      long offset = getVarint(value, pos);
      long z = getVarint(value, pos);
      if (partition > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("bad partition " + partition + " in a key block");
      }
      into.source = new Source(topic, (int) partition, offset, (z >>> 1) ^ -(z & 1));
    } else if (format == FORMAT_KEYS) {
      into.source = null;
    } else {
      throw new IllegalArgumentException("unknown key block format " + format);
    }
    long runs = getVarint(value, pos);
    for (long r = 0; r < runs; r++) {
      need(value, pos[0], 8);
      long id = getLong(value, pos[0]);
      pos[0] += 8;
      long n = getVarint(value, pos);
      if (n < 1 || n > MAX_RUN) {
        throw new IllegalArgumentException("bad run length " + n + " in a key block");
      }
      long z = getVarint(value, pos);
      long micros = (z >>> 1) ^ -(z & 1);
      into.add(micros, id);
      if (n == 1) {
        continue;
      }
      long min = getVarint(value, pos);
      need(value, pos[0], 1);
      int width = value[pos[0]++] & 0xFF;
      if (width > 64) {
        throw new IllegalArgumentException("bad gap width " + width + " in a key block");
      }
      long bytes = ((n - 1) * width + 7) / 8;
      need(value, pos[0], bytes);
      int at = pos[0];
      long acc = 0;
      int bits = 0;
      for (long i = 1; i < n; i++) {
        long v = 0;
        int got = 0;
        while (got < width) {
          if (bits == 0) {
            acc = value[at++] & 0xFFL;
            bits = 8;
          }
          int chunk = Math.min(bits, width - got);
          v |= (acc & ((1L << chunk) - 1)) << got;
          acc >>>= chunk;
          bits -= chunk;
          got += chunk;
        }
        micros += min + v;
        into.add(micros, id);
      }
      pos[0] += (int) bytes;
    }
    if (pos[0] != value.length) {
      throw new IllegalArgumentException(
          (value.length - pos[0]) + " bytes left over after a key block's last run");
    }
  }

  private static void need(byte[] value, int at, long n) {
    if (n > value.length - at) {
      throw new IllegalArgumentException("a key block ends too early, at byte " + at);
    }
  }

  private static long getVarint(byte[] b, int[] pos) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      need(b, pos[0], 1);
      int x = b[pos[0]++] & 0xFF;
      v |= (long) (x & 0x7F) << shift;
      if ((x & 0x80) == 0) {
        return v;
      }
    }
    throw new IllegalArgumentException("bad varint in a key block at byte " + pos[0]);
  }

  static void putLong(byte[] b, int at, long v) {
    for (int i = 7; i >= 0; i--) {
      b[at + i] = (byte) v;
      v >>>= 8;
    }
  }

  static long getLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xFF);
    }
    return v;
  }
}
