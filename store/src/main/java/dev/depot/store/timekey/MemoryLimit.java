package dev.depot.store.timekey;

/**
 * Presets for {@link TimeKeyStreamSet.Builder#memoryLimit(long)}, in bytes. What one preset holds
 * depends on the streams: a regular stream (a fixed sampling period) costs about 0.15 bytes per key
 * in memory, a jittery one about 2 bytes; the segment being written to must fit.
 */
public final class MemoryLimit {
  /** 64 MiB: a few hundred million regular keys resident. */
  public static final long LOW = 64L << 20;

  /** 256 MiB, the default. */
  public static final long MEDIUM = 256L << 20;

  /** 1 GiB. */
  public static final long HIGH = 1L << 30;

  private MemoryLimit() {}
}
