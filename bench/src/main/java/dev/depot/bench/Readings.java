package dev.depot.bench;

import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.TimeKeyExtractor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The records of the dedup bench, made from the seed workload's keys: a binary reading of {@value
 * #BYTES} bytes for the TopologyTestDriver runs, and the dedup application's JSON reading for the
 * end-to-end run. Both are keyed by the device's 64-bit id (8 bytes, big-endian).
 *
 * <p>Binary reading: {@code [ts_us: 8][user_id: 4][device_id: 4][hr: 4]}, big-endian. JSON reading:
 * {@code {"ts_us":..,"user_id":..,"device_id":..,"hr":..}}. The heart rate is a function of the
 * key, so a re-sent reading is the same bytes.
 */
final class Readings {
  static final int BYTES = 20;

  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

  /**
   * Decodes the time key of a binary reading; the same decoding serves every contender, so that
   * they pay the same per-record cost outside their store.
   */
  static final TimeKeyExtractor<byte[], byte[]> BINARY =
      (key, value, timestamp) -> {
        if (value == null || value.length != BYTES) {
          throw new IllegalArgumentException(
              "a reading is " + BYTES + " bytes, got " + (value == null ? "null" : value.length));
        }
        return TimeKey.of(
            (long) LONG.get(value, 0), (int) INT.get(value, 8), (int) INT.get(value, 12));
      };

  private Readings() {}

  static byte[] key(long id) {
    byte[] key = new byte[8];
    LONG.set(key, 0, id);
    return key;
  }

  static byte[] binary(long micros, long id) {
    byte[] value = new byte[BYTES];
    LONG.set(value, 0, micros);
    LONG.set(value, 8, id); // user id then device id, as TimeKey.id(user, device) lays them out
    INT.set(value, 16, heartRate(micros, id));
    return value;
  }

  static byte[] json(long micros, long id) {
    String text =
        "{\"ts_us\":"
            + micros
            + ",\"user_id\":"
            + (int) (id >>> 32)
            + ",\"device_id\":"
            + (int) id
            + ",\"hr\":"
            + heartRate(micros, id)
            + "}";
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /** Record timestamp of a reading: its time in milliseconds. */
  static long timestampMs(long micros) {
    return micros / 1000;
  }

  static int heartRate(long micros, long id) {
    return 55 + Math.floorMod(micros / 1_000_000 + id * 7, 60);
  }
}
