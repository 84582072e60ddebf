package dev.depot.testing.powerloss;

import java.util.Objects;

/**
 * What a power cut does to what was not made durable, for {@link PowerLossFileSystem#restart}.
 *
 * <ul>
 *   <li>{@link #loseUnsynced()}: every byte written since its file's last fsync is lost (the file
 *       has its last synced content, or nothing if it was never synced), and every create, rename
 *       and delete since its directory's last fsync is undone;
 *   <li>{@link #torn(int, long)}: the disk wrote back some of it, in any order: each page (of the
 *       given size: 512 for a sector, 4096 for a page) whose content changed since the last fsync
 *       holds its old or its new bytes (zeros where it had none), the file's length is the synced
 *       one, the current one or a page boundary between, and each directory entry changed since its
 *       directory's last fsync is in its old or its new state, entry by entry. Choices come from
 *       the seed, so a failure replays.
 * </ul>
 */
public final class Crash {
  private final int pageBytes;
  private final long seed;

  private Crash(int pageBytes, long seed) {
    this.pageBytes = pageBytes;
    this.seed = seed;
  }

  /** Loses everything not made durable. */
  public static Crash loseUnsynced() {
    return new Crash(0, 0);
  }

  /** Keeps a seeded random part of what was not made durable, at {@code pageBytes} granularity. */
  public static Crash torn(int pageBytes, long seed) {
    if (pageBytes < 1) {
      throw new IllegalArgumentException("pageBytes must be at least 1, was " + pageBytes);
    }
    return new Crash(pageBytes, seed);
  }

  boolean isTorn() {
    return pageBytes > 0;
  }

  int pageBytes() {
    return pageBytes;
  }

  long seed() {
    return seed;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Crash && ((Crash) o).pageBytes == pageBytes && ((Crash) o).seed == seed;
  }

  @Override
  public int hashCode() {
    return Objects.hash(pageBytes, seed);
  }

  @Override
  public String toString() {
    return isTorn() ? "torn(" + pageBytes + ", seed " + seed + ")" : "loseUnsynced()";
  }
}
