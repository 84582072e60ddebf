package dev.depot.streams.app;

import dev.depot.registry.SchemaRegistryClient;
import dev.depot.streams.BadRecordHandling;
import dev.depot.streams.DedupProcessorSupplier;
import dev.depot.streams.DedupStores;
import dev.depot.streams.Deduplicate;
import dev.depot.streams.ReadingFields;
import dev.depot.streams.TimeKeyBatchExtractors;
import dev.depot.streams.TimeKeyExtractor;
import dev.depot.streams.TimeKeyExtractors;
import dev.depot.streams.TimeKeyStoreBuilder;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntFunction;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * The dedup application: reads readings from {@code dedup.input.topic}, forwards the first of each
 * time key to {@code dedup.output.topic}, drops the rest.
 *
 * <pre>
 * java -jar streams-dedup/target/depot-dedup-app.jar config/streams-dedup.properties [key=value ...]
 * </pre>
 *
 * Settings: see {@link DedupAppConfig} and {@code config/streams-dedup.properties}; {@code
 * key=value} arguments override the file. Stops cleanly (leaving its group) on SIGTERM or Ctrl-C.
 */
public final class DedupApp {
  private DedupApp() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args[0].equals("-h") || args[0].equals("--help")) {
      System.err.println("usage: java -jar depot-dedup-app.jar PROPERTIES_FILE [key=value ...]");
      System.exit(args.length < 1 ? 2 : 0);
      return;
    }
    Properties props;
    Topology topology;
    try {
      props = load(Path.of(args[0]), args);
      topology = topology(props);
    } catch (ConfigException | IllegalArgumentException | IOException e) {
      System.err.println("dedup: " + e.getMessage());
      System.exit(2);
      return;
    }
    KafkaStreams streams = new KafkaStreams(topology, props);
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setUncaughtExceptionHandler(
        e -> {
          System.err.println("dedup: stopping after an error: " + e.getMessage());
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.setStateListener(
        (now, before) -> {
          System.err.println("dedup: " + before + " -> " + now);
          if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
            stopped.countDown();
          }
        });
    streams.setGlobalStateRestoreListener(new RestoreLog());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  streams.close(
                      CloseOptions.groupMembershipOperation(
                              CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                          .withTimeout(Duration.ofSeconds(30)));
                  stopped.countDown();
                },
                "dedup-shutdown"));
    streams.start();
    stopped.await();
    streams.close(Duration.ofSeconds(30));
    System.exit(streams.state() == KafkaStreams.State.ERROR ? 1 : 0);
  }

  /**
   * One line on stderr per store partition when its restore ends: {@code dedup: restored N records
   * of STORE TOPIC-PARTITION in T ms}, what a restart cost (bench/run dedup-crash reads it).
   */
  private static final class RestoreLog implements StateRestoreListener {
    private final Map<TopicPartition, Long> started = new ConcurrentHashMap<>();

    @Override
    public void onRestoreStart(
        TopicPartition partition, String store, long startOffset, long endOffset) {
      started.put(partition, System.nanoTime());
    }

    @Override
    public void onBatchRestored(
        TopicPartition partition, String store, long batchEndOffset, long numRestored) {}

    @Override
    public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
      Long start = started.remove(partition);
      long millis = start == null ? 0 : (System.nanoTime() - start) / 1_000_000;
      System.err.println(
          "dedup: restored "
              + totalRestored
              + " records of "
              + store
              + " "
              + partition
              + " in "
              + millis
              + " ms");
    }
  }

  /** The properties file, with {@code key=value} arguments after the first overriding it. */
  static Properties load(Path file, String[] args) throws IOException {
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      props.load(reader);
    }
    for (int i = 1; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("expected key=value, got '" + args[i] + "'");
      }
      props.setProperty(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    return props;
  }

  /** The dedup topology the properties describe. */
  public static Topology topology(Properties props) {
    DedupAppConfig config = new DedupAppConfig(props);
    TimeKeyStoreBuilder store =
        DedupStores.timeKeySet(config.getString(DedupAppConfig.STORE_NAME))
            .segmentInterval(Duration.ofMillis(config.getLong(DedupAppConfig.SEGMENT_INTERVAL_MS)))
            .memoryLimit(config.getLong(DedupAppConfig.MEMORY_LIMIT_BYTES))
            .checkpointInterval(
                Duration.ofMillis(config.getLong(DedupAppConfig.CHECKPOINT_INTERVAL_MS)));
    long retention = config.getLong(DedupAppConfig.RETENTION_MS);
    if (retention > 0) {
      store.retention(Duration.ofMillis(retention));
    }
    BadRecordHandling badRecords =
        config.lower(DedupAppConfig.BAD_RECORDS).equals("skip")
            ? BadRecordHandling.SKIP
            : BadRecordHandling.FAIL;
    boolean batch = config.lower(DedupAppConfig.RECORD_LAYOUT).equals("batch");
    boolean avro = config.lower(DedupAppConfig.VALUE_FORMAT).equals("avro");
    boolean recordTime = config.lower(DedupAppConfig.TIME_SOURCE).equals("record");
    ReadingFields fields = fields(config, batch, avro);
    if (recordTime && batch) {
      throw new ConfigException(
          DedupAppConfig.TIME_SOURCE,
          "record",
          "a record's timestamp cannot tell the readings of a batch apart; use"
              + " dedup.time.source=field with dedup.record.layout=batch");
    }
    IntFunction<Schema> schemas = avro ? registry(config)::schemaById : null;
    DedupProcessorSupplier<byte[], byte[]> dedup;
    if (batch) {
      dedup =
          Deduplicate.newReadings(
              store.name(),
              avro
                  ? TimeKeyBatchExtractors.<byte[]>avro(schemas, fields)
                  : TimeKeyBatchExtractors.<byte[]>json(fields));
    } else if (recordTime) {
      String user = config.getString(DedupAppConfig.USER_FIELD);
      String device = config.getString(DedupAppConfig.DEVICE_FIELD);
      if (fields.stringIds() || user.isEmpty()) {
        throw new ConfigException(
            DedupAppConfig.TIME_SOURCE,
            "record",
            "takes integer user and device fields; use dedup.time.source=field for string ids or"
                + " no user field");
      }
      TimeKeyExtractor<byte[], byte[]> extractor;
      if (avro) {
        TimeKeyExtractor<byte[], IndexedRecord> fromRecord =
            TimeKeyExtractors.avroWithRecordTimestamp(user, device);
        WireAvroReader reader = new WireAvroReader(schemas);
        extractor = (k, v, ts) -> fromRecord.extract(k, reader.read(v), ts);
      } else {
        extractor = TimeKeyExtractors.jsonWithRecordTimestamp(user, device);
      }
      dedup = Deduplicate.firstSeen(store.name(), extractor);
    } else {
      dedup =
          Deduplicate.firstSeen(
              store.name(),
              avro
                  ? TimeKeyExtractors.<byte[]>avro(schemas, fields)
                  : TimeKeyExtractors.<byte[]>json(fields));
    }
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(
            config.getString(DedupAppConfig.INPUT_TOPIC),
            Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .processValues(dedup.withStore(store).onBadRecord(badRecords))
        .to(
            config.getString(DedupAppConfig.OUTPUT_TOPIC),
            Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    return builder.build();
  }

  private static ReadingFields fields(DedupAppConfig config, boolean batch, boolean avro) {
    String array = config.getString(DedupAppConfig.BATCH_FIELD);
    if (batch && avro && array.isEmpty()) {
      throw new ConfigException(
          DedupAppConfig.BATCH_FIELD,
          array,
          "an Avro batch is a record with an array field: name it (an empty name, a top-level"
              + " array, is for JSON only)");
    }
    ReadingFields fields =
        ReadingFields.defaults()
            .withArray(array)
            .withTime(config.getString(DedupAppConfig.TIME_FIELD))
            .withDevice(config.getString(DedupAppConfig.DEVICE_FIELD));
    String user = config.getString(DedupAppConfig.USER_FIELD);
    fields = user.isEmpty() ? fields.withoutUser() : fields.withUser(user);
    return config.lower(DedupAppConfig.ID_TYPE).equals("string") ? fields.withStringIds() : fields;
  }

  /** The registry client for Avro values; refuses Apicurio's own settings of earlier versions. */
  static SchemaRegistryClient registry(DedupAppConfig config) {
    String url = config.getString(DedupAppConfig.REGISTRY_URL).trim();
    if (url.isEmpty()) {
      Object old = config.originals().get("apicurio.registry.url");
      throw new ConfigException(
          DedupAppConfig.REGISTRY_URL,
          url,
          "is required with dedup.value.format=avro: the base URL of a Confluent-compatible"
              + " schema registry"
              + (old == null
                  ? ""
                  : " (apicurio.registry.url="
                      + old
                      + " is no longer read: for Apicurio, set"
                      + " dedup.registry.url to its /apis/ccompat/v7)"));
    }
    try {
      return SchemaRegistryClient.builder(url)
          .requestTimeout(Duration.ofMillis(config.getLong(DedupAppConfig.REGISTRY_TIMEOUT_MS)))
          .build();
    } catch (IllegalArgumentException e) {
      throw new ConfigException(DedupAppConfig.REGISTRY_URL, url, e.getMessage());
    }
  }
}
