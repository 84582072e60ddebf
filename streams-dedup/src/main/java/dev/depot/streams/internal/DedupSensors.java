package dev.depot.streams.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.Sensor.RecordingLevel;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.common.metrics.stats.Rate;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The dedup processors' sensors (group {@code stream-dedup-metrics}, tags {@code thread-id} and
 * {@code dedup-id} = store and task): each a {@code -total} and a {@code -rate} summing what is
 * recorded (Streams' own rate-total sensors count calls; these count readings). Removed on close.
 */
final class DedupSensors {
  static final String GROUP = "stream-dedup-metrics";

  private final StreamsMetrics metrics;
  private final String entity;
  private final List<Sensor> sensors = new ArrayList<>();

  DedupSensors(StreamsMetrics metrics, String storeName, Object taskId) {
    this.metrics = metrics;
    this.entity = storeName + "-" + taskId;
  }

  Sensor add(String name) {
    String thread = Thread.currentThread().getName();
    Sensor sensor =
        metrics.addSensor(thread + ".dedup." + entity + "." + name, RecordingLevel.INFO);
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("thread-id", thread);
    tags.put("dedup-id", entity);
    String what = name.replace('-', ' ');
    sensor.add(
        new MetricName(name + "-total", GROUP, "The total of " + what, tags), new CumulativeSum());
    sensor.add(new MetricName(name + "-rate", GROUP, "Per second: " + what, tags), new Rate());
    sensors.add(sensor);
    return sensor;
  }

  void removeAll() {
    sensors.forEach(metrics::removeSensor);
    sensors.clear();
  }

  /** Where the record being processed comes from, for messages. */
  static String describe(RecordMetadata meta) {
    return meta == null
        ? "an unknown position (punctuation)"
        : "topic " + meta.topic() + " partition " + meta.partition() + " offset " + meta.offset();
  }
}
