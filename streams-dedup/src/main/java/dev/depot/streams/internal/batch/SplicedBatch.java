package dev.depot.streams.internal.batch;

import dev.depot.streams.ReadingBatch;
import java.util.Arrays;

/**
 * A batch read in place from a value's bytes: each reading's key and the byte span it takes. A
 * value holding only some readings is spliced from the original bytes: what precedes the readings,
 * the kept readings' bytes as they were, what follows them.
 */
abstract class SplicedBatch implements ReadingBatch<byte[]> {
  final byte[] value;
  private final int size;
  private final long[] micros;
  private final long[] ids;
  private final int[] starts;
  private final int[] ends;

  SplicedBatch(byte[] value, Spans spans, long[] ids) {
    this.value = value;
    this.size = spans.size;
    this.micros = spans.micros;
    this.ids = ids;
    this.starts = spans.starts;
    this.ends = spans.ends;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public long micros(int i) {
    return micros[i];
  }

  @Override
  public long id(int i) {
    return ids[i];
  }

  /**
   * {@code value[0, head)}, {@code prefix}, the kept readings (with {@code separator} between them
   * when it is not negative), {@code suffix}, then {@code value[tail, end)}.
   */
  final byte[] splice(
      boolean[] keep, int head, byte[] prefix, int separator, byte[] suffix, int tail) {
    int kept = 0;
    int length = head + prefix.length + suffix.length + (value.length - tail);
    for (int i = 0; i < size; i++) {
      if (keep[i]) {
        length += ends[i] - starts[i];
        kept++;
      }
    }
    if (separator >= 0) {
      length += Math.max(0, kept - 1);
    }
    byte[] out = new byte[length];
    System.arraycopy(value, 0, out, 0, head);
    int at = head;
    System.arraycopy(prefix, 0, out, at, prefix.length);
    at += prefix.length;
    boolean first = true;
    for (int i = 0; i < size; i++) {
      if (!keep[i]) {
        continue;
      }
      if (!first && separator >= 0) {
        out[at++] = (byte) separator;
      }
      first = false;
      int n = ends[i] - starts[i];
      System.arraycopy(value, starts[i], out, at, n);
      at += n;
    }
    System.arraycopy(suffix, 0, out, at, suffix.length);
    at += suffix.length;
    System.arraycopy(value, tail, out, at, value.length - tail);
    return out;
  }

  /** The readings found so far by a parse: times, byte spans and ids. */
  static final class Spans {
    long[] micros;
    int[] starts;
    int[] ends;
    int size;
    final ReadingIds ids;

    Spans(dev.depot.streams.ReadingFields fields, int capacity) {
      micros = new long[capacity];
      starts = new int[capacity];
      ends = new int[capacity];
      ids = new ReadingIds(fields, capacity);
    }

    /** Room for {@code capacity} readings. */
    void grow(int capacity) {
      if (capacity > micros.length) {
        int n = Math.max(capacity, micros.length * 2);
        micros = Arrays.copyOf(micros, n);
        starts = Arrays.copyOf(starts, n);
        ends = Arrays.copyOf(ends, n);
      }
      ids.ensure(capacity);
    }

    /** The ids of the readings found. */
    long[] resolveIds() {
      long[] out = new long[size];
      ids.resolve(size, out);
      return out;
    }
  }
}
