package dev.depot.store.queue;

import java.time.Duration;
import java.util.Objects;

/**
 * When a queue syncs on its own, besides explicit {@link DepotQueue#sync()} calls and {@link
 * DepotQueue#close()}.
 *
 * <ul>
 *   <li>{@link #none()}: never. Appended items reach the file system when the write buffer fills
 *       and reach the disk when the operating system writes them back; a power cut loses what was
 *       not synced, a process crash loses only what was still in the write buffer.
 *   <li>{@link #everyItems(long)} / {@link #everyBytes(long)}: the append that brings the unsynced
 *       count to the threshold syncs before it returns, so at most {@code n - 1} items (or bytes)
 *       are ever at risk.
 *   <li>{@link #interval(Duration)}: a background thread syncs every period when anything is
 *       unsynced (group commit): appends never wait for the disk, and at most one period of appends
 *       is at risk.
 * </ul>
 */
public final class SyncPolicy {
  enum Kind {
    NONE,
    ITEMS,
    BYTES,
    INTERVAL
  }

  private static final SyncPolicy NONE = new SyncPolicy(Kind.NONE, 0);

  private final Kind kind;
  private final long amount;

  private SyncPolicy(Kind kind, long amount) {
    this.kind = kind;
    this.amount = amount;
  }

  /** No automatic sync: only {@link DepotQueue#sync()} and {@link DepotQueue#close()} sync. */
  public static SyncPolicy none() {
    return NONE;
  }

  /** Syncs in the append that makes {@code items} unsynced items. */
  public static SyncPolicy everyItems(long items) {
    if (items < 1) {
      throw new IllegalArgumentException("sync items must be >= 1, was " + items);
    }
    return new SyncPolicy(Kind.ITEMS, items);
  }

  /** Syncs in the append that makes {@code bytes} unsynced item bytes. */
  public static SyncPolicy everyBytes(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("sync bytes must be >= 1, was " + bytes);
    }
    return new SyncPolicy(Kind.BYTES, bytes);
  }

  /** Syncs from a background thread every {@code period} while anything is unsynced. */
  public static SyncPolicy interval(Duration period) {
    Objects.requireNonNull(period, "period cannot be null");
    if (period.toMillis() < 1) {
      throw new IllegalArgumentException("sync interval must be at least 1 ms, was " + period);
    }
    return new SyncPolicy(Kind.INTERVAL, period.toMillis());
  }

  /** Items per sync for {@link #everyItems}, else 0. */
  public long items() {
    return kind == Kind.ITEMS ? amount : 0;
  }

  /** Bytes per sync for {@link #everyBytes}, else 0. */
  public long bytes() {
    return kind == Kind.BYTES ? amount : 0;
  }

  /** The period for {@link #interval}, else {@link Duration#ZERO}. */
  public Duration period() {
    return kind == Kind.INTERVAL ? Duration.ofMillis(amount) : Duration.ZERO;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SyncPolicy p && p.kind == kind && p.amount == amount;
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Long.hashCode(amount);
  }

  @Override
  public String toString() {
    switch (kind) {
      case ITEMS:
        return "every " + amount + " items";
      case BYTES:
        return "every " + amount + " bytes";
      case INTERVAL:
        return "every " + amount + " ms";
      default:
        return "none";
    }
  }
}
