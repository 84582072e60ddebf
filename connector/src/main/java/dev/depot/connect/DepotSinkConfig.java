package dev.depot.connect;

import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.converters.ByteArrayConverter;
import org.apache.kafka.connect.storage.Converter;

/**
 * The settings of the depot sink connector. The worker adds its own keys ({@code topics}, {@code
 * topics.regex}, {@code errors.*}, {@code tasks.max}, ...); this class defines the connector's. The
 * reference in {@code docs/connector-config.md} is generated from {@link #CONFIG_DEF}.
 */
public class DepotSinkConfig extends AbstractConfig {
  static final String GROUP_STORAGE = "Storage";
  static final String GROUP_DURABILITY = "Durability";
  static final String GROUP_CONVERSION = "Conversion";

  public static final String PATH_CONFIG = "depot.path";
  static final String PATH_DOC =
      "Directory under which the connector keeps one depot queue per topic-partition, at"
          + " <depot.path>/<topic>/<partition>/. Created when missing. Several tasks (and workers"
          + " sharing the directory) may use it: each partition's queue has one writer at a time.";

  public static final String SEGMENT_BYTES_CONFIG = "depot.segment.bytes";
  static final String SEGMENT_BYTES_DOC =
      "Size at which a queue closes a segment file and starts the next. It also bounds the largest"
          + " stored record: segment bytes minus 44 (a larger record is reported to the dead letter"
          + " queue or fails the task).";
  static final long SEGMENT_BYTES_DEFAULT = 256L << 20;

  public static final String SYNC_POLICY_CONFIG = "depot.sync.policy";
  static final String SYNC_POLICY_DOC =
      "When queues are fsynced. 'commit': before every offset commit, so that Kafka never holds a"
          + " committed offset whose record is not on stable storage (the worker's"
          + " offset.flush.interval.ms sets the pace). 'interval': every depot.sync.interval.ms in"
          + " the background; offsets are committed up to what is synced. 'none': never (the"
          + " operating system writes back); offsets are committed only up to what was synced"
          + " when the queue was opened. In every case the depot itself holds the offsets: a task"
          + " resumes after the last record its queue holds.";
  static final String SYNC_POLICY_DEFAULT = "commit";

  public static final String SYNC_INTERVAL_MS_CONFIG = "depot.sync.interval.ms";
  static final String SYNC_INTERVAL_MS_DOC =
      "Period of the background sync with depot.sync.policy=interval.";
  static final long SYNC_INTERVAL_MS_DEFAULT = 1000;

  public static final String FORMAT_CONFIG = "depot.format";
  static final String FORMAT_DOC =
      "What each depot item holds. 'envelope': an Avro record with the topic, partition, offset,"
          + " timestamp and its type, key, value and headers (schema dev/depot/envelope/envelope.avsc;"
          + " `depot cat` decodes it). 'value': the value bytes alone, like a plain depot item (a"
          + " tombstone written as an empty item). Either way the record's offset is kept with the"
          + " item, and a queue keeps one format for its life.";
  static final String FORMAT_DEFAULT = "envelope";

  public static final String RETENTION_MS_CONFIG = "depot.retention.ms";
  static final String RETENTION_MS_DOC =
      "Delete whole segments last written longer ago than this; -1 keeps them (0 is refused). The"
          + " segment being written is never deleted.";

  public static final String RETENTION_BYTES_CONFIG = "depot.retention.bytes";
  static final String RETENTION_BYTES_DOC =
      "Delete the oldest whole segments of a partition's queue while it is larger than this; -1"
          + " keeps them (0 is refused).";

  public static final String NULL_VALUES_CONFIG = "behavior.on.null.values";
  static final String NULL_VALUES_DOC =
      "What to do with a record whose value is null (a tombstone). 'write': store it (null value in"
          + " the envelope, an empty item with depot.format=value). 'ignore': skip it. 'fail': fail"
          + " the task, naming the topic, partition and offset.";
  static final String NULL_VALUES_DEFAULT = "write";

  public static final String CONVERTED_HEADERS_CONFIG = "behavior.on.converted.headers";
  static final String CONVERTED_HEADERS_DOC =
      "What to do with header values that do not reach the sink as the bytes Kafka holds, because"
          + " the header converter parsed them (header.converter: when neither the connector nor"
          + " the worker config sets it, Kafka's SimpleHeaderConverter, which turns '007' into 7"
          + " and invalid UTF-8 into U+FFFD) or a transform set them. 'fail': refuse a connector"
          + " config whose header.converter is one of Kafka's converters that do so"
          + " (SimpleHeaderConverter, StringConverter, JsonConverter, the number and boolean"
          + " converters), and fail the task at the first record with such a header, naming it,"
          + " before storing it. 'write': store such headers as converted (strings as UTF-8, other"
          + " values as SimpleHeaderConverter writes them). With"
          + " header.converter=org.apache.kafka.connect.converters.ByteArrayConverter headers are"
          + " stored byte for byte. Only depot.format=envelope stores headers.";
  static final String CONVERTED_HEADERS_DEFAULT = "fail";

  public static final String KEY_CONVERTER_CONFIG = "depot.key.converter";
  static final String KEY_CONVERTER_DOC =
      "Converter that turns a record key that is not already bytes into bytes (for example when the"
          + " worker's key.converter produced a Struct). Configure it with keys prefixed"
          + " 'depot.key.converter.'. Byte array keys are stored as they are.";

  public static final String VALUE_CONVERTER_CONFIG = "depot.value.converter";
  static final String VALUE_CONVERTER_DOC =
      "Converter that turns a record value that is not already bytes into bytes. Configure it with"
          + " keys prefixed 'depot.value.converter.'. Byte array values are stored as they are.";

  /** Formats, policies and behaviours, lower case. */
  public enum SyncPolicy {
    COMMIT,
    INTERVAL,
    NONE
  }

  public enum Format {
    ENVELOPE,
    VALUE
  }

  public enum NullValues {
    WRITE,
    IGNORE,
    FAIL
  }

  public enum ConvertedHeaders {
    FAIL,
    WRITE
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
        GROUP_STORAGE,
        ++order,
        Width.LONG,
        "Depot directory");
    def.define(
        FORMAT_CONFIG,
        Type.STRING,
        FORMAT_DEFAULT,
        ConfigDef.CaseInsensitiveValidString.in("envelope", "value"),
        Importance.HIGH,
        FORMAT_DOC,
        GROUP_STORAGE,
        ++order,
        Width.SHORT,
        "Item format");
    def.define(
        SEGMENT_BYTES_CONFIG,
        Type.LONG,
        SEGMENT_BYTES_DEFAULT,
        Range.between(4096L, 4294967295L),
        Importance.MEDIUM,
        SEGMENT_BYTES_DOC,
        GROUP_STORAGE,
        ++order,
        Width.SHORT,
        "Segment size");
    def.define(
        RETENTION_MS_CONFIG,
        Type.LONG,
        -1L,
        new KeepOrAtLeastOne(),
        Importance.MEDIUM,
        RETENTION_MS_DOC,
        GROUP_STORAGE,
        ++order,
        Width.SHORT,
        "Retention time");
    def.define(
        RETENTION_BYTES_CONFIG,
        Type.LONG,
        -1L,
        new KeepOrAtLeastOne(),
        Importance.MEDIUM,
        RETENTION_BYTES_DOC,
        GROUP_STORAGE,
        ++order,
        Width.SHORT,
        "Retention size");
    order = 0;
    def.define(
        SYNC_POLICY_CONFIG,
        Type.STRING,
        SYNC_POLICY_DEFAULT,
        ConfigDef.CaseInsensitiveValidString.in("commit", "interval", "none"),
        Importance.HIGH,
        SYNC_POLICY_DOC,
        GROUP_DURABILITY,
        ++order,
        Width.SHORT,
        "Sync policy");
    def.define(
        SYNC_INTERVAL_MS_CONFIG,
        Type.LONG,
        SYNC_INTERVAL_MS_DEFAULT,
        Range.between(1L, 3_600_000L),
        Importance.MEDIUM,
        SYNC_INTERVAL_MS_DOC,
        GROUP_DURABILITY,
        ++order,
        Width.SHORT,
        "Sync interval (ms)");
    order = 0;
    def.define(
        NULL_VALUES_CONFIG,
        Type.STRING,
        NULL_VALUES_DEFAULT,
        ConfigDef.CaseInsensitiveValidString.in("write", "ignore", "fail"),
        Importance.MEDIUM,
        NULL_VALUES_DOC,
        GROUP_CONVERSION,
        ++order,
        Width.SHORT,
        "Null values");
    def.define(
        CONVERTED_HEADERS_CONFIG,
        Type.STRING,
        CONVERTED_HEADERS_DEFAULT,
        ConfigDef.CaseInsensitiveValidString.in("fail", "write"),
        Importance.MEDIUM,
        CONVERTED_HEADERS_DOC,
        GROUP_CONVERSION,
        ++order,
        Width.SHORT,
        "Converted headers");
    def.define(
        KEY_CONVERTER_CONFIG,
        Type.CLASS,
        ByteArrayConverter.class,
        new ConverterValidator(),
        Importance.LOW,
        KEY_CONVERTER_DOC,
        GROUP_CONVERSION,
        ++order,
        Width.LONG,
        "Key converter");
    def.define(
        VALUE_CONVERTER_CONFIG,
        Type.CLASS,
        ByteArrayConverter.class,
        new ConverterValidator(),
        Importance.LOW,
        VALUE_CONVERTER_DOC,
        GROUP_CONVERSION,
        ++order,
        Width.LONG,
        "Value converter");
    return def;
  }

  /**
   * Accepts -1 (keep everything) or a limit of at least 1. Zero is refused rather than read as
   * either "keep everything" or "delete every full segment at once".
   */
  static final class KeepOrAtLeastOne implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      if (value instanceof Long limit && limit != -1 && limit < 1) {
        throw new ConfigException(name, limit, "must be -1 (keep everything) or at least 1");
      }
    }

    @Override
    public String toString() {
      return "-1 (keep everything) or [1,...]";
    }
  }

  /** Accepts classes that implement Connect's {@link Converter}. */
  static final class ConverterValidator implements ConfigDef.Validator {
    @Override
    public void ensureValid(String name, Object value) {
      if (value instanceof Class<?> c && !Converter.class.isAssignableFrom(c)) {
        throw new ConfigException(
            name, c.getName(), "must implement org.apache.kafka.connect.storage.Converter");
      }
    }

    @Override
    public String toString() {
      return "a class implementing org.apache.kafka.connect.storage.Converter";
    }
  }

  public DepotSinkConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props);
  }

  public String path() {
    return getString(PATH_CONFIG);
  }

  public long segmentBytes() {
    return getLong(SEGMENT_BYTES_CONFIG);
  }

  public SyncPolicy syncPolicy() {
    return SyncPolicy.valueOf(getString(SYNC_POLICY_CONFIG).toUpperCase(Locale.ROOT));
  }

  public long syncIntervalMs() {
    return getLong(SYNC_INTERVAL_MS_CONFIG);
  }

  public Format format() {
    return Format.valueOf(getString(FORMAT_CONFIG).toUpperCase(Locale.ROOT));
  }

  public long retentionMs() {
    return getLong(RETENTION_MS_CONFIG);
  }

  public long retentionBytes() {
    return getLong(RETENTION_BYTES_CONFIG);
  }

  public NullValues nullValues() {
    return NullValues.valueOf(getString(NULL_VALUES_CONFIG).toUpperCase(Locale.ROOT));
  }

  public ConvertedHeaders convertedHeaders() {
    return ConvertedHeaders.valueOf(getString(CONVERTED_HEADERS_CONFIG).toUpperCase(Locale.ROOT));
  }

  /**
   * The connector config's {@code header.converter}, a worker setting that a connector config may
   * override; null when the connector config does not set it (the worker's applies).
   */
  public String headerConverter() {
    Object converter = originals().get("header.converter");
    return converter == null ? null : converter.toString().trim();
  }

  /** Whether the worker was told to tolerate bad records ({@code errors.tolerance=all}). */
  public boolean toleratesErrors() {
    Object tolerance = originals().get("errors.tolerance");
    return tolerance != null && "all".equalsIgnoreCase(tolerance.toString().trim());
  }
}
