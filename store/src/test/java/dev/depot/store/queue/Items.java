package dev.depot.store.queue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Deterministic test items: item {@code i} of a seed always has the same length and bytes. */
public final class Items {
  private Items() {}

  /** Item {@code index}: its index in the first 8 bytes, then pseudo-random bytes. */
  public static byte[] item(long seed, long index, int maxLength) {
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
    int length = 8 + random.nextInt(Math.max(1, maxLength - 7));
    byte[] item = new byte[length];
    ByteBuffer.wrap(item).putLong(index);
    for (int i = 8; i < length; i++) {
      item[i] = (byte) random.nextInt(256);
    }
    return item;
  }

  /** The index stored in an item made by {@link #item}. */
  public static long indexOf(byte[] item) {
    return ByteBuffer.wrap(item).getLong();
  }

  /** Reads every record a cursor yields now, failing on corruption. */
  public static List<Read> readAll(DepotQueue queue, long fromId) {
    List<Read> out = new ArrayList<>();
    try (DepotCursor cursor = queue.stream(fromId)) {
      DepotRecord record;
      while ((record = cursor.next()) != null) {
        out.add(new Read(record.id(), record.complete(), record.item()));
      }
    }
    return out;
  }

  /** A record copied out of a cursor. */
  public record Read(long id, boolean complete, byte[] item) {}
}
