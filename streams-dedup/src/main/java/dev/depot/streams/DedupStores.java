package dev.depot.streams;

/**
 * Factories of deduplication state stores.
 *
 * <pre>{@code
 * StoreBuilder<?> store = DedupStores.timeKeySet("dedup")
 *     .retention(Duration.ofDays(7))
 *     .segmentInterval(Duration.ofHours(1))
 *     .memoryLimit(MemoryLimit.MEDIUM);
 * }</pre>
 */
public final class DedupStores {
  private DedupStores() {}

  /**
   * A persistent store of time keys, backed by a {@link dev.depot.store.timekey.TimeKeyStreamSet}
   * under the task's state directory, with a changelog topic (logging enabled by default).
   */
  public static TimeKeyStoreBuilder timeKeySet(String name) {
    return new TimeKeyStoreBuilder(name);
  }
}
