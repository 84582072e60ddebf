package dev.depot.streams.app;

import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.Width;
import org.apache.kafka.common.config.ConfigException;

/**
 * The dedup application's own settings ({@code dedup.*}); every other key of its properties file
 * goes to Kafka Streams ({@code application.id}, {@code bootstrap.servers}, {@code
 * processing.guarantee}, {@code num.standby.replicas}, ...). The reference in {@code
 * docs/dedup-app-config.md} is generated from {@link #CONFIG_DEF}.
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
  public static final String RECORD_LAYOUT = "dedup.record.layout";
  public static final String BATCH_FIELD = "dedup.batch.field";
  public static final String ID_TYPE = "dedup.id.type";
  public static final String REGISTRY_URL = "dedup.registry.url";
  public static final String REGISTRY_TIMEOUT_MS = "dedup.registry.timeout.ms";

  static final String GROUP_TOPICS = "Topics and records";
  static final String GROUP_KEYS = "Time keys";
  static final String GROUP_REGISTRY = "Schema registry";
  static final String GROUP_STORE = "State store";

  static final ConfigDef CONFIG_DEF = new ConfigDef();

  static {
    int order = 0;
    CONFIG_DEF
        .define(
            INPUT_TOPIC,
            Type.STRING,
            ConfigDef.NO_DEFAULT_VALUE,
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            "Topic of readings to deduplicate.",
            GROUP_TOPICS,
            ++order,
            Width.MEDIUM,
            "Input topic")
        .define(
            OUTPUT_TOPIC,
            Type.STRING,
            ConfigDef.NO_DEFAULT_VALUE,
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            "Topic the new readings go to: with dedup.record.layout=reading the first record of"
                + " each time key, unchanged; with batch, each record with only its new readings.",
            GROUP_TOPICS,
            ++order,
            Width.MEDIUM,
            "Output topic")
        .define(
            RECORD_LAYOUT,
            Type.STRING,
            "reading",
            ConfigDef.CaseInsensitiveValidString.in("reading", "batch"),
            Importance.HIGH,
            "reading: one reading per record. batch: a record holds an array of readings"
                + " (dedup.batch.field), an upload of a device or a gateway; it is checked with one"
                + " set insert, forwarded with only its new readings (same key, headers, timestamp,"
                + " schema; readings in their order), or dropped when none is new, and its new keys"
                + " go to the changelog as one record.",
            GROUP_TOPICS,
            ++order,
            Width.SHORT,
            "Record layout")
        .define(
            BATCH_FIELD,
            Type.STRING,
            "readings",
            Importance.MEDIUM,
            "With dedup.record.layout=batch, the field holding the array of readings. Empty: the"
                + " JSON value itself is the array (JSON only).",
            GROUP_TOPICS,
            ++order,
            Width.SHORT,
            "Batch array field")
        .define(
            VALUE_FORMAT,
            Type.STRING,
            "json",
            ConfigDef.CaseInsensitiveValidString.in("json", "avro"),
            Importance.HIGH,
            "json: values are JSON (UTF-8). avro: Avro in the Confluent wire format (magic byte 0,"
                + " 4-byte schema id, Avro binary), read with the writer schema fetched by id from"
                + " dedup.registry.url; records are forwarded with their own schema id, so the"
                + " registry is only read.",
            GROUP_TOPICS,
            ++order,
            Width.SHORT,
            "Value format")
        .define(
            BAD_RECORDS,
            Type.STRING,
            "fail",
            ConfigDef.CaseInsensitiveValidString.in("fail", "skip"),
            Importance.MEDIUM,
            "A record without usable time keys: fail the application, naming its topic,"
                + " partition and offset, or skip it (counted in bad-records-skipped-total).",
            GROUP_TOPICS,
            ++order,
            Width.SHORT,
            "Bad records")
        .define(
            TIME_SOURCE,
            Type.STRING,
            "field",
            ConfigDef.CaseInsensitiveValidString.in("field", "record"),
            Importance.MEDIUM,
            "field: the reading's time is dedup.time.field (epoch microseconds). record: the"
                + " record's timestamp (milliseconds; one reading per record only).",
            GROUP_KEYS,
            ++order,
            Width.SHORT,
            "Time source")
        .define(
            TIME_FIELD,
            Type.STRING,
            "ts_us",
            new ConfigDef.NonEmptyString(),
            Importance.MEDIUM,
            "Field of a reading holding its time, epoch microseconds.",
            GROUP_KEYS,
            ++order,
            Width.SHORT,
            "Time field")
        .define(
            USER_FIELD,
            Type.STRING,
            "user_id",
            Importance.MEDIUM,
            "Field holding the user id, in the reading or (batch layout) the record around the"
                + " array. Empty: there is none (user 0).",
            GROUP_KEYS,
            ++order,
            Width.SHORT,
            "User field")
        .define(
            DEVICE_FIELD,
            Type.STRING,
            "device_id",
            new ConfigDef.NonEmptyString(),
            Importance.MEDIUM,
            "Field holding the device id, in the reading or (batch layout) the record around the"
                + " array.",
            GROUP_KEYS,
            ++order,
            Width.SHORT,
            "Device field")
        .define(
            ID_TYPE,
            Type.STRING,
            "int",
            ConfigDef.CaseInsensitiveValidString.in("int", "string"),
            Importance.MEDIUM,
            "int: user and device ids are 32-bit integers. string: ids are strings (UUIDs, MAC"
                + " addresses), hashed with XXH64 into the key's 64-bit id; two devices are"
                + " confused only if their ids hash alike and they read at the same microsecond"
                + " (about n^2/2^65 for a fleet of n devices).",
            GROUP_KEYS,
            ++order,
            Width.SHORT,
            "Id type")
        .define(
            REGISTRY_URL,
            Type.STRING,
            "",
            Importance.HIGH,
            "Base URL of a Confluent-compatible schema registry (Confluent Schema Registry,"
                + " Karapace, Apicurio's /apis/ccompat/v7), required with dedup.value.format=avro."
                + " Only GET /schemas/ids/{id} is called, once per id.",
            GROUP_REGISTRY,
            ++order,
            Width.LONG,
            "Registry URL")
        .define(
            REGISTRY_TIMEOUT_MS,
            Type.LONG,
            10_000L,
            Range.between(1L, 600_000L),
            Importance.LOW,
            "Timeout of one registry request; failed requests are retried 3 times.",
            GROUP_REGISTRY,
            ++order,
            Width.SHORT,
            "Registry timeout")
        .define(
            STORE_NAME,
            Type.STRING,
            "dedup",
            new ConfigDef.NonEmptyString(),
            Importance.LOW,
            "Name of the state store (and of its changelog topic's suffix).",
            GROUP_STORE,
            ++order,
            Width.SHORT,
            "Store name")
        .define(
            SEGMENT_INTERVAL_MS,
            Type.LONG,
            3_600_000L,
            Range.between(1L, 31_622_400_000L),
            Importance.MEDIUM,
            "Segment length of the time-key set; fixed when a store is created.",
            GROUP_STORE,
            ++order,
            Width.SHORT,
            "Segment interval")
        .define(
            MEMORY_LIMIT_BYTES,
            Type.LONG,
            268_435_456L,
            Range.between(65_536L, 1L << 40),
            Importance.MEDIUM,
            "Memory each task's store may keep resident.",
            GROUP_STORE,
            ++order,
            Width.SHORT,
            "Memory limit")
        .define(
            RETENTION_MS,
            Type.LONG,
            604_800_000L,
            ConfigDef.LambdaValidator.with(
                (name, value) -> {
                  long ms = (Long) value;
                  if (ms != -1 && ms < 1) {
                    throw new ConfigException(name, value, "must be -1 (forever) or at least 1");
                  }
                },
                () -> "-1 (forever) or [1,...]"),
            Importance.MEDIUM,
            "How long a reading is remembered behind the newest one; -1 forever.",
            GROUP_STORE,
            ++order,
            Width.SHORT,
            "Retention")
        .define(
            CHECKPOINT_INTERVAL_MS,
            Type.LONG,
            60_000L,
            Range.atLeast(0L),
            Importance.LOW,
            "How often each store writes its changed segments (committed keys only) and the"
                + " changelog offset they reach to disk, under either guarantee; after a crash the"
                + " store resumes from there and Streams replays the changelog written since.",
            GROUP_STORE,
            ++order,
            Width.SHORT,
            "Checkpoint interval");
  }

  public DedupAppConfig(Map<?, ?> props) {
    super(CONFIG_DEF, props, false);
  }

  String lower(String key) {
    return getString(key).toLowerCase(Locale.ROOT);
  }
}
