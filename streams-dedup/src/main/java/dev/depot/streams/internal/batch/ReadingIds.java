package dev.depot.streams.internal.batch;

import dev.depot.streams.ReadingFields;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Collects each reading's user and device values while a batch is parsed (they may also sit once
 * around the array, even after it), then turns them into 64-bit ids. Not thread-safe; one per
 * parse.
 */
final class ReadingIds {
  /** XXH64 with seed 0, as {@link ReadingFields#withStringIds()} documents. */
  private static final XXHash64 HASH = XXHashFactory.fastestJavaInstance().hash64();

  private static final int USER = 0;
  private static final int DEVICE = 1;

  private final ReadingFields fields;
  private long[][] numbers = new long[2][];
  private byte[][][] texts = new byte[2][][];
  private final long[] topNumber = new long[2];
  private final byte[][] topText = new byte[2][];
  private final boolean[] topSeen = new boolean[2];
  private boolean[][] seen = new boolean[2][];

  ReadingIds(ReadingFields fields, int capacity) {
    this.fields = fields;
    for (int k = 0; k < 2; k++) {
      numbers[k] = new long[capacity];
      seen[k] = new boolean[capacity];
      if (fields.stringIds()) {
        texts[k] = new byte[capacity][];
      }
    }
  }

  void ensure(int capacity) {
    if (capacity <= numbers[0].length) {
      return;
    }
    int size = Math.max(capacity, numbers[0].length * 2);
    for (int k = 0; k < 2; k++) {
      numbers[k] = Arrays.copyOf(numbers[k], size);
      seen[k] = Arrays.copyOf(seen[k], size);
      if (texts[k] != null) {
        texts[k] = Arrays.copyOf(texts[k], size);
      }
    }
  }

  void userNumber(int reading, long value) {
    number(USER, reading, value);
  }

  void deviceNumber(int reading, long value) {
    number(DEVICE, reading, value);
  }

  void userText(int reading, byte[] utf8) {
    text(USER, reading, utf8);
  }

  void deviceText(int reading, byte[] utf8) {
    text(DEVICE, reading, utf8);
  }

  /** A value found around the array; {@code reading} -1. Numbers only here, texts below. */
  private void number(int k, int reading, long value) {
    if (reading < 0) {
      topNumber[k] = value;
      topText[k] = fields.stringIds() ? decimal(value) : null;
      topSeen[k] = true;
      return;
    }
    numbers[k][reading] = value;
    seen[k][reading] = true;
    if (texts[k] != null) {
      texts[k][reading] = decimal(value);
    }
  }

  private void text(int k, int reading, byte[] utf8) {
    if (!fields.stringIds()) {
      String field = k == USER ? fields.user() : fields.device();
      throw new IllegalArgumentException(
          "field "
              + field
              + (reading < 0 ? "" : " of reading " + reading)
              + " is a string (\""
              + abbreviate(new String(utf8, StandardCharsets.UTF_8))
              + "\") but ids are integers: use string ids (dedup.id.type=string,"
              + " ReadingFields.withStringIds())");
    }
    if (reading < 0) {
      topText[k] = utf8;
      topSeen[k] = true;
      return;
    }
    texts[k][reading] = utf8;
    seen[k][reading] = true;
  }

  /** The ids of readings 0..n-1, into {@code out}. */
  void resolve(int n, long[] out) {
    boolean hasUser = fields.user() != null;
    for (int i = 0; i < n; i++) {
      if (!seen[DEVICE][i] && !topSeen[DEVICE]) {
        throw missing(fields.device(), i);
      }
      if (hasUser && !seen[USER][i] && !topSeen[USER]) {
        throw missing(fields.user(), i);
      }
      if (fields.stringIds()) {
        byte[] device = seen[DEVICE][i] ? texts[DEVICE][i] : topText[DEVICE];
        byte[] user = !hasUser ? null : seen[USER][i] ? texts[USER][i] : topText[USER];
        out[i] = hash(user, device);
      } else {
        long device = seen[DEVICE][i] ? numbers[DEVICE][i] : topNumber[DEVICE];
        long user = !hasUser ? 0 : seen[USER][i] ? numbers[USER][i] : topNumber[USER];
        out[i] = (int32(user, fields.user(), i) << 32) | int32(device, fields.device(), i);
      }
    }
  }

  /** XXH64 (seed 0) of the user's UTF-8 bytes, a zero byte, the device's (or the device's only). */
  static long hash(byte[] user, byte[] device) {
    if (user == null) {
      return HASH.hash(device, 0, device.length, 0);
    }
    byte[] joined = new byte[user.length + 1 + device.length];
    System.arraycopy(user, 0, joined, 0, user.length);
    System.arraycopy(device, 0, joined, user.length + 1, device.length);
    return HASH.hash(joined, 0, joined.length, 0);
  }

  /** A 32-bit id: signed or unsigned 32-bit values are accepted, as their low 32 bits. */
  private static long int32(long value, String field, int reading) {
    if (value < Integer.MIN_VALUE || value > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException(
          "field "
              + field
              + " of reading "
              + reading
              + " must fit in 32 bits, was "
              + value
              + " (use string ids to hash larger ids: dedup.id.type=string)");
    }
    return value & 0xFFFF_FFFFL;
  }

  private IllegalArgumentException missing(String field, int reading) {
    return new IllegalArgumentException(
        "reading " + reading + " has no field " + field + ", and the record around it has none");
  }

  private static byte[] decimal(long value) {
    return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
  }

  static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
