package dev.depot.connect;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.metrics.PluginMetrics;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;

/**
 * A SourceTaskContext whose offset storage holds what a test committed: the source offsets of the
 * records it "wrote". (A plain implementation of Kafka's interface; the ITs run a real worker.)
 */
final class SourceTestContext implements SourceTaskContext {
  final Map<String, String> configs;
  final Map<Map<String, Object>, Map<String, Object>> committed = new HashMap<>();

  SourceTestContext(Map<String, String> configs) {
    this.configs = configs;
  }

  /** Commits the source offset of {@code record}, as the worker does once it is written. */
  void commit(SourceRecord record) {
    @SuppressWarnings("unchecked")
    Map<String, Object> partition = (Map<String, Object>) record.sourcePartition();
    @SuppressWarnings("unchecked")
    Map<String, Object> offset = (Map<String, Object>) record.sourceOffset();
    committed.put(partition, offset);
  }

  @Override
  public Map<String, String> configs() {
    return configs;
  }

  @Override
  public OffsetStorageReader offsetStorageReader() {
    return new OffsetStorageReader() {
      @Override
      public <T> Map<String, Object> offset(Map<String, T> partition) {
        return committed.get(partition);
      }

      @Override
      public <T> Map<Map<String, T>, Map<String, Object>> offsets(
          Collection<Map<String, T>> partitions) {
        Map<Map<String, T>, Map<String, Object>> out = new HashMap<>();
        for (Map<String, T> partition : partitions) {
          out.put(partition, committed.get(partition));
        }
        return out;
      }
    };
  }

  @Override
  public PluginMetrics pluginMetrics() {
    return null;
  }
}
