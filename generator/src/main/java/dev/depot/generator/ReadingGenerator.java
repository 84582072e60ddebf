package dev.depot.generator;

import dev.depot.registry.ConfluentWire;
import dev.depot.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The quickstart's source of IoT readings: the benchmarks' seed workload ({@link SeedWorkload}:
 * users x devices at 10 Hz, each upload a batch of consecutive readings of one device, a share of
 * the uploads re-sent whole a few uploads later), moved to start at the current time, produced to
 * the readings topic keyed by device ({@code "<user>-<device>"}, so a device's readings share a
 * partition).
 *
 * <pre>{@code
 * java -jar depot-generator.jar --bootstrap-servers localhost:9092 --records 1000000 \
 *     --layout batch --registry-url http://localhost:8081  # Apicurio: .../apis/ccompat/v7
 * }</pre>
 *
 * <p>Two layouts ({@link Layout}): {@code batch}, one record per upload, its value a {@link
 * #BATCH_SCHEMA} ({@code {"user_id":..,"device_id":..,"readings":[{"ts_us":..,"user_id":..,
 * "device_id":..,"hr":..}, ...]}}); or {@code reading}, one record per reading, its value a {@link
 * #SCHEMA}. Values are Avro in the Confluent wire format (magic 0, 4-byte schema id, Avro binary),
 * the schema registered under {@code <topic>-value} through the Confluent REST API of any
 * compatible registry ({@link SchemaRegistryClient}); or JSON objects with the same fields. A
 * re-sent upload is the same key and the same value bytes as the first time.
 *
 * <p>The record count given ({@code records}) counts readings in both layouts. Re-sent uploads come
 * 1 to {@link #resendDelay(long)} uploads later, scaled to the run so that a short run sends some
 * too.
 *
 * <p>Thread-safety: {@link #run} is called once; the counters may be read from any thread.
 */
public final class ReadingGenerator {
  /** The readings' schema, registered under the subject {@code <topic>-value}. */
  public static final Schema SCHEMA =
      SchemaBuilder.record("Reading")
          .namespace("dev.depot.quickstart")
          .doc("One heart-rate sample of a wearable device.")
          .fields()
          .name("ts_us")
          .doc("When it was taken, epoch microseconds")
          .type()
          .longType()
          .noDefault()
          .requiredInt("user_id")
          .requiredInt("device_id")
          .name("hr")
          .doc("Heart rate, beats per minute")
          .type()
          .intType()
          .noDefault()
          .endRecord();

  /** The name of the array of readings in a batch record. */
  public static final String BATCH_FIELD = "readings";

  /** One upload's schema in the batch layout, registered under {@code <topic>-value}. */
  public static final Schema BATCH_SCHEMA =
      SchemaBuilder.record("ReadingBatch")
          .namespace("dev.depot.quickstart")
          .doc("One upload of a wearable device: consecutive readings.")
          .fields()
          .requiredInt("user_id")
          .requiredInt("device_id")
          .name(BATCH_FIELD)
          .type()
          .array()
          .items(SCHEMA)
          .noDefault()
          .endRecord();

  /** What one Kafka record holds. */
  public enum Layout {
    /** One upload of many readings ({@link #BATCH_SCHEMA}). */
    BATCH,
    /** One reading ({@link #SCHEMA}). */
    READING;

    /** {@code batch} or {@code reading}, as the dedup application's dedup.record.layout takes. */
    public String configValue() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code batch} or {@code reading} (any case).
     *
     * @throws IllegalArgumentException naming the value otherwise
     */
    public static Layout parse(String text) {
      for (Layout layout : values()) {
        if (layout.configValue().equalsIgnoreCase(text)) {
          return layout;
        }
      }
      throw new IllegalArgumentException("--layout must be batch or reading, was " + text);
    }
  }

  private static final int USERS = 1000;
  private static final int DEVICES_PER_USER = 4;
  private static final long PERIOD_MICROS = 100_000; // 10 Hz
  private static final Duration REGISTRY_WAIT = Duration.ofMinutes(2);

  private final String topic;
  private final long records;
  private final Layout layout;
  private final SeedWorkload workload;
  private final long shiftMicros;
  private final AtomicLong producedReadings = new AtomicLong();
  private final AtomicLong producedRecords = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong duplicateRecords = new AtomicLong();
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private volatile long firstSendNanos;
  private volatile long lastAckNanos;

  /**
   * @param records the readings to produce, in either layout
   * @param duplicateRate the share of uploads sent twice, 0 to 1
   * @param batchKeys readings per upload
   */
  public ReadingGenerator(
      String topic, long records, double duplicateRate, int batchKeys, Layout layout) {
    this.topic = Objects.requireNonNull(topic, "topic cannot be null");
    this.layout = Objects.requireNonNull(layout, "layout cannot be null");
    this.records = records;
    long uploads = (records + batchKeys - 1) / batchKeys;
    this.workload =
        new SeedWorkload(
                42, USERS, DEVICES_PER_USER, 1e6 / PERIOD_MICROS, batchKeys, duplicateRate, 0, 0, 1)
            .withDelay(resendDelay(uploads));
    // Readings of the recent past, the newest about now: broker and changelog retention keep
    // them, and none is in the future (a broker rejects timestamps over an hour ahead).
    long batchesPerDevice = records / batchKeys / (USERS * DEVICES_PER_USER) + 2;
    long span = batchesPerDevice * batchKeys * PERIOD_MICROS;
    long now = System.currentTimeMillis() * 1000;
    this.shiftMicros = now - now % 1_000_000 - span - SeedWorkload.EPOCH;
  }

  /**
   * The most uploads a re-sent upload comes after the first send, for a run of {@code uploads}: an
   * eighth of the run, at least 1, at most {@link SeedWorkload#DEFAULT_MAX_DELAY}. So most re-sends
   * fall due before the run ends (with a fixed 1 to 50, a run of 40 uploads sends almost none), and
   * a long run keeps the seed workload's schedule.
   */
  static int resendDelay(long uploads) {
    return (int) Math.max(1, Math.min(SeedWorkload.DEFAULT_MAX_DELAY, uploads / 8));
  }

  public Layout layout() {
    return layout;
  }

  /** Readings acknowledged by the broker so far. */
  public long produced() {
    return producedReadings.get();
  }

  /** Records acknowledged by the broker so far: uploads in the batch layout, else readings. */
  public long producedRecords() {
    return producedRecords.get();
  }

  /** The first send that failed, or null. */
  public Exception failure() {
    return failure.get();
  }

  /** Readings sent so far that repeat a reading sent before. */
  public long duplicates() {
    return duplicates.get();
  }

  /** Records sent so far whose every reading repeats one sent before. */
  public long duplicateRecords() {
    return duplicateRecords.get();
  }

  /** Nanos from the first send to the last acknowledgement. */
  public long elapsedNanos() {
    return lastAckNanos - firstSendNanos;
  }

  public long firstSendNanos() {
    return firstSendNanos;
  }

  /** What the workload's readings are shifted by to end about now, in microseconds. */
  long shiftMicros() {
    return shiftMicros;
  }

  /**
   * Produces every reading (acks=all, idempotent), unless {@code stop} turns true first. Returns
   * the number of readings sent, or -1 when it failed ({@link #failure()} says why).
   *
   * @param registryUrl the base URL of a Confluent-compatible registry API ({@code
   *     http://host:8081}, or Apicurio's {@code http://host:8080/apis/ccompat/v7}) for Avro values,
   *     or null for JSON values
   */
  public long run(String bootstrapServers, String registryUrl, BooleanSupplier stop) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    config.put(ProducerConfig.CLIENT_ID_CONFIG, "quickstart-generator");
    try {
      ValueEncoder values =
          registryUrl == null
              ? ValueEncoder.json()
              : ValueEncoder.avro(registerSchema(registryUrl));
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
        long sent =
            generate(
                values,
                stop,
                (key, timestampMillis, value, readings) ->
                    producer.send(
                        new ProducerRecord<>(topic, null, timestampMillis, key, value),
                        (metadata, error) -> {
                          if (error == null) {
                            producedReadings.addAndGet(readings);
                            producedRecords.incrementAndGet();
                            lastAckNanos = System.nanoTime();
                          } else {
                            failure.compareAndSet(null, error);
                          }
                        }));
        producer.flush();
        return sent;
      }
    } catch (RuntimeException e) {
      failure.compareAndSet(null, e);
      return -1;
    }
  }

  /** Where {@link #generate} puts each record. */
  interface RecordSink {
    void send(String key, long timestampMillis, byte[] value, int readings);
  }

  /**
   * Runs the workload into {@code sink} in this generator's layout, until {@code records} readings
   * are sent or {@code stop} turns true; counts the duplicates. Returns the readings sent.
   */
  long generate(ValueEncoder values, BooleanSupplier stop, RecordSink sink) {
    long[] micros = new long[workload.batchKeys()];
    long[] ids = new long[workload.batchKeys()];
    long sent = 0;
    firstSendNanos = System.nanoTime();
    while (sent < records && !stop.getAsBoolean()) {
      int n = (int) Math.min(workload.next(micros, ids), records - sent);
      boolean resend = workload.lastWasResend();
      for (int i = 0; i < n; i++) {
        micros[i] += shiftMicros;
      }
      // an upload is one device's: every id of it is the same
      int user = (int) (ids[0] >>> 32);
      int device = (int) ids[0];
      String key = user + "-" + device;
      if (layout == Layout.BATCH) {
        // stamped when the upload's last reading was taken
        sink.send(key, micros[n - 1] / 1000, values.batch(user, device, micros, n), n);
      } else {
        for (int i = 0; i < n; i++) {
          sink.send(key, micros[i] / 1000, values.reading(micros[i], user, device), 1);
        }
      }
      if (resend) {
        duplicates.addAndGet(n);
        duplicateRecords.addAndGet(layout == Layout.BATCH ? 1 : n);
      }
      sent += n;
    }
    return sent;
  }

  /**
   * Registers this layout's schema ({@link #BATCH_SCHEMA} or {@link #SCHEMA}) under {@code
   * <topic>-value} once the registry answers, and returns its id: every value is then that 5-byte
   * header (magic 0, schema id) and plain Avro binary, the bytes a Confluent serializer writes.
   */
  int registerSchema(String registryUrl) {
    try (SchemaRegistryClient registry =
        SchemaRegistryClient.builder(registryUrl).settingName("--registry-url").build()) {
      awaitRegistry(registry.baseUrl());
      return registry.register(topic + "-value", layout == Layout.BATCH ? BATCH_SCHEMA : SCHEMA);
    }
  }

  /**
   * Writes readings and uploads as values: Avro in the Confluent wire format with a known schema
   * id, or JSON. Not thread-safe.
   */
  static final class ValueEncoder {
    private final byte[] prefix; // null: JSON
    private final GenericDatumWriter<GenericRecord> readingWriter =
        new GenericDatumWriter<>(SCHEMA);
    private final GenericDatumWriter<GenericRecord> batchWriter =
        new GenericDatumWriter<>(BATCH_SCHEMA);
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(64);
    private BinaryEncoder encoder;

    private ValueEncoder(byte[] prefix) {
      this.prefix = prefix;
    }

    static ValueEncoder json() {
      return new ValueEncoder(null);
    }

    static ValueEncoder avro(int schemaId) {
      return new ValueEncoder(ConfluentWire.header(schemaId));
    }

    /** One reading: a {@link #SCHEMA} record or a JSON object. */
    byte[] reading(long micros, int user, int device) {
      if (prefix == null) {
        StringBuilder json = new StringBuilder(64);
        appendJson(json, micros, user, device);
        return json.toString().getBytes(StandardCharsets.UTF_8);
      }
      return wire(readingWriter, avroReading(micros, user, device));
    }

    /** The first {@code n} readings of {@code micros}, one device's upload, as one value. */
    byte[] batch(int user, int device, long[] micros, int n) {
      if (prefix == null) {
        StringBuilder json = new StringBuilder(32 + n * 64);
        json.append("{\"user_id\":")
            .append(user)
            .append(",\"device_id\":")
            .append(device)
            .append(",\"" + BATCH_FIELD + "\":[");
        for (int i = 0; i < n; i++) {
          if (i > 0) {
            json.append(',');
          }
          appendJson(json, micros[i], user, device);
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
      }
      List<GenericRecord> readings = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        readings.add(avroReading(micros[i], user, device));
      }
      GenericRecord batch = new GenericData.Record(BATCH_SCHEMA);
      batch.put("user_id", user);
      batch.put("device_id", device);
      batch.put(BATCH_FIELD, readings);
      return wire(batchWriter, batch);
    }

    private byte[] wire(GenericDatumWriter<GenericRecord> writer, GenericRecord record) {
      buffer.reset();
      buffer.write(prefix, 0, prefix.length);
      encoder = EncoderFactory.get().directBinaryEncoder(buffer, encoder);
      try {
        writer.write(record, encoder);
        encoder.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return buffer.toByteArray();
    }

    private static void appendJson(StringBuilder json, long micros, int user, int device) {
      json.append("{\"ts_us\":")
          .append(micros)
          .append(",\"user_id\":")
          .append(user)
          .append(",\"device_id\":")
          .append(device)
          .append(",\"hr\":")
          .append(heartRate(micros, user, device))
          .append('}');
    }
  }

  /**
   * Waits until the registry's Confluent API answers ({@code GET /subjects}), so a registry that
   * starts with us is not a failure.
   */
  private static void awaitRegistry(String registryUrl) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    URI info = URI.create(registryUrl + "/subjects");
    long deadline = System.nanoTime() + REGISTRY_WAIT.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<Void> response =
            http.send(
                HttpRequest.newBuilder(info).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
        last = "HTTP " + response.statusCode();
      } catch (IOException e) {
        last = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the registry", e);
      }
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
    }
    throw new IllegalStateException(
        "the registry at "
            + registryUrl
            + " did not answer "
            + info
            + " in "
            + REGISTRY_WAIT.toSeconds()
            + " s ("
            + last
            + ")");
  }

  /** A reading's heart rate: a function of the key, so a re-sent reading is the same bytes. */
  static int heartRate(long micros, int user, int device) {
    return 55 + (int) Math.floorMod(micros / 1_000_000 + user * 7L + device, 60L);
  }

  private static GenericRecord avroReading(long micros, int user, int device) {
    GenericRecord r = new GenericData.Record(SCHEMA);
    r.put("ts_us", micros);
    r.put("user_id", user);
    r.put("device_id", device);
    r.put("hr", heartRate(micros, user, device));
    return r;
  }

  /**
   * Produces readings from the command line: {@code --bootstrap-servers HOST:PORT} (required),
   * {@code --topic} (readings), {@code --records} (1,000,000), {@code --duplicate-rate} (0.1),
   * {@code --batch} (500, readings per upload), {@code --layout} ({@code batch}: one record per
   * upload; {@code reading}: one record per reading) and {@code --registry-url} (a
   * Confluent-compatible registry API; JSON values without it). Prints {@code name: value} lines on
   * stdout when done.
   */
  public static void main(String[] args) {
    Map<String, String> options = new HashMap<>();
    options.put("--topic", "readings");
    options.put("--records", "1000000");
    options.put("--duplicate-rate", "0.1");
    options.put("--batch", "500");
    options.put("--layout", "batch");
    String usage =
        String.join(
            "\n",
            "usage: java -jar depot-generator.jar --bootstrap-servers HOST:PORT [--topic T]",
            "           [--records N] [--duplicate-rate R] [--batch N] [--layout batch|reading]",
            "           [--registry-url URL]",
            "",
            "  --bootstrap-servers HOST:PORT  the Kafka cluster (required)",
            "  --topic T                      where the readings go (default readings)",
            "  --records N                    readings to produce, in either layout (default"
                + " 1000000)",
            "  --duplicate-rate R             share of uploads sent twice, 0 to 0.9 (default 0.1)",
            "  --batch N                      readings per device upload (default 500)",
            "  --layout batch|reading         batch: one record per upload, an array of readings;",
            "                                 reading: one record per reading (default batch)",
            "  --registry-url URL             a Confluent-compatible registry API: Avro values in"
                + " the",
            "                                 Confluent wire format (default: JSON values)");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("-h") || args[i].equals("--help")) {
        System.out.println(usage);
        return;
      }
      if (!args[i].startsWith("--") || i + 1 == args.length) {
        fail(args[i] + ": every option needs a value; --help lists them");
      }
      options.put(args[i], args[++i]);
    }
    String bootstrap = options.remove("--bootstrap-servers");
    String topic = options.remove("--topic");
    String registry = options.remove("--registry-url");
    long records = parse(options, "--records", 1, Long.MAX_VALUE);
    long batch = parse(options, "--batch", 1, 100_000);
    Layout layout = null;
    try {
      layout = Layout.parse(options.remove("--layout"));
    } catch (IllegalArgumentException e) {
      fail(e.getMessage());
    }
    double rate = 0;
    String rateText = options.remove("--duplicate-rate");
    try {
      rate = Double.parseDouble(rateText);
    } catch (NumberFormatException e) {
      rate = -1;
    }
    if (!(rate >= 0 && rate <= 0.9)) {
      fail("--duplicate-rate must be a number from 0 to 0.9, was " + rateText);
    }
    if (bootstrap == null) {
      fail("--bootstrap-servers is required; --help lists the options");
    }
    if (!options.isEmpty()) {
      fail("unknown option " + options.keySet().iterator().next() + "; --help lists them");
    }
    ReadingGenerator generator = new ReadingGenerator(topic, records, rate, (int) batch, layout);
    System.err.printf(
        Locale.ROOT,
        "producing %,d readings to %s at %s, %s (%s)%n",
        records,
        topic,
        bootstrap,
        layout == Layout.BATCH ? "one record per upload of " + batch : "one record per reading",
        registry == null ? "JSON" : "Avro, Confluent wire format, registry " + registry);
    long sent = generator.run(bootstrap, registry, () -> false);
    if (generator.failure() != null) {
      fail("producing failed: " + generator.failure());
    }
    System.out.println("generator.readings: " + sent);
    System.out.println("generator.records: " + generator.producedRecords());
    System.out.println("generator.duplicates: " + generator.duplicates());
    System.out.println("generator.duplicate_records: " + generator.duplicateRecords());
    System.out.printf(
        Locale.ROOT,
        "generator.readings_per_s: %.0f%n",
        generator.produced() / (generator.elapsedNanos() / 1e9));
  }

  private static long parse(Map<String, String> options, String name, long min, long max) {
    String text = options.remove(name);
    try {
      long n = Long.parseLong(text.replace("_", ""));
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    fail(name + " must be a whole number from " + min + " to " + max + ", was " + text);
    return 0;
  }

  private static void fail(String message) {
    System.err.println("generator: " + message);
    System.exit(2);
  }
}
