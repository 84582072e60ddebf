package dev.depot.connect;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;

/**
 * A Kafka Connect sink that stores each topic-partition in its own depot queue, at {@code
 * <depot.path>/<topic>/<partition>/}, exactly once: every record's offset is kept with it in the
 * queue, a task resumes after the last record its queue holds, and offsets are committed to Kafka
 * only for records on stable storage.
 *
 * <pre>
 * {
 *   "name": "depot-sink",
 *   "config": {
 *     "connector.class": "dev.depot.connect.DepotSinkConnector",
 *     "tasks.max": "2",
 *     "topics": "readings",
 *     "depot.path": "/var/lib/depot",
 *     "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
 *     "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter"
 *   }
 * }
 * </pre>
 *
 * See {@link DepotSinkConfig} for the settings.
 */
public class DepotSinkConnector extends SinkConnector {
  private Map<String, String> props;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    new DepotSinkConfig(props); // fail now, with the setting named, rather than in every task
    this.props = Map.copyOf(props);
  }

  @Override
  public Class<? extends Task> taskClass() {
    return DepotSinkTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    return Collections.nCopies(maxTasks, props);
  }

  @Override
  public void stop() {
    // nothing held: each task owns its queues
  }

  @Override
  public ConfigDef config() {
    return DepotSinkConfig.CONFIG_DEF;
  }
}
