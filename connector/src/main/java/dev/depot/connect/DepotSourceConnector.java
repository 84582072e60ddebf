package dev.depot.connect;

import dev.depot.connect.internal.QueueReplayer;
import dev.depot.connect.internal.SourceQueues;
import dev.depot.connect.internal.SourceQueues.QueueRef;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.converters.ByteArrayConverter;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.ConnectorTransactionBoundaries;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka Connect source that replays the depot queues the {@link DepotSinkConnector} wrote back
 * into Kafka: key, value, headers and timestamp as stored, into the same topic and partition by
 * default, exactly once on a worker with {@code exactly.once.source.support=enabled} (KIP-618).
 *
 * <pre>
 * {
 *   "name": "depot-source",
 *   "config": {
 *     "connector.class": "dev.depot.connect.DepotSourceConnector",
 *     "tasks.max": "2",
 *     "depot.path": "/var/lib/depot",
 *     "target.topic.prefix": "restored.",
 *     "replay.start": "earliest",
 *     "replay.stop": "end",
 *     "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
 *     "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
 *     "header.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
 *     "exactly.once.support": "required",
 *     "offsets.storage.topic": "depot-source-offsets"
 *   }
 * }
 * </pre>
 *
 * <p>The queues under {@code depot.path} are spread over {@code tasks.max} tasks, each queue
 * replayed by one task. A watcher thread lists {@code depot.path} every {@code
 * depot.scan.interval.ms} and asks Connect to reassign the tasks when queues appear or go. See
 * {@link DepotSourceConfig} for the settings.
 */
public class DepotSourceConnector extends SourceConnector {
  private static final Logger LOG = LoggerFactory.getLogger(DepotSourceConnector.class);

  private static final String BYTE_ARRAY = ByteArrayConverter.class.getName();

  private Map<String, String> props;
  private DepotSourceConfig config;
  private ScheduledExecutorService watcher;

  /** The queues the last {@link #taskConfigs} call spread, or null before it. */
  private volatile List<QueueRef> assigned;

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = new DepotSourceConfig(props); // fail now, with the setting named
    this.props = Map.copyOf(props);
    Path root = Path.of(config.path());
    SourceQueues.checkRoot(root, DepotSourceConfig.PATH_CONFIG);
    warnOnConverters(props);
    assigned = null;
    String name = props.getOrDefault("name", "depot-source");
    watcher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "depot-source-watcher-" + name);
              t.setDaemon(true);
              return t;
            });
    long interval = config.scanIntervalMs();
    watcher.scheduleWithFixedDelay(this::scan, interval, interval, TimeUnit.MILLISECONDS);
  }

  /** Records are bytes: any converter but ByteArrayConverter would rewrite them. */
  private static void warnOnConverters(Map<String, String> props) {
    for (String key : List.of("key.converter", "value.converter", "header.converter")) {
      String value = props.get(key);
      if (value == null) {
        LOG.warn(
            "{} is not set on the connector, so the worker's applies: replayed records are"
                + " stored bytes, and only {} writes them unchanged; set {}={}",
            key,
            BYTE_ARRAY,
            key,
            BYTE_ARRAY);
      } else if (!value.trim().equals(BYTE_ARRAY)) {
        LOG.warn(
            "{}={} rewrites the stored bytes of replayed records; set {}={} to replay them"
                + " unchanged",
            key,
            value,
            key,
            BYTE_ARRAY);
      }
    }
  }

  /** The watcher: asks for new task configs when the queues under depot.path changed. */
  private void scan() {
    try {
      List<QueueRef> seen = listQueues();
      List<QueueRef> last = assigned;
      if (last != null && !seen.equals(last)) {
        LOG.info(
            "the queues under {} changed ({} before, {} now): reassigning the tasks",
            config.path(),
            last.size(),
            seen.size());
        assigned = seen; // ask once per change, even when Connect calls taskConfigs later
        context().requestTaskReconfiguration();
      }
    } catch (RuntimeException e) {
      LOG.warn("cannot list the queues under {}: {}", config.path(), e.getMessage());
    }
  }

  private List<QueueRef> listQueues() {
    return SourceQueues.list(
        Path.of(config.path()), config.topics(), DepotSourceConfig.PATH_CONFIG);
  }

  @Override
  public Class<? extends Task> taskClass() {
    return DepotSourceTask.class;
  }

  /** The queues round robin over at most {@code maxTasks} tasks, none for no queue. */
  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<QueueRef> queues = listQueues();
    assigned = queues;
    int tasks = Math.min(maxTasks, queues.size());
    List<List<QueueRef>> groups = new ArrayList<>();
    for (int t = 0; t < tasks; t++) {
      groups.add(new ArrayList<>());
    }
    for (int i = 0; i < queues.size(); i++) {
      groups.get(i % tasks).add(queues.get(i));
    }
    List<Map<String, String>> configs = new ArrayList<>();
    for (List<QueueRef> group : groups) {
      Map<String, String> task = new HashMap<>(props);
      task.put(
          DepotSourceTask.QUEUES_CONFIG,
          group.stream().map(QueueRef::toString).collect(Collectors.joining(",")));
      configs.add(task);
    }
    if (queues.isEmpty()) {
      LOG.warn(
          "no depot queues under {}={}{} yet: no task runs until one appears",
          DepotSourceConfig.PATH_CONFIG,
          config.path(),
          config.topics().isEmpty() ? "" : " for source.topics=" + config.topics());
    }
    return configs;
  }

  @Override
  public void stop() {
    if (watcher != null) {
      watcher.shutdownNow();
      watcher = null;
    }
  }

  @Override
  public ConfigDef config() {
    return DepotSourceConfig.CONFIG_DEF;
  }

  /** Adds the checks between keys (a start timestamp for replay.start=timestamp, ...). */
  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config result = super.validate(connectorConfigs);
    boolean valid = result.configValues().stream().allMatch(v -> v.errorMessages().isEmpty());
    if (!valid) {
      return result;
    }
    Map<String, String> errors;
    try {
      errors = DepotSourceConfig.withoutCrossCheck(connectorConfigs).crossCheck();
    } catch (ConfigException e) {
      return result; // reported per key above
    }
    for (ConfigValue value : result.configValues()) {
      String error = errors.get(value.name());
      if (error != null) {
        value.addErrorMessage(error);
      }
    }
    return result;
  }

  /**
   * Accepts resets ({@code DELETE /connectors/NAME/offsets}) and edits of offsets that name a queue
   * ({@code {"queue": "<topic>/<partition>"}}) and a depot id ({@code {"id": N}}, the record after
   * which the replay resumes; {@code offset} and {@code end} optional).
   */
  @Override
  public boolean alterOffsets(
      Map<String, String> connectorConfig, Map<Map<String, ?>, Map<String, ?>> offsets) {
    for (Map.Entry<Map<String, ?>, Map<String, ?>> e : offsets.entrySet()) {
      Object queue = e.getKey() == null ? null : e.getKey().get(QueueReplayer.PARTITION_KEY);
      try {
        QueueRef.parse(String.valueOf(queue));
      } catch (IllegalArgumentException bad) {
        throw new ConnectException(
            "source partition "
                + e.getKey()
                + " names no depot queue: expected {\"queue\": \"<topic>/<partition>\"}");
      }
      Map<String, ?> offset = e.getValue();
      if (offset == null) {
        continue; // a reset: the queue replays from replay.start again
      }
      for (String key :
          List.of(QueueReplayer.ID_KEY, QueueReplayer.OFFSET_KEY, QueueReplayer.END_KEY)) {
        Object value = offset.get(key);
        boolean required = key.equals(QueueReplayer.ID_KEY);
        if ((value == null && required)
            || (value != null && !(value instanceof Number n && n.longValue() >= -1))) {
          throw new ConnectException(
              "source offset "
                  + offset
                  + " of "
                  + queue
                  + ": '"
                  + key
                  + "' must be a depot id, a number (as GET /connectors/NAME/offsets shows it)");
        }
      }
    }
    return true;
  }

  /** Supported: source offsets are depot ids, committed in the producer transaction. */
  @Override
  public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
    return ExactlyOnceSupport.SUPPORTED;
  }

  /**
   * Unsupported: transactions end where Connect puts them (every poll, the default, or an
   * interval). A replay has no boundaries of its own to keep: any cut between two records resumes
   * exactly, since each record's source offset says where it lies in its queue.
   */
  @Override
  public ConnectorTransactionBoundaries canDefineTransactionBoundaries(
      Map<String, String> connectorConfig) {
    return ConnectorTransactionBoundaries.UNSUPPORTED;
  }
}
