package dev.depot.bench;

import java.util.SplittableRandom;

/**
 * The items a workload appends: {@code count} items of {@code itemBytes} each, taken in turn from a
 * pool of distinct random arrays (a pool rather than one array per item keeps the heap small while
 * every append still gets a real {@code byte[]} whose content changes from item to item).
 */
final class ItemPool {
  private static final int POOL_SIZE = 1024;

  private final byte[][] items;
  private final int itemBytes;
  private final long count;
  private final long checksum;

  ItemPool(int itemBytes, long count, long seed) {
    this.itemBytes = itemBytes;
    this.count = count;
    SplittableRandom random = new SplittableRandom(seed);
    items = new byte[POOL_SIZE][];
    long poolSum = 0;
    long[] sums = new long[POOL_SIZE];
    for (int i = 0; i < POOL_SIZE; i++) {
      byte[] item = new byte[itemBytes];
      random.nextBytes(item);
      items[i] = item;
      sums[i] = touch(item, itemBytes);
      poolSum += sums[i];
    }
    long sum = (count / POOL_SIZE) * poolSum;
    for (int i = 0; i < count % POOL_SIZE; i++) {
      sum += sums[i];
    }
    this.checksum = sum;
  }

  /**
   * What a reader adds to its checksum for one item copied into {@code copy}: first and last byte
   * and the length, so the copy cannot be optimized away.
   */
  static long touch(byte[] copy, int length) {
    return length == 0 ? 0 : copy[0] + copy[length - 1] + length;
  }

  /** The item to append as the {@code i}-th. */
  byte[] item(long i) {
    return items[(int) (i & (POOL_SIZE - 1))];
  }

  int itemBytes() {
    return itemBytes;
  }

  long count() {
    return count;
  }

  /** The checksum a reader must arrive at after reading all {@link #count()} items. */
  long checksum() {
    return checksum;
  }
}
