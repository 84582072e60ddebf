package dev.depot.store.timekey;

import java.util.Objects;

/**
 * A 128-bit time key: 64-bit epoch microseconds, then the 64-bit id made of a 32-bit user id and a
 * 32-bit device id. Ordered by micros, then id (both signed, which for the non-negative values of
 * real keys is also the order of their bytes). Immutable.
 *
 * <pre>{@code
 * TimeKey key = TimeKey.of(1_700_000_000_000_000L, 42, 7); // user 42, device 7
 * byte[] sixteen = key.toBytes();                         // micros, then user id, then device id
 * TimeKey same = TimeKey.fromBytes(sixteen);
 * }</pre>
 */
public final class TimeKey implements Comparable<TimeKey> {
  /** Size of {@link #toBytes()}. */
  public static final int BYTES = 16;

  private final long micros;
  private final long id;

  private TimeKey(long micros, long id) {
    this.micros = micros;
    this.id = id;
  }

  /**
   * The key of a reading taken at {@code micros} by device {@code deviceId} of user {@code userId}.
   */
  public static TimeKey of(long micros, int userId, int deviceId) {
    return new TimeKey(micros, id(userId, deviceId));
  }

  /** The key with the given micros and 64-bit id ({@code userId << 32 | deviceId}). */
  public static TimeKey of(long micros, long id) {
    return new TimeKey(micros, id);
  }

  /** The 64-bit id of a user's device: the user id in the high half, the device id in the low. */
  public static long id(int userId, int deviceId) {
    return ((long) userId << 32) | Integer.toUnsignedLong(deviceId);
  }

  /**
   * Decodes {@link #toBytes()}: 8 bytes of micros then 8 bytes of id, big-endian.
   *
   * @throws IllegalArgumentException when {@code bytes} is not 16 bytes long
   */
  public static TimeKey fromBytes(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes cannot be null");
    if (bytes.length != BYTES) {
      throw new IllegalArgumentException("a time key is 16 bytes, got " + bytes.length + " bytes");
    }
    return fromBytes(bytes, 0);
  }

  /** Decodes 16 bytes of {@code bytes} from {@code offset}. */
  public static TimeKey fromBytes(byte[] bytes, int offset) {
    Objects.checkFromIndexSize(offset, BYTES, bytes.length);
    return new TimeKey(readLong(bytes, offset), readLong(bytes, offset + 8));
  }

  /** Epoch microseconds. */
  public long micros() {
    return micros;
  }

  /** The low 64 bits: {@code userId << 32 | deviceId}. */
  public long id() {
    return id;
  }

  public int userId() {
    return (int) (id >>> 32);
  }

  public int deviceId() {
    return (int) id;
  }

  /** 16 bytes, big-endian: micros, then user id, then device id. */
  public byte[] toBytes() {
    byte[] out = new byte[BYTES];
    writeLong(out, 0, micros);
    writeLong(out, 8, id);
    return out;
  }

  @Override
  public int compareTo(TimeKey other) {
    int c = Long.compare(micros, other.micros);
    return c != 0 ? c : Long.compare(id, other.id);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TimeKey k && k.micros == micros && k.id == id;
  }

  @Override
  public int hashCode() {
    long h = micros * 0x9E3779B97F4A7C15L + id;
    return (int) (h ^ (h >>> 32));
  }

  @Override
  public String toString() {
    return "TimeKey[micros=" + micros + ", user=" + userId() + ", device=" + deviceId() + "]";
  }

  private static long readLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xFF);
    }
    return v;
  }

  private static void writeLong(byte[] b, int at, long v) {
    for (int i = 7; i >= 0; i--) {
      b[at + i] = (byte) v;
      v >>>= 8;
    }
  }
}
