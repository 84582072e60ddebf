package dev.depot.streams.app;

import static dev.depot.streams.app.DedupCluster.T0;
import static dev.depot.streams.app.DedupCluster.assertEachKeyOnce;
import static dev.depot.streams.app.DedupCluster.uploads;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.app.DedupCluster.Batch;
import dev.depot.streams.app.DedupCluster.Output;
import dev.depot.testing.ApicurioRegistry;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
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
  private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();

  @TempDir Path stateDir;

  @BeforeAll
  static void start() throws Exception {
    Path runnerDir = ApicurioRegistry.runnerDirFromBuild();
    registry = ApicurioRegistry.start(runnerDir, runnerDir.resolveSibling("dedup-avro-it.log"));
    cluster = DedupCluster.start();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (registry != null) {
        registry.close();
      }
    }
  }

  private static Map<String, String> serdeSettings() {
    return Map.of(
        "apicurio.registry.url", registry.apicurioApi(),
        "apicurio.registry.auto-register", "true",
        "apicurio.registry.as-confluent", "true",
        "apicurio.registry.use-id", "contentId",
        "apicurio.registry.headers.enabled", "false");
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

  /** Sends each batch's readings as Avro through Apicurio's serializer; returns what was sent. */
  private static List<GenericRecord> send(List<Batch> batches) {
    AvroKafkaSerializer<GenericRecord> serializer = new AvroKafkaSerializer<>();
    serializer.configure(serdeSettings(), false);
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", cluster.bootstrapServers());
    config.put("acks", "all");
    List<GenericRecord> sent = new ArrayList<>();
    try (KafkaProducer<byte[], GenericRecord> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), serializer)) {
      for (Batch batch : batches) {
        for (int i = 0; i < batch.size(); i++) {
          GenericRecord r = reading(batch.first() + i * 100_000L, batch.user(), batch.device());
          producer.send(new ProducerRecord<>(IN, batch.key(), r));
          sent.add(r);
        }
      }
      producer.flush();
    }
    return sent;
  }

  private static TimeKey keyOf(GenericRecord r) {
    return TimeKey.of(
        (Long) r.get("ts_us"), (Integer) r.get("user_id"), (Integer) r.get("device_id"));
  }

  /** Decodes a Confluent wire format value with plain Avro and the registry's schema by id. */
  private GenericRecord decode(byte[] value) {
    assertThat(value).hasSizeGreaterThan(5);
    assertThat(value[0]).as("magic byte").isZero();
    int id = ByteBuffer.wrap(value, 1, 4).getInt();
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
    overrides.put("apicurio.registry.url", registry.apicurioApi());
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
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
