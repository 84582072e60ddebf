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
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
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
 * the batches re-sent whole 1 to 50 batches later), moved to start at the current time, produced to
 * the readings topic keyed by device ({@code "<user>-<device>"}, so a device's readings share a
 * partition).
 *
 * <pre>{@code
 * java -jar depot-generator.jar --bootstrap-servers localhost:9092 --records 1000000 \
 *     --registry-url http://localhost:8081     # Apicurio: http://localhost:8080/apis/ccompat/v7
 * }</pre>
 *
 * <p>Values are {@link #SCHEMA} readings: Avro in the Confluent wire format (magic 0, 4-byte schema
 * id, Avro binary), the schema registered under {@code <topic>-value} through the Confluent REST
 * API of any compatible registry ({@link SchemaRegistryClient}); or JSON objects with the same
 * fields.
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

  private static final int USERS = 1000;
  private static final int DEVICES_PER_USER = 4;
  private static final long PERIOD_MICROS = 100_000; // 10 Hz
  private static final Duration REGISTRY_WAIT = Duration.ofMinutes(2);

  private final String topic;
  private final long records;
  private final SeedWorkload workload;
  private final long shiftMicros;
  private final AtomicLong produced = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  private volatile long firstSendNanos;
  private volatile long lastAckNanos;

  /**
   * @param duplicateRate the share of batches sent twice, 0 to 1
   */
  public ReadingGenerator(String topic, long records, double duplicateRate, int batchKeys) {
    this.topic = topic;
    this.records = records;
    this.workload =
        new SeedWorkload(
            42, USERS, DEVICES_PER_USER, 1e6 / PERIOD_MICROS, batchKeys, duplicateRate, 0, 0, 1);
    // Readings of the recent past, the newest about now: broker and changelog retention keep
    // them, and none is in the future (a broker rejects timestamps over an hour ahead).
    long batchesPerDevice = records / batchKeys / (USERS * DEVICES_PER_USER) + 2;
    long span = batchesPerDevice * batchKeys * PERIOD_MICROS;
    long now = System.currentTimeMillis() * 1000;
    this.shiftMicros = now - now % 1_000_000 - span - SeedWorkload.EPOCH;
  }

  /** Records acknowledged by the broker so far. */
  public long produced() {
    return produced.get();
  }

  /** The first send that failed, or null. */
  public Exception failure() {
    return failure.get();
  }

  /** Records sent so far that repeat a reading sent before. */
  public long duplicates() {
    return duplicates.get();
  }

  /** Nanos from the first send to the last acknowledgement. */
  public long elapsedNanos() {
    return lastAckNanos - firstSendNanos;
  }

  public long firstSendNanos() {
    return firstSendNanos;
  }

  /**
   * Produces every record (acks=all, idempotent), unless {@code stop} turns true first. Returns the
   * number sent, or -1 when it failed ({@link #failure()} says why).
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
      return produce(config, registryUrl, stop);
    } catch (RuntimeException e) {
      failure.compareAndSet(null, e);
      return -1;
    }
  }

  private long produce(Map<String, Object> config, String registryUrl, BooleanSupplier stop) {
    if (registryUrl == null) {
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
        return produce(producer, ReadingGenerator::json, stop);
      }
    }
    AvroWireEncoder encoder =
        new AvroWireEncoder(ConfluentWire.header(registerSchema(registryUrl)));
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer())) {
      return produce(producer, encoder::encode, stop);
    }
  }

  /**
   * Registers {@link #SCHEMA} under {@code <topic>-value} once the registry answers, and returns
   * its id: every value is then that 5-byte header (magic 0, schema id) and plain Avro binary, the
   * bytes a Confluent serializer writes.
   */
  int registerSchema(String registryUrl) {
    try (SchemaRegistryClient registry =
        SchemaRegistryClient.builder(registryUrl).settingName("--registry-url").build()) {
      awaitRegistry(registry.baseUrl());
      return registry.register(topic + "-value", SCHEMA);
    }
  }

  /** Writes readings in the Confluent wire format with a known schema id. Not thread-safe. */
  static final class AvroWireEncoder {
    private final byte[] prefix;
    private final GenericDatumWriter<GenericRecord> writer = new GenericDatumWriter<>(SCHEMA);
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(64);
    private BinaryEncoder encoder;

    AvroWireEncoder(byte[] prefix) {
      this.prefix = prefix;
    }

    byte[] encode(long micros, int user, int device) {
      buffer.reset();
      buffer.write(prefix, 0, prefix.length);
      encoder = EncoderFactory.get().directBinaryEncoder(buffer, encoder);
      try {
        writer.write(avro(micros, user, device), encoder);
        encoder.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return buffer.toByteArray();
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

  private interface Encoder<V> {
    V encode(long micros, int user, int device);
  }

  private <V> long produce(
      KafkaProducer<String, V> producer, Encoder<V> encoder, BooleanSupplier stop) {
    long[] micros = new long[workload.batchKeys()];
    long[] ids = new long[workload.batchKeys()];
    long sent = 0;
    firstSendNanos = System.nanoTime();
    while (sent < records && !stop.getAsBoolean()) {
      int n = (int) Math.min(workload.next(micros, ids), records - sent);
      boolean resend = workload.lastWasResend();
      for (int i = 0; i < n; i++) {
        int user = (int) (ids[i] >>> 32);
        int device = (int) ids[i];
        V value = encoder.encode(micros[i] + shiftMicros, user, device);
        producer.send(
            new ProducerRecord<>(
                topic, null, (micros[i] + shiftMicros) / 1000, user + "-" + device, value),
            (metadata, error) -> {
              if (error == null) {
                produced.incrementAndGet();
                lastAckNanos = System.nanoTime();
              } else {
                failure.compareAndSet(null, error);
              }
            });
      }
      if (resend) {
        duplicates.addAndGet(n);
      }
      sent += n;
    }
    producer.flush();
    return sent;
  }

  /** A reading's heart rate: a function of the key, so a re-sent reading is the same bytes. */
  static int heartRate(long micros, int user, int device) {
    return 55 + (int) Math.floorMod(micros / 1_000_000 + user * 7L + device, 60L);
  }

  private static GenericRecord avro(long micros, int user, int device) {
    GenericRecord r = new GenericData.Record(SCHEMA);
    r.put("ts_us", micros);
    r.put("user_id", user);
    r.put("device_id", device);
    r.put("hr", heartRate(micros, user, device));
    return r;
  }

  private static byte[] json(long micros, int user, int device) {
    return ("{\"ts_us\":"
            + micros
            + ",\"user_id\":"
            + user
            + ",\"device_id\":"
            + device
            + ",\"hr\":"
            + heartRate(micros, user, device)
            + "}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Produces readings from the command line: {@code --bootstrap-servers HOST:PORT} (required),
   * {@code --topic} (readings), {@code --records} (1,000,000), {@code --duplicate-rate} (0.1),
   * {@code --batch} (500) and {@code --registry-url} (a Confluent-compatible registry API; JSON
   * values without it). Prints {@code name: value} lines on stdout when done.
   */
  public static void main(String[] args) {
    Map<String, String> options = new HashMap<>();
    options.put("--topic", "readings");
    options.put("--records", "1000000");
    options.put("--duplicate-rate", "0.1");
    options.put("--batch", "500");
    String usage =
        "usage: java -jar depot-generator.jar --bootstrap-servers HOST:PORT [--topic T]"
            + " [--records N] [--duplicate-rate R] [--batch N] [--registry-url URL]";
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("-h") || args[i].equals("--help")) {
        System.out.println(usage);
        return;
      }
      if (!args[i].startsWith("--") || i + 1 == args.length) {
        fail(args[i] + ": every option needs a value; " + usage);
      }
      options.put(args[i], args[++i]);
    }
    String bootstrap = options.remove("--bootstrap-servers");
    String topic = options.remove("--topic");
    String registry = options.remove("--registry-url");
    long records = parse(options, "--records", 1, Long.MAX_VALUE);
    long batch = parse(options, "--batch", 1, 100_000);
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
      fail("--bootstrap-servers is required; " + usage);
    }
    if (!options.isEmpty()) {
      fail("unknown option " + options.keySet().iterator().next() + "; " + usage);
    }
    ReadingGenerator generator = new ReadingGenerator(topic, records, rate, (int) batch);
    System.err.printf(
        Locale.ROOT,
        "producing %,d readings to %s at %s (%s)%n",
        records,
        topic,
        bootstrap,
        registry == null ? "JSON" : "Avro, Confluent wire format, registry " + registry);
    long sent = generator.run(bootstrap, registry, () -> false);
    if (generator.failure() != null) {
      fail("producing failed: " + generator.failure());
    }
    System.out.println("generator.records: " + sent);
    System.out.println("generator.duplicates: " + generator.duplicates());
    System.out.printf(
        Locale.ROOT,
        "generator.records_per_s: %.0f%n",
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
