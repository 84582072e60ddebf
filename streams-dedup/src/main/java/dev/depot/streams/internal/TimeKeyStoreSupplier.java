package dev.depot.streams.internal;

import java.time.Duration;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;

/** Supplies {@link TimeKeyStore}s with fixed options; Streams wraps them in its own layers. */
public final class TimeKeyStoreSupplier implements KeyValueBytesStoreSupplier {
  private final String name;
  private final Duration segmentInterval;
  private final long memoryLimit;
  private final Duration retention;

  /**
   * @param segmentInterval null for the set's default (or the interval its directory has)
   * @param retention null for unlimited
   */
  public TimeKeyStoreSupplier(
      String name, Duration segmentInterval, long memoryLimit, Duration retention) {
    this.name = name;
    this.segmentInterval = segmentInterval;
    this.memoryLimit = memoryLimit;
    this.retention = retention;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public KeyValueStore<Bytes, byte[]> get() {
    return new TimeKeyStore(name, segmentInterval, memoryLimit, retention);
  }

  @Override
  public String metricsScope() {
    return "timekey";
  }
}
