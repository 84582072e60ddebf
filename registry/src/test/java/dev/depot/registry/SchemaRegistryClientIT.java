package dev.depot.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.testing.ApicurioRegistry;
import dev.depot.testing.RecordingHttpProxy;
import java.net.URI;
import java.nio.file.Path;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The client against a real registry's Confluent-compatible API: Apicurio's {@code
 * /apis/ccompat/v7}, and nothing of Apicurio's own API.
 */
class SchemaRegistryClientIT {
  private static final Schema READING =
      SchemaBuilder.record("Reading")
          .namespace("dev.depot.it")
          .fields()
          .requiredLong("ts_us")
          .requiredInt("user_id")
          .optionalString("note")
          .endRecord();

  private static ApicurioRegistry registry;

  @BeforeAll
  static void startRegistry() throws Exception {
    Path runnerDir = ApicurioRegistry.runnerDirFromBuild();
    registry =
        ApicurioRegistry.start(
            runnerDir, runnerDir.resolveSibling("schema-registry-client-it.log"));
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void registersFetchesByIdAndDecodesWireBytesWrittenWithPlainAvro() throws Exception {
    int id;
    try (SchemaRegistryClient writer =
        SchemaRegistryClient.builder(registry.ccompatApi() + "/").build()) {
      id = writer.register("it-readings-value", READING);
      assertThat(writer.register("it-readings-value", READING))
          .as("the same schema keeps its id")
          .isEqualTo(id);
    }
    GenericRecord reading = new GenericData.Record(READING);
    reading.put("ts_us", 1_700_000_000_000_000L);
    reading.put("user_id", 7);
    reading.put("note", "resting");
    byte[] value = ConfluentWire.encode(id, READING, reading);

    // A reader that has never seen the schema: a new client, the id from the bytes.
    try (SchemaRegistryClient reader =
        SchemaRegistryClient.builder(registry.ccompatApi()).build()) {
      Schema writerSchema = reader.schemaById(ConfluentWire.schemaId(value));
      assertThat(writerSchema).isEqualTo(READING);
      BinaryDecoder decoder =
          DecoderFactory.get()
              .binaryDecoder(
                  value,
                  ConfluentWire.HEADER_BYTES,
                  value.length - ConfluentWire.HEADER_BYTES,
                  null);
      GenericRecord decoded =
          new GenericDatumReader<GenericRecord>(writerSchema).read(null, decoder);
      assertThat(decoder.isEnd()).isTrue();
      assertThat(decoded).isEqualTo(reading);
      assertThat(reader.cachedSchemas()).isEqualTo(1);
    }
  }

  @Test
  void usesOnlyTheConfluentApiAndAsksForAnIdOnce() throws Exception {
    String root = URI.create(registry.ccompatApi()).resolve("/").toString();
    try (RecordingHttpProxy proxy = RecordingHttpProxy.start(root);
        SchemaRegistryClient writer =
            SchemaRegistryClient.builder(proxy.url() + "/apis/ccompat/v7").build();
        SchemaRegistryClient reader =
            SchemaRegistryClient.builder(proxy.url() + "/apis/ccompat/v7").build()) {
      int id = writer.register("it-proxied-value", READING);
      assertThat(reader.schemaById(id)).isEqualTo(READING);
      assertThat(reader.schemaById(id)).isEqualTo(READING);

      assertThat(proxy.requests())
          .extracting(RecordingHttpProxy.Request::toString)
          .containsExactly(
              "POST /apis/ccompat/v7/subjects/it-proxied-value/versions",
              "GET /apis/ccompat/v7/schemas/ids/" + id);
    }
  }

  @Test
  void anUnknownIdIsTheRegistrys404() {
    try (SchemaRegistryClient client =
        SchemaRegistryClient.builder(registry.ccompatApi()).build()) {
      assertThatThrownBy(() -> client.schemaById(987_654))
          .isInstanceOfSatisfying(
              SchemaRegistryException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(404);
                assertThat(e.errorCode()).isEqualTo(40403);
                assertThat(e.url()).isEqualTo(registry.ccompatApi() + "/schemas/ids/987654");
              })
          .hasMessageStartingWith(
              "schema id 987654: GET "
                  + registry.ccompatApi()
                  + "/schemas/ids/987654 failed: HTTP 404, registry error 40403");
    }
  }
}
