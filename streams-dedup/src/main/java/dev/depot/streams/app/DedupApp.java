package dev.depot.streams.app;

import dev.depot.streams.BadRecordHandling;
import dev.depot.streams.DedupStores;
import dev.depot.streams.Deduplicate;
import dev.depot.streams.TimeKeyExtractor;
import dev.depot.streams.TimeKeyExtractors;
import dev.depot.streams.TimeKeyStoreBuilder;
import io.apicurio.registry.serde.avro.AvroSerde;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

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
    boolean recordTime = config.lower(DedupAppConfig.TIME_SOURCE).equals("record");
    String timeField = config.getString(DedupAppConfig.TIME_FIELD);
    String userField = config.getString(DedupAppConfig.USER_FIELD);
    String deviceField = config.getString(DedupAppConfig.DEVICE_FIELD);
    String input = config.getString(DedupAppConfig.INPUT_TOPIC);
    String output = config.getString(DedupAppConfig.OUTPUT_TOPIC);
    StreamsBuilder builder = new StreamsBuilder();
    if (config.lower(DedupAppConfig.VALUE_FORMAT).equals("avro")) {
      Serde<GenericRecord> values = new AvroSerde<>();
      values.configure(apicurioConfig(props), false);
      TimeKeyExtractor<byte[], IndexedRecord> extractor =
          recordTime
              ? TimeKeyExtractors.avroWithRecordTimestamp(userField, deviceField)
              : TimeKeyExtractors.avro(timeField, userField, deviceField);
      builder.stream(input, Consumed.with(Serdes.ByteArray(), values))
          .processValues(
              Deduplicate.<byte[], GenericRecord>firstSeen(
                      store.name(), (k, v, ts) -> extractor.extract(k, v, ts))
                  .withStore(store)
                  .onBadRecord(badRecords))
          .to(output, Produced.with(Serdes.ByteArray(), values));
    } else {
      TimeKeyExtractor<byte[], byte[]> extractor =
          recordTime
              ? TimeKeyExtractors.jsonWithRecordTimestamp(userField, deviceField)
              : TimeKeyExtractors.json(timeField, userField, deviceField);
      builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
          .processValues(
              Deduplicate.firstSeen(store.name(), extractor)
                  .withStore(store)
                  .onBadRecord(badRecords))
          .to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    }
    return builder.build();
  }

  /** Apicurio's serde settings: the Confluent wire format unless the file says otherwise. */
  static Map<String, Object> apicurioConfig(Properties props) {
    Map<String, Object> config = new HashMap<>();
    config.put("apicurio.registry.as-confluent", "true");
    config.put("apicurio.registry.use-id", "contentId");
    config.put("apicurio.registry.headers.enabled", "false");
    config.put("apicurio.registry.auto-register", "true");
    for (String key : props.stringPropertyNames()) {
      if (key.startsWith("apicurio.")) {
        config.put(key, props.getProperty(key));
      }
    }
    if (!config.containsKey("apicurio.registry.url")) {
      throw new ConfigException(
          "apicurio.registry.url", null, "is required with dedup.value.format=avro");
    }
    return config;
  }
}
