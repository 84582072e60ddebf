package dev.depot.connect;

import static dev.depot.connect.ConnectSupport.awaitCommitted;
import static dev.depot.connect.ConnectSupport.stored;
import static dev.depot.connect.ConnectSupport.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depot.envelope.DepotEnvelope;
import dev.depot.testing.ApicurioRegistry;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.converters.ByteArrayConverter;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schema'd data end to end: a real schema registry (Apicurio, Confluent-compatible API), Avro
 * records in the Confluent wire format on the topic, Apicurio's AvroConverter as the worker's
 * value.converter (records reach the sink as Structs) and as {@code depot.value.converter} (the
 * sink turns them back into bytes). The stored bytes must decode, with the schema the registry
 * returns for their id, to exactly the records produced.
 */
@Timeout(900)
class SchemaRegistryIT {
  private static final String TOPIC = "readings";
  private static final String CONNECTOR = "readings-sink";
  private static final int PARTITIONS = 2;
  private static final int PER_PARTITION = 50;
  private static final String AVRO_CONVERTER = "io.apicurio.registry.utils.converter.AvroConverter";
  private static final ObjectMapper JSON = new ObjectMapper();

  static final Schema READING =
      SchemaBuilder.record("Reading")
          .namespace("dev.depot.it")
          .fields()
          .requiredLong("ts_us")
          .requiredInt("user_id")
          .requiredInt("device_id")
          .requiredDouble("value")
          .optionalString("note")
          .endRecord();

  @TempDir Path depot;
  private ApicurioRegistry registry;
  private EmbeddedConnectCluster connect;

  @BeforeEach
  void startRegistryAndCluster() throws Exception {
    Path runnerDir = ApicurioRegistry.runnerDirFromBuild();
    registry =
        ApicurioRegistry.start(runnerDir, runnerDir.resolveSibling("schema-registry-it.log"));
    connect =
        ConnectSupport.cluster(
            "depot-schema-it",
            1,
            props -> {
              props.put("key.converter", ByteArrayConverter.class.getName());
              props.put("value.converter", AVRO_CONVERTER);
              serdeSettings().forEach((k, v) -> props.put("value.converter." + k, v));
            });
  }

  @AfterEach
  void stopClusterAndRegistry() {
    try {
      if (connect != null) {
        connect.stop();
      }
    } finally {
      if (registry != null) {
        ProcessHandle process = registry.process();
        registry.close();
        assertThat(process.isAlive())
            .as("registry process %d after close", process.pid())
            .isFalse();
        assertThat(ProcessHandle.of(process.pid()).filter(ProcessHandle::isAlive))
            .as("registry process %d after close", process.pid())
            .isEmpty();
      }
    }
  }

  /** The settings of the serializer and both converters: Confluent wire format, no headers. */
  private Map<String, String> serdeSettings() {
    return Map.of(
        "apicurio.registry.url", registry.apicurioApi(),
        "apicurio.registry.auto-register", "true",
        "apicurio.registry.as-confluent", "true",
        "apicurio.registry.use-id", "contentId",
        "apicurio.registry.headers.enabled", "false");
  }

  @Test
  void avroValuesThroughTheWorkerConverterAreStoredAsConfluentWireFormatOfTheProducedRecords()
      throws Exception {
    ConnectSupport.createTopic(connect, TOPIC, PARTITIONS);
    List<List<GenericRecord>> produced = produceReadings();
    assertTopicHoldsConfluentWireFormat();

    Map<String, String> config =
        ConnectSupport.sampleConfig(
            Map.of("topics", TOPIC, "depot.path", depot.toString(), "tasks.max", "1"));
    // The worker's value.converter (AvroConverter) applies: the sink receives Structs ...
    config.remove("value.converter");
    // ... and turns them back into Confluent wire format bytes with the same converter.
    config.put("depot.value.converter", AVRO_CONVERTER);
    serdeSettings().forEach((k, v) -> config.put("depot.value.converter." + k, v));
    connect.configureConnector(CONNECTOR, config);
    connect
        .assertions()
        .assertConnectorAndExactlyNumTasksAreRunning(CONNECTOR, 1, "connector did not start");
    awaitCommitted(connect, CONNECTOR, TOPIC, PARTITIONS, PER_PARTITION);

    Map<Integer, Schema> schemas = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      List<DepotEnvelope> stored = stored(depot, new TopicPartition(TOPIC, p));
      List<GenericRecord> expected = produced.get(p);
      assertThat(stored).as("records of %s-%d", TOPIC, p).hasSize(expected.size());
      for (int i = 0; i < stored.size(); i++) {
        DepotEnvelope e = stored.get(i);
        GenericRecord want = expected.get(i);
        assertThat(e.offset()).as("offset %d of %s-%d", i, TOPIC, p).isEqualTo(i);
        assertThat(new String(e.key(), StandardCharsets.UTF_8))
            .as("key at offset %d of %s-%d", i, TOPIC, p)
            .isEqualTo(new String(key(want), StandardCharsets.UTF_8));
        byte[] value = e.value();
        assertThat(value).as("value of %s", e).hasSizeGreaterThan(5);
        assertThat(value[0]).as("magic byte of %s", e).isZero();
        int id = ByteBuffer.wrap(value, 1, 4).getInt();
        Schema writer = schemas.computeIfAbsent(id, this::schemaById);
        // The schema AvroConverter derives from a Connect Struct: proof that the value reached the
        // sink as a Struct and was written by depot.value.converter, not passed through as bytes.
        assertThat(writer.getProp("connect.name"))
            .as("connect.name of stored schema %d", id)
            .isEqualTo(READING.getFullName());
        GenericRecord got = decode(writer, value);
        assertThat(fieldNames(got.getSchema())).isEqualTo(fieldNames(READING));
        assertThat(got.getSchema().getFullName()).isEqualTo(READING.getFullName());
        for (Schema.Field f : READING.getFields()) {
          Object actual = got.get(f.name());
          Object expectedValue = want.get(f.name());
          if (actual instanceof CharSequence) {
            actual = actual.toString();
          }
          assertThat(actual)
              .as("field %s of offset %d in %s-%d", f.name(), i, TOPIC, p)
              .isEqualTo(expectedValue);
        }
      }
    }
    assertThat(schemas).as("schema ids in the stored values").isNotEmpty();
  }

  /**
   * Sends 100 readings with Apicurio's serializer, spread over the partitions in order, and returns
   * them per partition.
   */
  private List<List<GenericRecord>> produceReadings() throws Exception {
    List<List<GenericRecord>> produced = new ArrayList<>();
    for (int p = 0; p < PARTITIONS; p++) {
      produced.add(new ArrayList<>());
    }
    AvroKafkaSerializer<GenericRecord> serializer = new AvroKafkaSerializer<>();
    serializer.configure(serdeSettings(), false);
    Map<String, Object> producerConfig = new HashMap<>();
    producerConfig.put("bootstrap.servers", connect.kafka().bootstrapServers());
    producerConfig.put("acks", "all");
    producerConfig.put("linger.ms", "5");
    List<Future<RecordMetadata>> sends = new ArrayList<>();
    try (KafkaProducer<byte[], GenericRecord> producer =
        new KafkaProducer<>(producerConfig, new ByteArraySerializer(), serializer)) {
      for (int i = 0; i < PARTITIONS * PER_PARTITION; i++) {
        GenericRecord reading = reading(i);
        int p = i % PARTITIONS;
        sends.add(producer.send(new ProducerRecord<>(TOPIC, p, key(reading), reading)));
        produced.get(p).add(reading);
      }
      producer.flush();
      for (Future<RecordMetadata> send : sends) {
        send.get(); // fails the test on a failed send
      }
    }
    return produced;
  }

  /** Varied values: negative and fractional doubles, large timestamps, null and non-ASCII notes. */
  private static GenericRecord reading(int i) {
    GenericRecord r = new GenericData.Record(READING);
    r.put("ts_us", 1_767_225_600_000_000L + i * 1_000_003L);
    r.put("user_id", i % 7 == 0 ? -i : 1000 + i % 13);
    r.put("device_id", Integer.MAX_VALUE - i);
    r.put("value", (i - 50) * 0.125 + (i % 3 == 0 ? 1e-9 : 0));
    r.put("note", i % 4 == 0 ? null : (i % 4 == 1 ? "reading " + i : "température n°" + i));
    return r;
  }

  private static byte[] key(GenericRecord reading) {
    return utf8("device-" + reading.get("device_id"));
  }

  /**
   * What the serializer wrote to the topic: magic 0 and the id the registry has for the subject.
   */
  private void assertTopicHoldsConfluentWireFormat() throws Exception {
    HttpResponse<String> latest = registry.get("/subjects/" + TOPIC + "-value/versions/latest");
    assertThat(latest.statusCode()).as(latest.body()).isEqualTo(200);
    int registered = JSON.readTree(latest.body()).get("id").asInt();
    assertThat(new Schema.Parser().parse(JSON.readTree(latest.body()).get("schema").asText()))
        .isEqualTo(READING);
    int total = PARTITIONS * PER_PARTITION;
    List<Integer> ids = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : connect.kafka().consume(total, 120_000L, TOPIC)) {
      assertThat(r.value()[0])
          .as("magic byte at %s-%d@%d", TOPIC, r.partition(), r.offset())
          .isZero();
      ids.add(ByteBuffer.wrap(r.value(), 1, 4).getInt());
    }
    assertThat(ids).hasSize(total).containsOnly(registered);
  }

  /** The schema of an id through the Confluent API: {@code GET /schemas/ids/{id}}. */
  private Schema schemaById(int id) {
    try {
      HttpResponse<String> response = registry.get("/schemas/ids/" + id);
      assertThat(response.statusCode()).as("schema %d: %s", id, response.body()).isEqualTo(200);
      JsonNode body = JSON.readTree(response.body());
      return new Schema.Parser().parse(body.get("schema").asText());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static GenericRecord decode(Schema writer, byte[] value) throws IOException {
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null);
    GenericRecord record = new GenericDatumReader<GenericRecord>(writer).read(null, decoder);
    assertThat(decoder.isEnd()).as("bytes left after the record").isTrue();
    return record;
  }

  private static List<String> fieldNames(Schema schema) {
    List<String> names = new ArrayList<>();
    schema.getFields().forEach(f -> names.add(f.name()));
    return names;
  }
}
