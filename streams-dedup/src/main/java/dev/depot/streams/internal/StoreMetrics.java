package dev.depot.streams.internal;

import dev.depot.store.timekey.TimeKeyStats;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.MeasurableStat;
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.StateStoreContext;

/**
 * Gauges of one time-key store, in Streams' store-level group {@code stream-state-metrics} with the
 * tags Streams gives its own stores ({@code thread-id}, {@code task-id}, {@code timekey-state-id}):
 * {@code keys}, {@code memory-bytes}, {@code memory-limit-bytes}, {@code disk-bytes}, {@code
 * evictions-total}. Read from the set's stats when a reporter asks.
 */
final class StoreMetrics {
  static final String GROUP = "stream-state-metrics";

  private final StreamsMetrics streamsMetrics;
  private final Sensor sensor;

  private StoreMetrics(StreamsMetrics streamsMetrics, Sensor sensor) {
    this.streamsMetrics = streamsMetrics;
    this.sensor = sensor;
  }

  static StoreMetrics register(
      StateStoreContext context, String store, Supplier<TimeKeyStats> stats, long memoryLimit) {
    String thread = Thread.currentThread().getName();
    String task = context.taskId().toString();
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("thread-id", thread);
    tags.put("task-id", task);
    tags.put(TimeKeyStoreSupplier.METRICS_SCOPE + "-state-id", store);
    StreamsMetrics metrics = context.metrics();
    // the sensor name must be unique in the client: one per thread, task and store
    Sensor sensor =
        metrics.addSensor(
            "depot-timekey." + thread + "." + task + "." + store, Sensor.RecordingLevel.INFO);
    gauge(sensor, "keys", "Keys in the store", tags, stats, TimeKeyStats::keys);
    gauge(
        sensor,
        "memory-bytes",
        "Memory the store's resident segments take",
        tags,
        stats,
        TimeKeyStats::bytesInMemory);
    gauge(
        sensor,
        "memory-limit-bytes",
        "The memory limit the store evicts segments to disk to keep",
        tags,
        stats,
        s -> memoryLimit);
    gauge(
        sensor,
        "disk-bytes",
        "Size of the store's segment files",
        tags,
        stats,
        TimeKeyStats::bytesOnDisk);
    gauge(
        sensor,
        "evictions-total",
        "Segments written out and dropped from memory since the store opened",
        tags,
        stats,
        TimeKeyStats::evictions);
    return new StoreMetrics(metrics, sensor);
  }

  private static void gauge(
      Sensor sensor,
      String name,
      String description,
      Map<String, String> tags,
      Supplier<TimeKeyStats> stats,
      ToLongFunction<TimeKeyStats> value) {
    sensor.add(
        new MetricName(name, GROUP, description, tags),
        new MeasurableStat() {
          @Override
          public void record(MetricConfig config, double ignored, long timeMs) {}

          @Override
          public double measure(MetricConfig config, long now) {
            return value.applyAsLong(stats.get());
          }
        });
  }

  void remove() {
    streamsMetrics.removeSensor(sensor);
  }
}
