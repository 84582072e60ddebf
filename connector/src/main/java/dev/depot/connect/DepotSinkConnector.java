package dev.depot.connect;

import dev.depot.connect.internal.HeaderCheck;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.converters.ByteArrayConverter;
import org.apache.kafka.connect.sink.SinkConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *     "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
 *     "header.converter": "org.apache.kafka.connect.converters.ByteArrayConverter"
 *   }
 * }
 * </pre>
 *
 * See {@link DepotSinkConfig} for the settings. Headers are stored byte for byte only with {@code
 * header.converter} set to {@code ByteArrayConverter}: a config naming a converter that parses
 * header values is refused, unless {@code behavior.on.converted.headers=write}.
 */
public class DepotSinkConnector extends SinkConnector {
  private static final Logger LOG = LoggerFactory.getLogger(DepotSinkConnector.class);
  private Map<String, String> props;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    // fail now, with the setting named, rather than in every task
    DepotSinkConfig config = new DepotSinkConfig(props);
    String headers = HeaderCheck.configProblem(config);
    if (headers != null) {
      throw new ConfigException(headers);
    }
    if (HeaderCheck.applies(config) && config.headerConverter() == null) {
      LOG.warn(
          "header.converter is not set in the connector config, so the worker's applies (Kafka's"
              + " default, SimpleHeaderConverter, parses header values): a task fails at the first"
              + " header that does not arrive as bytes. Set header.converter={} to store headers"
              + " byte for byte",
          ByteArrayConverter.class.getName());
    }
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
  public Config validate(Map<String, String> props) {
    Config result = super.validate(props);
    boolean valid =
        result.configValues().stream().allMatch(value -> value.errorMessages().isEmpty());
    if (valid) {
      String headers = HeaderCheck.configProblem(new DepotSinkConfig(props));
      if (headers != null) {
        for (ConfigValue value : result.configValues()) {
          if (value.name().equals(DepotSinkConfig.CONVERTED_HEADERS_CONFIG)) {
            value.addErrorMessage(headers);
          }
        }
      }
    }
    return result;
  }

  @Override
  public ConfigDef config() {
    return DepotSinkConfig.CONFIG_DEF;
  }
}
