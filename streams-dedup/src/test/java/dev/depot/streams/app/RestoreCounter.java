package dev.depot.streams.app;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;

/** Counts the records Streams restores into active tasks, per changelog partition. */
final class RestoreCounter implements StateRestoreListener {
  final Map<TopicPartition, Long> restored = new ConcurrentHashMap<>();

  long total() {
    return restored.values().stream().mapToLong(Long::longValue).sum();
  }

  @Override
  public void onRestoreStart(TopicPartition partition, String store, long start, long end) {}

  @Override
  public void onBatchRestored(TopicPartition partition, String store, long end, long count) {
    restored.merge(partition, count, Long::sum);
  }

  @Override
  public void onRestoreEnd(TopicPartition partition, String store, long total) {}
}
