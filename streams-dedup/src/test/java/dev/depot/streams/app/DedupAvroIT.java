package dev.depot.streams.app;

import static dev.depot.streams.app.DedupCluster.T0;
import static dev.depot.streams.app.DedupCluster.assertEachKeyOnce;
import static dev.depot.streams.app.DedupCluster.uploads;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depot.registry.ConfluentWire;
import dev.depot.registry.SchemaRegistryClient;
import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.app.DedupCluster.Batch;
import dev.depot.streams.app.DedupCluster.Output;
import dev.depot.testing.ApicurioRegistry;
import dev.depot.testing.ChildJvm;
import dev.depot.testing.RecordingHttpProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dedup application on Avro readings in the Confluent wire format (magic 0, 4-byte schema id,
 * Avro binary), written by Apicurio's serializer against a real registry, end to end. The output is
 * checked with plain Apache Avro and the registry's Confluent-compatible API.
 */
class DedupAvroIT {
  private static final String IN = "avro-readings";
  private static final String OUT = "avro-unique";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Schema READING =
      SchemaBuilder.record("Reading")
          .namespace("dev.depot.it")
          .fields()
          .requiredLong("ts_us")
          .requiredInt("user_id")
          .requiredInt("device_id")
          .requiredDouble("hr")
          .optionalString("note")
          .endRecord();

  private static DedupCluster cluster;
  private static ApicurioRegistry registry;
  private static RecordingHttpProxy proxy;
  private static final String CCOMPAT = "/apis/ccompat/v7";
  private static final Schema SAMPLE =
      SchemaBuilder.record("Sample")
          .namespace("dev.depot.it")
          .fields()
          .requiredLong("ts_us")
          .requiredDouble("hr")
          .endRecord();
  private static final Schema UPLOAD =
      SchemaBuilder.record("Upload")
          .namespace("dev.depot.it")
          .fields()
          .requiredInt("user_id")
          .requiredInt("device_id")
          .name("readings")
          .type()
          .array()
          .items(SAMPLE)
          .noDefault()
          .endRecord();
  private static int uploadSchemaId;
  private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();

  @TempDir Path stateDir;

  @BeforeAll
  static void start() throws Exception {
    Path runnerDir = ApicurioRegistry.runnerDirFromBuild();
    registry = ApicurioRegistry.start(runnerDir, runnerDir.resolveSibling("dedup-avro-it.log"));
    proxy = RecordingHttpProxy.start(registry.ccompatApi().replace(CCOMPAT, ""));
    cluster = DedupCluster.start();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      if (registry != null) {
        registry.close();
      }
    }
  }

  private static GenericRecord reading(long micros, int user, int device) {
    GenericRecord r = new GenericData.Record(READING);
    r.put("ts_us", micros);
    r.put("user_id", user);
    r.put("device_id", device);
    r.put("hr", 50 + (micros % 1000) / 10.0);
    r.put("note", micros % 3 == 0 ? null : "möglich " + micros);
    return r;
  }

  /** Registers {@code schema} through the Confluent-compatible API; its id. */
  private static int register(Schema schema) {
    try (SchemaRegistryClient client =
        SchemaRegistryClient.builder(registry.ccompatApi()).build()) {
      return client.register(IN + "-value", schema);
    }
  }

  private static void produce(List<ProducerRecord<byte[], byte[]>> records) {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", cluster.bootstrapServers());
    config.put("acks", "all");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      records.forEach(producer::send);
      producer.flush();
    }
  }

  /** Sends each batch's readings, one Avro record each, in the wire format; returns them. */
  private static List<GenericRecord> send(List<Batch> batches) {
    int readingSchemaId = register(READING);
    List<GenericRecord> sent = new ArrayList<>();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (Batch batch : batches) {
      for (int i = 0; i < batch.size(); i++) {
        GenericRecord r = reading(batch.first() + i * 100_000L, batch.user(), batch.device());
        records.add(
            new ProducerRecord<>(
                IN, batch.key(), ConfluentWire.encode(readingSchemaId, READING, r)));
        sent.add(r);
      }
    }
    produce(records);
    return sent;
  }

  /** Sends each batch as one UPLOAD record (the device named once, around the array). */
  private static void sendUploads(String topic, List<Batch> batches) {
    uploadSchemaId = register(UPLOAD);
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (Batch batch : batches) {
      GenericRecord upload = new GenericData.Record(UPLOAD);
      upload.put("user_id", batch.user());
      upload.put("device_id", batch.device());
      List<GenericRecord> readings = new ArrayList<>();
      for (int i = 0; i < batch.size(); i++) {
        GenericRecord r = new GenericData.Record(SAMPLE);
        long micros = batch.first() + i * 100_000L;
        r.put("ts_us", micros);
        r.put("hr", 50 + (micros % 1000) / 10.0);
        readings.add(r);
      }
      upload.put("readings", readings);
      records.add(
          new ProducerRecord<>(
              topic, batch.key(), ConfluentWire.encode(uploadSchemaId, UPLOAD, upload)));
    }
    produce(records);
  }

  /** The time keys of an UPLOAD value, decoded with plain Avro. */
  private List<TimeKey> uploadKeys(byte[] value) {
    GenericRecord upload = decode(value);
    List<TimeKey> out = new ArrayList<>();
    for (Object o : (List<?>) upload.get("readings")) {
      out.add(
          TimeKey.of(
              (Long) ((GenericRecord) o).get("ts_us"),
              (Integer) upload.get("user_id"),
              (Integer) upload.get("device_id")));
    }
    return out;
  }

  private static TimeKey keyOf(GenericRecord r) {
    return TimeKey.of(
        (Long) r.get("ts_us"), (Integer) r.get("user_id"), (Integer) r.get("device_id"));
  }

  /** Decodes a Confluent wire format value with plain Avro and the registry's schema by id. */
  private GenericRecord decode(byte[] value) {
    assertThat(value).hasSizeGreaterThan(5);
    assertThat(value[0]).as("magic byte").isZero();
    int id = ConfluentWire.schemaId(value);
    Schema writer = schemas.computeIfAbsent(id, this::schemaById);
    try {
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null);
      GenericRecord record = new GenericDatumReader<GenericRecord>(writer).read(null, decoder);
      assertThat(decoder.isEnd()).as("bytes left after the record").isTrue();
      return record;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Schema schemaById(int id) {
    try {
      HttpResponse<String> response = registry.get("/schemas/ids/" + id);
      assertThat(response.statusCode()).as("schema %d: %s", id, response.body()).isEqualTo(200);
      return new Schema.Parser().parse(JSON.readTree(response.body()).get("schema").asText());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void avroReadingsInTheConfluentWireFormatAreDeduplicatedAndForwardedByteForByte()
      throws Exception {
    cluster.createTopics(2, IN, OUT);
    Map<String, String> overrides =
        new HashMap<>(cluster.baseOverrides("avro-app", stateDir, IN, OUT));
    overrides.put("dedup.value.format", "avro");
    overrides.put("dedup.registry.url", proxy.url() + CCOMPAT);
    Properties props = DedupCluster.sampleConfig(overrides);

    List<Batch> uploads = uploads(3, 2, 4, 50, T0);
    List<Batch> resent = new ArrayList<>(uploads.subList(0, uploads.size() / 2));
    Set<TimeKey> expected = new HashSet<>();
    KafkaStreams streams = DedupCluster.inProcess(props);
    try {
      streams.start();
      DedupCluster.awaitRunning(streams);
      for (GenericRecord r : send(uploads)) {
        expected.add(keyOf(r));
      }
      send(resent);
      try (Output input =
              cluster.new Output(IN, IsolationLevel.READ_UNCOMMITTED, v -> keyOf(decode(v)));
          Output output = cluster.settledOutput("avro-app", IN, OUT, v -> keyOf(decode(v)))) {
        assertEachKeyOnce(output, expected);
        DedupCluster.await("reading " + IN, () -> input.poll().atEnd());
        assertThat(input.records).isEqualTo(expected.size() + resent.size() * 50L);
        // what came out is what went in: the same bytes, schema id included
        Map<TimeKey, String> inputBytes = new HashMap<>();
        for (byte[] v : input.rawValues) {
          inputBytes.putIfAbsent(keyOf(decode(v)), hex(v));
        }
        for (byte[] v : output.rawValues) {
          assertThat(hex(v)).isEqualTo(inputBytes.get(keyOf(decode(v))));
        }
      }
      assertThat(schemas).hasSize(1);
      assertThat(schemas.values().iterator().next()).isEqualTo(READING);
    } finally {
      DedupCluster.closeLeaving(streams);
    }
    assertOnlySchemasByIdWereRead();
  }

  /** The application read the registry through its Confluent-compatible API only, and no more. */
  private void assertOnlySchemasByIdWereRead() {
    assertThat(proxy.requests()).isNotEmpty();
    assertThat(proxy.requests())
        .allSatisfy(
            r -> {
              assertThat(r.method()).isEqualTo("GET");
              assertThat(r.path()).startsWith(CCOMPAT + "/schemas/ids/");
            });
    assertThat(proxy.paths()).noneMatch(p -> p.contains("/apis/registry"));
  }

  @Test
  void avroBatchRecordsAreForwardedWithOnlyTheirNewReadingsAndTheirSchemaId() throws Exception {
    String in = IN + "-batch";
    cluster.createTopics(2, in, OUT + "-batch");
    Map<String, String> overrides =
        new HashMap<>(cluster.baseOverrides("avro-batch-app", stateDir, in, OUT + "-batch"));
    overrides.put("dedup.value.format", "avro");
    overrides.put("dedup.record.layout", "batch");
    overrides.put("dedup.registry.url", proxy.url() + CCOMPAT);
    Properties props = DedupCluster.sampleConfig(overrides);
    List<Batch> uploads = uploads(3, 2, 4, 50, T0 + 3_600_000_000L);
    List<Batch> shifted =
        uploads.stream()
            .map(b -> new Batch(b.user(), b.device(), b.first() + 25 * 100_000L, b.size()))
            .toList();
    Set<TimeKey> expected = new HashSet<>(DedupCluster.keysOf(uploads));
    expected.addAll(DedupCluster.keysOf(shifted));
    KafkaStreams streams = DedupCluster.inProcess(props);
    try {
      streams.start();
      DedupCluster.awaitRunning(streams);
      sendUploads(in, uploads);
      sendUploads(in, shifted); // half of each is a repeat
      sendUploads(in, uploads); // all repeats
      try (Output output =
          cluster.settledOutputOf("avro-batch-app", in, OUT + "-batch", this::uploadKeys)) {
        assertEachKeyOnce(output, expected);
        // every upload, then the shifted ones that reach past the last round (the others repeat)
        Set<TimeKey> first = DedupCluster.keysOf(uploads);
        long partlyNew =
            shifted.stream()
                .filter(b -> !first.containsAll(DedupCluster.keysOf(List.of(b))))
                .count();
        assertThat(partlyNew).isPositive();
        assertThat(output.records).isEqualTo(uploads.size() + partlyNew);
        for (byte[] v : output.rawValues) {
          assertThat(ConfluentWire.schemaId(v)).isEqualTo(uploadSchemaId);
        }
      }
    } finally {
      DedupCluster.closeLeaving(streams);
    }
    assertOnlySchemasByIdWereRead();
  }

  @Test
  void aKilledInstanceOnAvroBatchesLosesNoReadingAndRepeatsNone() throws Exception {
    String app = "avro-kill-app";
    String in = "avro-kill-in";
    String out = "avro-kill-out";
    cluster.createTopics(2, in, out);
    Map<String, String> overrides =
        new HashMap<>(cluster.baseOverrides(app, stateDir.resolve("killed"), in, out));
    overrides.put("dedup.value.format", "avro");
    overrides.put("dedup.record.layout", "batch");
    overrides.put("dedup.registry.url", proxy.url() + CCOMPAT);
    overrides.put("num.standby.replicas", "0");
    overrides.put("dedup.checkpoint.interval.ms", "200");
    Path log = Path.of("target", "it-logs", app + ".log");
    List<Batch> first = uploads(4, 2, 6, 50, T0 + 7_200_000_000L);
    List<Batch> second = uploads(4, 2, 3, 50, T0 + 7_200_000_000L + 6 * 50 * 100_000L);
    Set<TimeKey> expected = new HashSet<>(DedupCluster.keysOf(first));
    ChildJvm instance = DedupCluster.restartApp(overrides, log);
    try {
      sendUploads(in, first);
      try (Output progress =
          cluster.new Output(this::uploadKeys, out, IsolationLevel.READ_UNCOMMITTED)) {
        DedupCluster.await(
            "output to reach a third of the uploads",
            () -> progress.poll().counts.size() >= expected.size() / 3);
      }
      instance.kill();
      sendUploads(in, first); // repeats across the kill
      sendUploads(in, second);
      expected.addAll(DedupCluster.keysOf(second));
      instance = DedupCluster.restartApp(overrides, log);
      try (Output output = cluster.settledOutputOf(app, in, out, this::uploadKeys)) {
        assertEachKeyOnce(output, expected);
      }
    } finally {
      instance.close();
    }
    assertOnlySchemasByIdWereRead();
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
