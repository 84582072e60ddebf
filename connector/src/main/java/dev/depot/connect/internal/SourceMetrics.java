package dev.depot.connect.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Rate;

/**
 * The source task's metrics, registered through the worker's {@link PluginMetrics} (KIP-877), like
 * the sink's: records and bytes replayed, corrupt records skipped, and per queue the lag to its end
 * and the last offset replayed. Records nothing without metrics (an older worker). Thread-safe.
 */
public final class SourceMetrics {
  /** Sensor names are global in the worker's registry: each task's get their own suffix. */
  private static final AtomicLong INSTANCES = new AtomicLong();

  private final PluginMetrics metrics;
  private final Sensor records;
  private final Sensor bytes;
  private final Sensor corrupt;
  private final List<MetricName> gauges = new ArrayList<>();

  public SourceMetrics(PluginMetrics metrics) {
    this.metrics = metrics;
    if (metrics == null) {
      records = bytes = corrupt = null;
      return;
    }
    String suffix = "-" + INSTANCES.incrementAndGet();
    records = metrics.addSensor("depot-records-replayed" + suffix);
    records.add(
        name("records-replayed-total", "Records read from depot queues and handed to the worker."),
        new CumulativeSum()); // recorded once per read with the read's record count
    records.add(name("records-replayed-rate", "Records replayed per second."), new Rate());
    bytes = metrics.addSensor("depot-bytes-replayed" + suffix);
    bytes.add(
        name("bytes-replayed-total", "Item bytes of the records replayed."), new CumulativeSum());
    corrupt = metrics.addSensor("depot-records-corrupt" + suffix);
    corrupt.add(
        name(
            "records-corrupt-skipped-total",
            "Corrupt records stepped over with errors.tolerance=all (each is logged)."),
        new CumulativeCount());
  }

  private MetricName name(String name, String description) {
    return metrics.metricName(name, description, new LinkedHashMap<>());
  }

  /** Counts {@code count} records of {@code itemBytes} bytes in all: one update per read. */
  void replayed(int count, long itemBytes) {
    if (records != null && count > 0) {
      records.record(count);
      bytes.record(itemBytes);
    }
  }

  void corruptSkipped() {
    if (corrupt != null) {
      corrupt.record();
    }
  }

  /** Registers the queue's lag and last replayed offset. */
  void queue(SourceQueues.QueueRef ref, LongSupplier lag, LongSupplier lastOffset) {
    if (metrics == null) {
      return;
    }
    LinkedHashMap<String, String> tags = new LinkedHashMap<>();
    tags.put("topic", ref.topic());
    tags.put("partition", Integer.toString(ref.partition()));
    MetricName lagName =
        metrics.metricName(
            "replay-lag-records",
            "Kafka offsets between the last record replayed from the queue and the newest it"
                + " holds (0 once its replay is finished); refreshed at most every 5 s.",
            tags);
    metrics.addMetric(lagName, (Gauge<Long>) (config, now) -> lag.getAsLong());
    MetricName offsetName =
        metrics.metricName(
            "last-replayed-offset", "Kafka offset of the last record replayed, or -1.", tags);
    metrics.addMetric(offsetName, (Gauge<Long>) (config, now) -> lastOffset.getAsLong());
    synchronized (gauges) {
      gauges.add(lagName);
      gauges.add(offsetName);
    }
  }

  /** Removes the per-queue gauges. */
  public void close() {
    if (metrics == null) {
      return;
    }
    synchronized (gauges) {
      for (MetricName name : gauges) {
        metrics.removeMetric(name);
      }
      gauges.clear();
    }
  }
}
