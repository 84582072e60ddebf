package dev.depot.streams.app;

import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * The dedup application's own settings ({@code dedup.*}); every other key of its properties file
 * goes to Kafka Streams ({@code application.id}, {@code bootstrap.servers}, {@code
 * processing.guarantee}, {@code num.standby.replicas}, ...) or, for Avro, to Apicurio's serde
 * ({@code apicurio.registry.*}).
 */
public final class DedupAppConfig extends AbstractConfig {
  public static final String INPUT_TOPIC = "dedup.input.topic";
  public static final String OUTPUT_TOPIC = "dedup.output.topic";
  public static final String VALUE_FORMAT = "dedup.value.format";
  public static final String TIME_SOURCE = "dedup.time.source";
  public static final String TIME_FIELD = "dedup.time.field";
  public static final String USER_FIELD = "dedup.user.field";
  public static final String DEVICE_FIELD = "dedup.device.field";
  public static final String STORE_NAME = "dedup.store.name";
  public static final String SEGMENT_INTERVAL_MS = "dedup.segment.interval.ms";
  public static final String MEMORY_LIMIT_BYTES = "dedup.memory.limit.bytes";
  public static final String RETENTION_MS = "dedup.retention.ms";
  public static final String CHECKPOINT_INTERVAL_MS = "dedup.checkpoint.interval.ms";
  public static final String BAD_RECORDS = "dedup.bad.records";

  static final ConfigDef CONFIG_DEF =
      new ConfigDef()
          .define(
              INPUT_TOPIC,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Topic of readings to deduplicate.")
          .define(
              OUTPUT_TOPIC,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Topic the first occurrence of each reading goes to, unchanged.")
          .define(
              VALUE_FORMAT,
              Type.STRING,
              "json",
              ConfigDef.CaseInsensitiveValidString.in("json", "avro"),
              Importance.HIGH,
              "json: values are JSON objects (UTF-8 bytes, passed through as they are). avro: Avro"
                  + " records in the Confluent wire format, read and written with Apicurio's serde"
                  + " (set apicurio.registry.url).")
          .define(
              TIME_SOURCE,
              Type.STRING,
              "field",
              ConfigDef.CaseInsensitiveValidString.in("field", "record"),
              Importance.MEDIUM,
              "field: the reading's time is dedup.time.field (epoch microseconds). record: the"
                  + " record's timestamp (milliseconds).")
          .define(
              TIME_FIELD,
              Type.STRING,
              "ts_us",
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Field holding the reading's time, epoch microseconds.")
          .define(
              USER_FIELD,
              Type.STRING,
              "user_id",
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Field holding the user id (a 32-bit integer).")
          .define(
              DEVICE_FIELD,
              Type.STRING,
              "device_id",
              new ConfigDef.NonEmptyString(),
              Importance.MEDIUM,
              "Field holding the device id (a 32-bit integer).")
          .define(
              STORE_NAME,
              Type.STRING,
              "dedup",
              new ConfigDef.NonEmptyString(),
              Importance.LOW,
              "Name of the state store (and of its changelog topic's suffix).")
          .define(
              SEGMENT_INTERVAL_MS,
              Type.LONG,
              3_600_000L,
              Range.between(1L, 31_622_400_000L),
              Importance.MEDIUM,
              "Segment length of the time-key set.")
          .define(
              MEMORY_LIMIT_BYTES,
              Type.LONG,
              268_435_456L,
              Range.between(65_536L, 1L << 40),
              Importance.MEDIUM,
              "Memory each task's store may keep resident.")
          .define(
              RETENTION_MS,
              Type.LONG,
              604_800_000L,
              Range.atLeast(-1L),
              Importance.MEDIUM,
              "How long a reading is remembered behind the newest one; -1 forever.")
          .define(
              CHECKPOINT_INTERVAL_MS,
              Type.LONG,
              60_000L,
              Range.atLeast(0L),
              Importance.LOW,
              "Under at_least_once, how often each store writes its changed segments and changelog"
                  + " offsets to disk; a crash replays the changelog written since. Under"
                  + " exactly_once_v2 stores checkpoint on a clean close only.")
          .define(
              BAD_RECORDS,
              Type.STRING,
              "fail",
              ConfigDef.CaseInsensitiveValidString.in("fail", "skip"),
              Importance.MEDIUM,
              "A record without a usable time key: fail the application, naming its topic,"
                  + " partition and offset, or skip it (counted in bad-records-skipped-total).");

  public DedupAppConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props, false);
  }

  String lower(String key) {
    return getString(key).toLowerCase(Locale.ROOT);
  }
}
