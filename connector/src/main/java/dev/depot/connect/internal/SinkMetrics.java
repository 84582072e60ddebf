package dev.depot.connect.internal;

import java.util.LinkedHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.common.metrics.stats.Rate;

/**
 * The task's metrics, registered through the worker's {@link PluginMetrics} (KIP-877): they appear
 * in the worker's JMX and metrics reporters with the connector's and task's tags. Works without
 * metrics too (an older worker), then records nothing.
 */
public final class SinkMetrics implements AutoCloseable {
  /** Sensor names are global in the worker's registry: each task's get their own suffix. */
  private static final AtomicLong INSTANCES = new AtomicLong();

  private final PluginMetrics metrics;
  private final Sensor records;
  private final Sensor bytes;
  private final Sensor syncs;
  private final Sensor skipped;
  private final Sensor reported;

  public SinkMetrics(PluginMetrics metrics) {
    this.metrics = metrics;
    if (metrics == null) {
      records = bytes = syncs = skipped = reported = null;
      return;
    }
    String suffix = "-" + INSTANCES.incrementAndGet();
    records = metrics.addSensor("depot-records-written" + suffix);
    // recorded once per put with the count, so summed rather than counted
    records.add(name("records-written-total", "Records stored in the depot."), new CumulativeSum());
    records.add(name("records-written-rate", "Records stored per second."), new Rate());
    bytes = metrics.addSensor("depot-bytes-written" + suffix);
    bytes.add(name("bytes-written-total", "Item bytes stored in the depot."), new CumulativeSum());
    syncs = metrics.addSensor("depot-syncs" + suffix);
    syncs.add(name("syncs-total", "fsyncs of partition queues."), new CumulativeCount());
    syncs.add(name("sync-latency-avg", "Average time of a queue sync, ms."), new Avg());
    syncs.add(name("sync-latency-max", "Longest queue sync, ms."), new Max());
    skipped = metrics.addSensor("depot-records-skipped" + suffix);
    skipped.add(
        name("records-skipped-total", "Records delivered again that the depot already held."),
        new CumulativeCount());
    reported = metrics.addSensor("depot-records-reported" + suffix);
    reported.add(
        name("records-reported-total", "Records sent to the dead letter queue."),
        new CumulativeCount());
  }

  private MetricName name(String name, String description) {
    return metrics.metricName(name, description, new LinkedHashMap<>());
  }

  /** Notes {@code count} records of {@code itemBytes} bytes in all written. */
  void written(long count, long itemBytes) {
    if (records != null && count > 0) {
      records.record(count);
      bytes.record(itemBytes);
    }
  }

  void synced(double millis) {
    if (syncs != null) {
      syncs.record(millis);
    }
  }

  public void skipped() {
    if (skipped != null) {
      skipped.record();
    }
  }

  public void reported() {
    if (reported != null) {
      reported.record();
    }
  }

  /** Registers the partition's last synced offset; returns a handle to remove it. */
  MetricName lastSyncedOffset(TopicPartition tp, LongSupplier value) {
    if (metrics == null) {
      return null;
    }
    LinkedHashMap<String, String> tags = new LinkedHashMap<>();
    tags.put("topic", tp.topic());
    tags.put("partition", Integer.toString(tp.partition()));
    MetricName name =
        metrics.metricName(
            "last-synced-offset", "Offset of the newest record known on stable storage.", tags);
    metrics.addMetric(name, (Gauge<Long>) (config, now) -> value.getAsLong());
    return name;
  }

  void remove(MetricName name) {
    if (metrics != null && name != null) {
      metrics.removeMetric(name);
    }
  }

  @Override
  public void close() {
    // PluginMetrics is closed by the worker with the task
  }
}
