package dev.depot.streams;

import dev.depot.store.timekey.MemoryLimit;
import dev.depot.store.timekey.TimeKeyStreamSet;
import dev.depot.streams.internal.TimeKeyStoreSupplier;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds a time-key set state store (see {@link DedupStores#timeKeySet}). Logging is enabled by
 * default: every new key goes to a changelog topic, from which the store is restored on another
 * instance and kept warm on standbys. The changelog deletes by time ({@code cleanup.policy=delete},
 * {@code retention.ms} = retention + segment interval, so it holds what the store may still hold);
 * with unlimited retention it is compacted instead. Caching is not supported: every insert must be
 * decided on the spot.
 */
public final class TimeKeyStoreBuilder implements StoreBuilder<KeyValueStore<Bytes, byte[]>> {
  static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofMinutes(1);

  private final String name;
  private Duration segmentInterval;
  private long memoryLimit = MemoryLimit.MEDIUM;
  private Duration retention;
  private Duration checkpointInterval = DEFAULT_CHECKPOINT_INTERVAL;
  private boolean logging = true;
  private Map<String, String> userLogConfig = new HashMap<>();

  TimeKeyStoreBuilder(String name) {
    this.name = Objects.requireNonNull(name, "name cannot be null");
  }

  /** Segment length of the set; default 1 hour. See {@link TimeKeyStreamSet.Builder}. */
  public TimeKeyStoreBuilder segmentInterval(Duration interval) {
    TimeKeyStreamSet.builder().segmentInterval(interval); // checks it, names the setting
    this.segmentInterval = interval;
    return this;
  }

  /**
   * Memory the store's resident segments may take, per task; default {@link MemoryLimit#MEDIUM}.
   */
  public TimeKeyStoreBuilder memoryLimit(long bytes) {
    TimeKeyStreamSet.builder().memoryLimit(bytes);
    this.memoryLimit = bytes;
    return this;
  }

  /**
   * How long keys are remembered behind the newest key (stream time, in the keys' own clock): older
   * segments are dropped whole, and a key older than that is taken as new. Default unlimited.
   */
  public TimeKeyStoreBuilder retention(Duration retention) {
    TimeKeyStreamSet.builder().retention(retention);
    this.retention = retention;
    return this;
  }

  /**
   * How often the store writes its changed segments (committed keys only) and the changelog offset
   * they reach to disk, under either guarantee; default 1 minute. After a crash the store reopens
   * from its files and Streams replays the changelog written since the last checkpoint.
   */
  public TimeKeyStoreBuilder checkpointInterval(Duration interval) {
    if (interval == null || interval.isNegative()) {
      throw new IllegalArgumentException(
          "checkpointInterval must be zero or more, was " + interval);
    }
    this.checkpointInterval = interval;
    return this;
  }

  /** Not supported: a cache would delay the store's answer to "was this key seen?". */
  @Override
  public TimeKeyStoreBuilder withCachingEnabled() {
    throw new UnsupportedOperationException(
        "the time-key store " + name + " decides on every insert; it cannot be cached");
  }

  @Override
  public TimeKeyStoreBuilder withCachingDisabled() {
    return this;
  }

  /**
   * Enables the changelog with extra topic configs on top of the defaults (which they override).
   */
  @Override
  public TimeKeyStoreBuilder withLoggingEnabled(Map<String, String> config) {
    logging = true;
    userLogConfig = new HashMap<>(Objects.requireNonNull(config, "config cannot be null"));
    return this;
  }

  /** No changelog: the store is then neither restored elsewhere nor kept warm on standbys. */
  @Override
  public TimeKeyStoreBuilder withLoggingDisabled() {
    logging = false;
    userLogConfig = new HashMap<>();
    return this;
  }

  @Override
  public Map<String, String> logConfig() {
    Map<String, String> config = new HashMap<>();
    if (retention == null) {
      config.put("cleanup.policy", "compact");
    } else {
      Duration interval =
          segmentInterval == null ? TimeKeyStreamSet.DEFAULT_SEGMENT_INTERVAL : segmentInterval;
      config.put("cleanup.policy", "delete");
      config.put("retention.ms", Long.toString(retention.plus(interval).toMillis()));
    }
    config.putAll(userLogConfig);
    return config;
  }

  @Override
  public boolean loggingEnabled() {
    return logging;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public KeyValueStore<Bytes, byte[]> build() {
    StoreBuilder<KeyValueStore<Bytes, byte[]>> builder =
        Stores.keyValueStoreBuilder(
                new TimeKeyStoreSupplier(
                    name, segmentInterval, memoryLimit, retention, checkpointInterval),
                Serdes.Bytes(),
                Serdes.ByteArray())
            .withCachingDisabled();
    builder = logging ? builder.withLoggingEnabled(logConfig()) : builder.withLoggingDisabled();
    return builder.build();
  }
}
