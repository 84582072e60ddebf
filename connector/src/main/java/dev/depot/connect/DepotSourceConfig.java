package dev.depot.connect;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.internals.Topic;

/**
 * The settings of the depot source connector. The worker adds its own keys ({@code tasks.max},
 * {@code errors.tolerance}, {@code offsets.storage.topic}, {@code transaction.boundary}, ...); this
 * class defines the connector's. The reference in {@code docs/source-connector-config.md} is
 * generated from {@link #CONFIG_DEF}.
 *
 * <pre>
 * depot.path=/var/lib/depot
 * replay.start=timestamp
 * replay.start.timestamp=2026-11-30T12:00:00Z
 * replay.stop=end
 * target.topic.prefix=restored.
 * </pre>
 */
public class DepotSourceConfig extends AbstractConfig {
  static final String GROUP_SOURCE = "Source";
  static final String GROUP_REPLAY = "Replay";
  static final String GROUP_TARGET = "Target";

  public static final String PATH_CONFIG = "depot.path";
  static final String PATH_DOC =
      "Directory the depot sink writes (its depot.path): every queue at"
          + " <depot.path>/<topic>/<partition>/ that holds a depot.format file is replayed. It must"
          + " exist and be readable; queues are opened read-only, so a sink may still be writing"
          + " them.";

  public static final String TOPICS_CONFIG = "source.topics";
  static final String TOPICS_DOC =
      "Topics whose queues to replay (directory names under depot.path), comma-separated. Empty:"
          + " every topic found there.";

  public static final String SCAN_INTERVAL_MS_CONFIG = "depot.scan.interval.ms";
  static final String SCAN_INTERVAL_MS_DOC =
      "How often the connector lists depot.path for queues that appeared (a new topic or"
          + " partition the sink started to store); a new queue makes Connect reassign the tasks.";
  static final long SCAN_INTERVAL_MS_DEFAULT = 10_000;

  public static final String START_CONFIG = "replay.start";
  static final String START_DOC =
      "Where each queue's replay starts. 'earliest': its oldest record. 'timestamp': its first"
          + " record whose timestamp is at or after replay.start.timestamp (as Kafka's"
          + " offsetsForTimes: records after that one are replayed whatever their timestamp)."
          + " 'offsets': for each queue named in replay.start.offsets, its first record whose Kafka"
          + " offset is at or after the one given; queues not named start at their oldest record."
          + " Applies to a queue that has no committed source offset; once records of a queue are"
          + " replayed, a restarted task resumes after the last one.";
  static final String START_DEFAULT = "earliest";

  public static final String START_TIMESTAMP_CONFIG = "replay.start.timestamp";
  static final String START_TIMESTAMP_DOC =
      "With replay.start=timestamp: the instant to start at, ISO-8601 (2026-11-30T12:00:00Z or"
          + " 2026-11-30T13:00:00+01:00).";

  public static final String START_OFFSETS_CONFIG = "replay.start.offsets";
  static final String START_OFFSETS_DOC =
      "With replay.start=offsets: a comma-separated list of <topic>:<partition>:<offset>, the"
          + " Kafka offset (of the stored topic) to start each queue at.";

  public static final String STOP_CONFIG = "replay.stop";
  static final String STOP_DOC =
      "Where each queue's replay stops. 'end': after the last record the queue held when its"
          + " replay started (kept in the source offsets, so a restarted task stops at the same"
          + " record). 'timestamp': before the first record whose timestamp is after"
          + " replay.stop.timestamp, and at the latest at 'end'. 'never': keep tailing the queue,"
          + " replaying records as the sink appends them. A task whose queues are all finished"
          + " stays running and idle.";
  static final String STOP_DEFAULT = "end";

  public static final String STOP_TIMESTAMP_CONFIG = "replay.stop.timestamp";
  static final String STOP_TIMESTAMP_DOC =
      "With replay.stop=timestamp: the last instant to replay, ISO-8601; records stamped after it"
          + " end the queue's replay.";

  public static final String BATCH_MAX_RECORDS_CONFIG = "replay.batch.max.records";
  static final String BATCH_MAX_RECORDS_DOC =
      "Most records one poll of a task returns. With exactly-once support each poll's records are"
          + " one producer transaction (transaction.boundary=poll, the default).";
  static final int BATCH_MAX_RECORDS_DEFAULT = 5000;

  public static final String POLL_WAIT_MS_CONFIG = "replay.poll.wait.ms";
  static final String POLL_WAIT_MS_DOC =
      "How long a poll waits for new records when every queue of the task is caught up, before"
          + " returning nothing to the worker (which then commits and polls again).";
  static final long POLL_WAIT_MS_DEFAULT = 1000;

  public static final String TOPIC_PREFIX_CONFIG = "target.topic.prefix";
  static final String TOPIC_PREFIX_DOC =
      "Prefix of every target topic: a record stored from topic T goes to <prefix><T> (after"
          + " target.topic.rename). Empty: the same topic name.";

  public static final String TOPIC_RENAME_CONFIG = "target.topic.rename";
  static final String TOPIC_RENAME_DOC =
      "Topics to replay under another name: a comma-separated list of <stored topic>:<target"
          + " topic>. target.topic.prefix is put before the result.";

  public static final String PARTITION_CONFIG = "target.partition";
  static final String PARTITION_DOC =
      "Which partition of the target topic each record goes to. 'same': the partition it was"
          + " stored from (the target topic needs at least as many partitions). 'by-key': the"
          + " producer's partitioner decides from the key bytes (Kafka's default partitioner, so"
          + " keyed records land as a keyed producer would put them); records without a key are"
          + " spread.";
  static final String PARTITION_DEFAULT = "same";

  public static final String ORIGIN_HEADERS_CONFIG = "origin.headers.enable";
  static final String ORIGIN_HEADERS_DOC =
      "Whether to add three headers to every replayed record, after its own, naming where it was"
          + " stored from: its topic, partition and offset, as UTF-8 text.";

  public static final String ORIGIN_TOPIC_HEADER_CONFIG = "origin.header.topic";
  static final String ORIGIN_TOPIC_HEADER_DOC =
      "Name of the header that holds the stored record's topic.";
  static final String ORIGIN_TOPIC_HEADER_DEFAULT = "depot.origin.topic";

  public static final String ORIGIN_PARTITION_HEADER_CONFIG = "origin.header.partition";
  static final String ORIGIN_PARTITION_HEADER_DOC =
      "Name of the header that holds the stored record's partition.";
  static final String ORIGIN_PARTITION_HEADER_DEFAULT = "depot.origin.partition";

  public static final String ORIGIN_OFFSET_HEADER_CONFIG = "origin.header.offset";
  static final String ORIGIN_OFFSET_HEADER_DOC =
      "Name of the header that holds the stored record's offset.";
  static final String ORIGIN_OFFSET_HEADER_DEFAULT = "depot.origin.offset";

  /** Where a replay starts. */
  public enum Start {
    EARLIEST,
    TIMESTAMP,
    OFFSETS
  }

  /** Where a replay stops. */
  public enum Stop {
    END,
    TIMESTAMP,
    NEVER
  }

  /** How the target partition is chosen. */
  public enum Partitioning {
    SAME,
    BY_KEY
  }

  public static final ConfigDef CONFIG_DEF = define();

  private static ConfigDef define() {
    ConfigDef def = new ConfigDef();
    int order = 0;
    def.define(
        PATH_CONFIG,
        Type.STRING,
        ConfigDef.NO_DEFAULT_VALUE,
        new ConfigDef.NonEmptyString(),
        Importance.HIGH,
        PATH_DOC,
        GROUP_SOURCE,
        ++order,
        Width.LONG,
        "Depot directory");
    def.define(
        TOPICS_CONFIG,
        Type.LIST,
        "",
        new ListValidator("a comma-separated list of topic names", DepotSourceConfig::checkTopics),
        Importance.MEDIUM,
        TOPICS_DOC,
        GROUP_SOURCE,
        ++order,
        Width.LONG,
        "Topics");
    def.define(
        SCAN_INTERVAL_MS_CONFIG,
        Type.LONG,
        SCAN_INTERVAL_MS_DEFAULT,
        Range.between(100L, 86_400_000L),
        Importance.LOW,
        SCAN_INTERVAL_MS_DOC,
        GROUP_SOURCE,
        ++order,
        Width.SHORT,
        "Scan interval (ms)");
    order = 0;
    def.define(
        START_CONFIG,
        Type.STRING,
        START_DEFAULT,
        ConfigDef.CaseInsensitiveValidString.in("earliest", "timestamp", "offsets"),
        Importance.HIGH,
        START_DOC,
        GROUP_REPLAY,
        ++order,
        Width.SHORT,
        "Start");
    def.define(
        START_TIMESTAMP_CONFIG,
        Type.STRING,
        null,
        new Iso8601(),
        Importance.MEDIUM,
        START_TIMESTAMP_DOC,
        GROUP_REPLAY,
        ++order,
        Width.MEDIUM,
        "Start timestamp");
    def.define(
        START_OFFSETS_CONFIG,
        Type.LIST,
        "",
        new ListValidator(
            "a comma-separated list of <topic>:<partition>:<offset>",
            DepotSourceConfig::parseStartOffsets),
        Importance.MEDIUM,
        START_OFFSETS_DOC,
        GROUP_REPLAY,
        ++order,
        Width.LONG,
        "Start offsets");
    def.define(
        STOP_CONFIG,
        Type.STRING,
        STOP_DEFAULT,
        ConfigDef.CaseInsensitiveValidString.in("end", "timestamp", "never"),
        Importance.HIGH,
        STOP_DOC,
        GROUP_REPLAY,
        ++order,
        Width.SHORT,
        "Stop");
    def.define(
        STOP_TIMESTAMP_CONFIG,
        Type.STRING,
        null,
        new Iso8601(),
        Importance.MEDIUM,
        STOP_TIMESTAMP_DOC,
        GROUP_REPLAY,
        ++order,
        Width.MEDIUM,
        "Stop timestamp");
    def.define(
        BATCH_MAX_RECORDS_CONFIG,
        Type.INT,
        BATCH_MAX_RECORDS_DEFAULT,
        Range.between(1, 1_000_000),
        Importance.LOW,
        BATCH_MAX_RECORDS_DOC,
        GROUP_REPLAY,
        ++order,
        Width.SHORT,
        "Records per poll");
    def.define(
        POLL_WAIT_MS_CONFIG,
        Type.LONG,
        POLL_WAIT_MS_DEFAULT,
        Range.between(1L, 60_000L),
        Importance.LOW,
        POLL_WAIT_MS_DOC,
        GROUP_REPLAY,
        ++order,
        Width.SHORT,
        "Poll wait (ms)");
    order = 0;
    def.define(
        TOPIC_PREFIX_CONFIG,
        Type.STRING,
        "",
        Importance.MEDIUM,
        TOPIC_PREFIX_DOC,
        GROUP_TARGET,
        ++order,
        Width.MEDIUM,
        "Topic prefix");
    def.define(
        TOPIC_RENAME_CONFIG,
        Type.LIST,
        "",
        new ListValidator(
            "a comma-separated list of <stored topic>:<target topic>",
            DepotSourceConfig::parseRenames),
        Importance.MEDIUM,
        TOPIC_RENAME_DOC,
        GROUP_TARGET,
        ++order,
        Width.LONG,
        "Topic renames");
    def.define(
        PARTITION_CONFIG,
        Type.STRING,
        PARTITION_DEFAULT,
        ConfigDef.CaseInsensitiveValidString.in("same", "by-key"),
        Importance.MEDIUM,
        PARTITION_DOC,
        GROUP_TARGET,
        ++order,
        Width.SHORT,
        "Partition");
    def.define(
        ORIGIN_HEADERS_CONFIG,
        Type.BOOLEAN,
        true,
        Importance.MEDIUM,
        ORIGIN_HEADERS_DOC,
        GROUP_TARGET,
        ++order,
        Width.SHORT,
        "Origin headers");
    def.define(
        ORIGIN_TOPIC_HEADER_CONFIG,
        Type.STRING,
        ORIGIN_TOPIC_HEADER_DEFAULT,
        new ConfigDef.NonEmptyString(),
        Importance.LOW,
        ORIGIN_TOPIC_HEADER_DOC,
        GROUP_TARGET,
        ++order,
        Width.MEDIUM,
        "Topic header");
    def.define(
        ORIGIN_PARTITION_HEADER_CONFIG,
        Type.STRING,
        ORIGIN_PARTITION_HEADER_DEFAULT,
        new ConfigDef.NonEmptyString(),
        Importance.LOW,
        ORIGIN_PARTITION_HEADER_DOC,
        GROUP_TARGET,
        ++order,
        Width.MEDIUM,
        "Partition header");
    def.define(
        ORIGIN_OFFSET_HEADER_CONFIG,
        Type.STRING,
        ORIGIN_OFFSET_HEADER_DEFAULT,
        new ConfigDef.NonEmptyString(),
        Importance.LOW,
        ORIGIN_OFFSET_HEADER_DOC,
        GROUP_TARGET,
        ++order,
        Width.MEDIUM,
        "Offset header");
    return def;
  }

  /** Accepts an ISO-8601 instant with a zone offset, or nothing. */
  static final class Iso8601 implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      if (value != null) {
        parseInstant(name, value.toString());
      }
    }

    @Override
    public String toString() {
      return "an ISO-8601 instant with its offset, such as 2026-11-30T12:00:00Z";
    }
  }

  static Instant parseInstant(String name, String text) {
    try {
      return OffsetDateTime.parse(text.trim()).toInstant();
    } catch (DateTimeException e) {
      throw new ConfigException(
          name, text, "not an ISO-8601 instant with its offset, such as 2026-11-30T12:00:00Z");
    }
  }

  /**
   * Accepts a list whose entries {@code check} accepts (it throws a ConfigException naming the bad
   * entry); {@code description} says what the list holds.
   */
  static final class ListValidator implements ConfigDef.Validator {
    private final String description;
    private final BiConsumer<String, List<?>> check;

    ListValidator(String description, BiConsumer<String, List<?>> check) {
      this.description = description;
      this.check = check;
    }

    @Override
    public void ensureValid(String name, Object value) {
      if (value instanceof List<?> list) {
        check.accept(name, list);
      }
    }

    @Override
    public String toString() {
      return description;
    }
  }

  /** Checks that every entry is a topic name as Kafka allows them. */
  private static void checkTopics(String name, List<?> topics) {
    for (Object topic : topics) {
      checkTopic(name, topic.toString(), topic.toString());
    }
  }

  private static void checkTopic(String name, String value, String topic) {
    try {
      Topic.validate(topic);
    } catch (RuntimeException e) {
      throw new ConfigException(name, value, e.getMessage());
    }
  }

  static Map<String, Long> parseStartOffsets(String name, List<?> entries) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (Object entry : entries) {
      String text = entry.toString();
      int last = text.lastIndexOf(':');
      int middle = last < 0 ? -1 : text.lastIndexOf(':', last - 1);
      if (middle <= 0) {
        throw new ConfigException(name, text, "expected <topic>:<partition>:<offset>");
      }
      String topic = text.substring(0, middle);
      checkTopic(name, text, topic);
      int partition;
      long offset;
      try {
        partition = Integer.parseInt(text.substring(middle + 1, last));
        offset = Long.parseLong(text.substring(last + 1));
      } catch (NumberFormatException e) {
        throw new ConfigException(
            name, text, "expected <topic>:<partition>:<offset> with two numbers");
      }
      if (partition < 0 || offset < 0) {
        throw new ConfigException(name, text, "partition and offset must be at least 0");
      }
      if (out.put(topic + "/" + partition, offset) != null) {
        throw new ConfigException(name, text, "names " + topic + ":" + partition + " twice");
      }
    }
    return out;
  }

  static Map<String, String> parseRenames(String name, List<?> entries) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Object entry : entries) {
      String text = entry.toString();
      int colon = text.indexOf(':');
      if (colon <= 0 || colon == text.length() - 1 || text.indexOf(':', colon + 1) >= 0) {
        throw new ConfigException(name, text, "expected <stored topic>:<target topic>");
      }
      String from = text.substring(0, colon);
      String to = text.substring(colon + 1);
      checkTopic(name, text, from);
      checkTopic(name, text, to);
      if (out.put(from, to) != null) {
        throw new ConfigException(name, text, "renames " + from + " twice");
      }
    }
    return out;
  }

  /**
   * Parses and checks the settings.
   *
   * @throws ConfigException naming the setting when a value, or a combination, is invalid
   */
  public DepotSourceConfig(Map<?, ?> props) {
    this(props, true);
  }

  private DepotSourceConfig(Map<?, ?> props, boolean crossCheck) {
    super(CONFIG_DEF, props);
    if (crossCheck) {
      Map<String, String> errors = crossCheck();
      if (!errors.isEmpty()) {
        throw new ConfigException(errors.values().iterator().next());
      }
    }
  }

  /** Each key checked alone; {@link #crossCheck()} tells what is wrong between them. */
  static DepotSourceConfig withoutCrossCheck(Map<?, ?> props) {
    return new DepotSourceConfig(props, false);
  }

  /**
   * Checks between keys, each valid alone: setting name to message. Shared by the constructor
   * (which throws the first) and {@link DepotSourceConnector#validate}, which shows them all.
   */
  Map<String, String> crossCheck() {
    Map<String, String> errors = new LinkedHashMap<>();
    Start start = start();
    if (start == Start.TIMESTAMP && getString(START_TIMESTAMP_CONFIG) == null) {
      errors.put(
          START_TIMESTAMP_CONFIG,
          "replay.start=timestamp needs replay.start.timestamp (an ISO-8601 instant such as"
              + " 2026-11-30T12:00:00Z)");
    }
    if (start == Start.OFFSETS && getList(START_OFFSETS_CONFIG).isEmpty()) {
      errors.put(
          START_OFFSETS_CONFIG,
          "replay.start=offsets needs replay.start.offsets (<topic>:<partition>:<offset>,...)");
    }
    if (stop() == Stop.TIMESTAMP) {
      if (getString(STOP_TIMESTAMP_CONFIG) == null) {
        errors.put(
            STOP_TIMESTAMP_CONFIG,
            "replay.stop=timestamp needs replay.stop.timestamp (an ISO-8601 instant such as"
                + " 2026-11-30T13:00:00Z)");
      } else if (start == Start.TIMESTAMP
          && getString(START_TIMESTAMP_CONFIG) != null
          && stopTimestampMs() < startTimestampMs()) {
        errors.put(
            STOP_TIMESTAMP_CONFIG,
            "replay.stop.timestamp="
                + getString(STOP_TIMESTAMP_CONFIG)
                + " is before replay.start.timestamp="
                + getString(START_TIMESTAMP_CONFIG)
                + ": nothing would be replayed");
      }
    }
    List<String> names =
        List.of(originTopicHeader(), originPartitionHeader(), originOffsetHeader());
    if (originHeaders() && names.stream().distinct().count() != names.size()) {
      errors.put(
          ORIGIN_OFFSET_HEADER_CONFIG,
          "origin.header.topic, origin.header.partition and origin.header.offset must differ,"
              + " were "
              + names);
    }
    return errors;
  }

  public String path() {
    return getString(PATH_CONFIG);
  }

  /** The topics to replay; empty for all. */
  public List<String> topics() {
    return getList(TOPICS_CONFIG);
  }

  public long scanIntervalMs() {
    return getLong(SCAN_INTERVAL_MS_CONFIG);
  }

  public Start start() {
    return Start.valueOf(getString(START_CONFIG).toUpperCase(Locale.ROOT));
  }

  /** The start instant in epoch milliseconds; only with {@code replay.start=timestamp}. */
  public long startTimestampMs() {
    return parseInstant(START_TIMESTAMP_CONFIG, getString(START_TIMESTAMP_CONFIG)).toEpochMilli();
  }

  /** {@code topic/partition} to the Kafka offset to start at. */
  public Map<String, Long> startOffsets() {
    return parseStartOffsets(START_OFFSETS_CONFIG, getList(START_OFFSETS_CONFIG));
  }

  public Stop stop() {
    return Stop.valueOf(getString(STOP_CONFIG).toUpperCase(Locale.ROOT));
  }

  /** The stop instant in epoch milliseconds; only with {@code replay.stop=timestamp}. */
  public long stopTimestampMs() {
    return parseInstant(STOP_TIMESTAMP_CONFIG, getString(STOP_TIMESTAMP_CONFIG)).toEpochMilli();
  }

  public int batchMaxRecords() {
    return getInt(BATCH_MAX_RECORDS_CONFIG);
  }

  public long pollWaitMs() {
    return getLong(POLL_WAIT_MS_CONFIG);
  }

  /** The topic a record stored from {@code topic} is replayed into. */
  public String targetTopic(String topic) {
    Map<String, String> renames = parseRenames(TOPIC_RENAME_CONFIG, getList(TOPIC_RENAME_CONFIG));
    return getString(TOPIC_PREFIX_CONFIG) + renames.getOrDefault(topic, topic);
  }

  public Partitioning partitioning() {
    return Partitioning.valueOf(
        getString(PARTITION_CONFIG).toUpperCase(Locale.ROOT).replace('-', '_'));
  }

  public boolean originHeaders() {
    return getBoolean(ORIGIN_HEADERS_CONFIG);
  }

  public String originTopicHeader() {
    return getString(ORIGIN_TOPIC_HEADER_CONFIG);
  }

  public String originPartitionHeader() {
    return getString(ORIGIN_PARTITION_HEADER_CONFIG);
  }

  public String originOffsetHeader() {
    return getString(ORIGIN_OFFSET_HEADER_CONFIG);
  }

  /** Whether the worker was told to tolerate bad records ({@code errors.tolerance=all}). */
  public boolean toleratesErrors() {
    Object tolerance = originals().get("errors.tolerance");
    return tolerance != null && "all".equalsIgnoreCase(tolerance.toString().trim());
  }
}
