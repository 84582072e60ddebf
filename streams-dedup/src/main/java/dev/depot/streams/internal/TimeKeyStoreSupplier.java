package dev.depot.streams.internal;

import java.time.Duration;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;

/** Supplies {@link TimeKeyStore}s with fixed options; Streams wraps them in its own layers. */
public final class TimeKeyStoreSupplier implements KeyValueBytesStoreSupplier {
  static final String METRICS_SCOPE = "timekey";

  private final String name;
  private final Duration segmentInterval;
  private final long memoryLimit;
  private final Duration retention;
  private final Duration checkpointInterval;

  /**
   * @param segmentInterval null for the set's default (or the interval its directory has)
   * @param retention null for unlimited
   * @param checkpointInterval how often the store writes a checkpoint under at-least-once
   */
  public TimeKeyStoreSupplier(
      String name,
      Duration segmentInterval,
      long memoryLimit,
      Duration retention,
      Duration checkpointInterval) {
    this.name = name;
    this.segmentInterval = segmentInterval;
    this.memoryLimit = memoryLimit;
    this.retention = retention;
    this.checkpointInterval = checkpointInterval;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public KeyValueStore<Bytes, byte[]> get() {
    return new TimeKeyStore(name, segmentInterval, memoryLimit, retention, checkpointInterval);
  }

  @Override
  public String metricsScope() {
    return METRICS_SCOPE;
  }
}
