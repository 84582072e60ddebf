package dev.depot.streams.internal;

import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.StreamsMetrics;

/**
 * Tells a store under {@code exactly_once_v2} that its stream thread has committed, which Kafka
 * Streams 4.3 does not: a running task's commits call no store method under exactly-once ({@code
 * StreamTask.postCommit} checkpoints only under at-least-once). The thread's {@code commit-total}
 * metric (group {@code stream-thread-metrics}, tag {@code thread-id}, a public metric) is recorded
 * after each commit of the thread's transaction, so a key inserted when the count was {@code c} is
 * committed once the count is above {@code c}; a transaction that aborts closes the task's stores
 * dirty instead, and Streams wipes them.
 *
 * <p>This is the one place that relies on that metric; {@code DedupCrashIT} fails if a Kafka
 * version renames it or records it elsewhere (the store then reports its files unusable after a
 * crash, and Streams restores it in full, as before).
 */
final class CommitWatch {
  static final String GROUP = "stream-thread-metrics";
  static final String NAME = "commit-total";

  private final StreamsMetrics metrics;
  private String thread;
  private Metric metric;

  CommitWatch(StreamsMetrics metrics) {
    this.metrics = metrics;
  }

  /** The calling stream thread's commit count, or -1 when it has no such metric. */
  long count() {
    String name = Thread.currentThread().getName();
    if (!name.equals(thread)) {
      thread = name;
      metric = find(metrics.metrics(), name);
    }
    if (metric == null) {
      return -1;
    }
    Object value = metric.metricValue();
    return value instanceof Number n ? (long) n.doubleValue() : -1;
  }

  private static Metric find(Map<MetricName, ? extends Metric> all, String thread) {
    for (Map.Entry<MetricName, ? extends Metric> e : all.entrySet()) {
      MetricName name = e.getKey();
      if (NAME.equals(name.name())
          && GROUP.equals(name.group())
          && thread.equals(name.tags().get("thread-id"))) {
        return e.getValue();
      }
    }
    return null;
  }
}
