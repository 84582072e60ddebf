package dev.depot.cli;

import static dev.depot.cli.DepotCliTest.run;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.depot.cli.DepotCliTest.Result;
import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.DepotEnvelope.TimestampType;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.registry.ConfluentWire;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code depot cat --registry-url} against a loopback stand-in for a registry's Confluent API
 * ({@code DepotCliRegistryIT} runs the same against a real registry).
 */
class DepotCliRegistryTest {
  /** Every kind of Avro type, registered as id 1. */
  static final Schema ALL =
      SchemaBuilder.record("All")
          .namespace("dev.depot.test")
          .fields()
          .requiredLong("ts_us")
          .optionalString("note")
          .name("kind")
          .type()
          .enumeration("Kind")
          .symbols("A", "B")
          .noDefault()
          .name("tags")
          .type()
          .array()
          .items()
          .stringType()
          .noDefault()
          .name("attrs")
          .type()
          .map()
          .values()
          .intType()
          .noDefault()
          .requiredBytes("raw")
          .name("mac")
          .type()
          .fixed("Mac")
          .size(2)
          .noDefault()
          .requiredFloat("f")
          .requiredDouble("d")
          .requiredBoolean("ok")
          .name("nested")
          .type()
          .record("Inner")
          .fields()
          .requiredInt("x")
          .endRecord()
          .noDefault()
          .endRecord();

  /** A string key, registered as id 2. */
  static final Schema KEY = Schema.create(Schema.Type.STRING);

  /** Strings, a map key and numbers that need care, registered as id 3. */
  static final Schema TEXT =
      SchemaBuilder.record("Text")
          .fields()
          .requiredString("s")
          .name("m")
          .type()
          .map()
          .values()
          .longType()
          .noDefault()
          // Doubles as fields: Avro 1.12.0 reads an array of doubles as floats (AVRO-4108).
          .requiredDouble("d0")
          .requiredDouble("d1")
          .requiredDouble("d2")
          .requiredDouble("d3")
          .requiredDouble("d4")
          .name("fs")
          .type()
          .array()
          .items()
          .floatType()
          .noDefault()
          .endRecord();

  static final String ALL_JSON =
      "{\"ts_us\":1700000000000000,\"note\":\"say \\\"hi\\\"\",\"kind\":\"B\",\"tags\":[\"a\",\"b\"],"
          + "\"attrs\":{\"k\":7},\"raw\":\"AQID\",\"mac\":\"/wA=\",\"f\":1.5,\"d\":\"NaN\",\"ok\":true,"
          + "\"nested\":{\"x\":-3}}";

  @TempDir Path dir;

  private HttpServer registry;
  private final List<String> requests = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startRegistry() throws IOException {
    Map<String, Schema> schemas =
        Map.of("/schemas/ids/1", ALL, "/schemas/ids/2", KEY, "/schemas/ids/3", TEXT);
    registry = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    registry.createContext(
        "/",
        exchange -> {
          try (exchange) {
            String path = exchange.getRequestURI().getPath();
            requests.add(exchange.getRequestMethod() + " " + path);
            Schema schema = schemas.get(path);
            String body =
                schema == null
                    ? "{\"error_code\":40403,\"message\":\"Schema not found\"}"
                    : new ObjectMapper().writeValueAsString(Map.of("schema", schema.toString()));
            byte[] bytes = body.getBytes(UTF_8);
            exchange.sendResponseHeaders(schema == null ? 404 : 200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(bytes);
            }
          }
        });
    registry.start();
  }

  @AfterEach
  void stopRegistry() {
    registry.stop(0);
  }

  private String url() {
    return "http://127.0.0.1:" + registry.getAddress().getPort();
  }

  static GenericRecord all() {
    GenericRecord inner = new GenericData.Record(ALL.getField("nested").schema());
    inner.put("x", -3);
    GenericRecord r = new GenericData.Record(ALL);
    r.put("ts_us", 1_700_000_000_000_000L);
    r.put("note", "say \"hi\"");
    r.put("kind", new GenericData.EnumSymbol(ALL.getField("kind").schema(), "B"));
    r.put("tags", List.of("a", "b"));
    r.put("attrs", Map.of("k", 7));
    r.put("raw", ByteBuffer.wrap(new byte[] {1, 2, 3}));
    r.put("mac", new GenericData.Fixed(ALL.getField("mac").schema(), new byte[] {(byte) 0xff, 0}));
    r.put("f", 1.5f);
    r.put("d", Double.NaN);
    r.put("ok", true);
    r.put("nested", inner);
    return r;
  }

  /** The Confluent wire format: header, then plain Avro binary. */
  static byte[] wire(int id, Schema schema, Object datum) {
    return ConfluentWire.encode(id, schema, datum);
  }

  private long[] write(byte[]... items) {
    try (DepotQueue queue = DepotQueue.open(dir)) {
      long[] ids = queue.appendAll(List.of(items));
      queue.sync();
      return ids;
    }
  }

  private static String at(long id) {
    return "{\"id\":"
        + id
        + ",\"segment\":"
        + DepotIds.segment(id)
        + ",\"position\":"
        + DepotIds.position(id)
        + ",\"complete\":true";
  }

  @Test
  void printsWireFormatItemsAsJsonAndOtherItemsAsBefore() throws Exception {
    byte[] avro = wire(1, ALL, all());
    long[] ids =
        write(
            avro,
            "hello".getBytes(UTF_8),
            new byte[] {0, 1} /* valid UTF-8, too short for the header */,
            avro);

    Result result = run("cat", dir.toString(), "--registry-url", url() + "/");

    assertThat(result.err()).isEmpty();
    assertThat(result.exitCode()).isZero();
    assertThat(result.outLines())
        .containsExactly(
            at(ids[0])
                + ",\"length\":"
                + avro.length
                + ",\"value_schema_id\":1,\"value_avro\":"
                + ALL_JSON
                + "}",
            at(ids[1]) + ",\"length\":5,\"value\":\"hello\"}",
            at(ids[2]) + ",\"length\":2,\"value\":\"\\u0000\\u0001\"}",
            at(ids[3])
                + ",\"length\":"
                + avro.length
                + ",\"value_schema_id\":1,\"value_avro\":"
                + ALL_JSON
                + "}");
    ObjectMapper json = new ObjectMapper();
    for (String line : result.outLines()) {
      assertThat(json.readTree(line).isObject()).as(line).isTrue();
    }
    assertThat(requests).as("one fetch, then the cache").containsExactly("GET /schemas/ids/1");
  }

  @Test
  void decodesKeysAndValuesOfEnvelopes() {
    byte[] key = wire(2, KEY, "sensor-1");
    byte[] value = wire(1, ALL, all());
    DepotEnvelope envelope =
        new DepotEnvelope(
            "readings",
            0,
            5L,
            1_700_000_000_000L,
            TimestampType.CREATE_TIME,
            key,
            value,
            List.of());
    long id;
    try (DepotQueue queue = DepotQueue.open(dir)) {
      id = queue.append(EnvelopeCodec.encode(envelope), 5L);
      queue.sync();
    }

    Result result = run("cat", dir.toString(), "--decode", "envelope", "--registry-url", url());

    assertThat(result.err()).isEmpty();
    assertThat(result.outLines())
        .containsExactly(
            at(id)
                + ",\"topic\":\"readings\",\"partition\":0,\"offset\":5,\"timestamp\":1700000000000,"
                + "\"timestamp_type\":\"CREATE_TIME\",\"key_schema_id\":2,\"key_avro\":\"sensor-1\","
                + "\"value_schema_id\":1,\"value_avro\":"
                + ALL_JSON
                + ",\"headers\":[]}");
  }

  @Test
  void printsAvroStringsMapKeysAndNumbersExactly() {
    GenericRecord text = new GenericData.Record(TEXT);
    text.put("s", "a\b\f\u0000\u007f\ud83d\ude00\"\\/\u2028");
    text.put("m", Map.of("k\ud83d\ude00\n\u001f", Long.MIN_VALUE));
    text.put("d0", -0.0);
    text.put("d1", Double.MIN_VALUE);
    text.put("d2", 1e10);
    text.put("d3", 0.1);
    text.put("d4", Double.NEGATIVE_INFINITY);
    text.put("fs", List.of(Float.MAX_VALUE, 0.1f, Float.NaN, Float.POSITIVE_INFINITY));
    byte[] avro = wire(3, TEXT, text);
    long[] ids = write(avro);

    Result result = run("cat", dir.toString(), "--registry-url", url());

    String line =
        at(ids[0])
            + ",\"length\":"
            + avro.length
            + ",\"value_schema_id\":3,\"value_avro\":{"
            + "\"s\":\"a\\u0008\\u000c\\u0000\u007f\ud83d\ude00\\\"\\\\/\u2028\","
            + "\"m\":{\"k\ud83d\ude00\\n\\u001f\":-9223372036854775808},"
            + "\"d0\":-0.0,\"d1\":4.9E-324,\"d2\":1.0E10,\"d3\":0.1,\"d4\":\"-Infinity\","
            + "\"fs\":[3.4028235E38,0.1,\"NaN\",\"Infinity\"]}}";
    assertThat(result.err()).isEmpty();
    assertThat(result.exitCode()).isZero();
    assertThat(result.stdout()).isEqualTo((line + System.lineSeparator()).getBytes(UTF_8));
  }

  @Test
  void anUnknownValueSchemaIdAfterADecodedKeyLeavesNoPartOfTheLine() {
    DepotEnvelope envelope =
        new DepotEnvelope(
            "readings",
            0,
            5L,
            null,
            TimestampType.NO_TIMESTAMP_TYPE,
            wire(2, KEY, "sensor-1"),
            wire(99, ALL, all()),
            List.of());
    long id;
    try (DepotQueue queue = DepotQueue.open(dir)) {
      id = queue.append(EnvelopeCodec.encode(envelope), 5L);
      queue.sync();
    }

    Result result = run("cat", dir.toString(), "--decode", "envelope", "--registry-url", url());

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.stdout()).isEmpty();
    assertThat(result.errLines())
        .containsExactly(
            "depot: record "
                + DepotIds.toString(id)
                + " value: schema id 99: GET "
                + url()
                + "/schemas/ids/99 failed: HTTP 404, registry error 40403: Schema not found");
  }

  @Test
  void withoutTheOptionWireFormatValuesStayBase64() {
    byte[] avro = wire(1, ALL, all());
    write(avro);

    Result result = run("cat", dir.toString());

    assertThat(result.out()).contains("\"value_base64\":").doesNotContain("value_avro");
    assertThat(requests).isEmpty();
  }

  @Test
  void anUnknownSchemaIdIsOneErrorLineNamingTheUrlAndTheId() {
    long[] ids = write(wire(1, ALL, all()), wire(99, ALL, all()), "after".getBytes(UTF_8));

    Result result = run("cat", dir.toString(), "--registry-url", url());

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.outLines()).hasSize(1).allMatch(l -> l.startsWith(at(ids[0])));
    assertThat(result.errLines())
        .containsExactly(
            "depot: record "
                + DepotIds.toString(ids[1])
                + " value: schema id 99: GET "
                + url()
                + "/schemas/ids/99 failed: HTTP 404, registry error 40403: Schema not found");
  }

  @Test
  void anUnreachableRegistryIsOneErrorLineNamingTheUrlAndTheId() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String gone = "http://127.0.0.1:" + port;
    long[] ids = write(wire(1, ALL, all()));

    Result result = run("cat", dir.toString(), "--registry-url", gone);

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.out()).isEmpty();
    assertThat(result.errLines()).hasSize(1);
    assertThat(result.err())
        .startsWith(
            "depot: record "
                + DepotIds.toString(ids[0])
                + " value: schema id 1: GET "
                + gone
                + "/schemas/ids/1 failed: cannot connect")
        .contains("check --registry-url (" + gone + ")");
  }

  @Test
  void bytesWithTheHeaderThatAreNotAvroAreReportedAndPrintedAsBefore() {
    byte[] truncated = {0, 0, 0, 0, 1, 2}; // ts_us of ALL is cut short
    byte[] trailing = wire(2, KEY, "k");
    trailing = java.util.Arrays.copyOf(trailing, trailing.length + 1);
    long[] ids = write(truncated, trailing, wire(2, KEY, "fine"));

    Result result = run("cat", dir.toString(), "--registry-url", url());

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.outLines())
        .containsExactly(
            at(ids[0]) + ",\"length\":6,\"value\":\"\\u0000\\u0000\\u0000\\u0000\\u0001\\u0002\"}",
            at(ids[1])
                + ",\"length\":8,\"value\":\"\\u0000\\u0000\\u0000\\u0000\\u0002\\u0002k\\u0000\"}",
            at(ids[2]) + ",\"length\":10,\"value_schema_id\":2,\"value_avro\":\"fine\"}");
    assertThat(result.errLines()).hasSize(2);
    assertThat(result.errLines().get(0))
        .startsWith(
            "depot: record "
                + DepotIds.toString(ids[0])
                + " value: has the Confluent wire header with schema id 1, but the rest is not"
                + " Avro of that schema: ");
    assertThat(result.errLines().get(1))
        .isEqualTo(
            "depot: record "
                + DepotIds.toString(ids[1])
                + " value: bytes left after the Avro datum of schema id 2 (Confluent wire)");
  }

  @Test
  void refusesRawOutputAndABadUrl() {
    write("x".getBytes(UTF_8));

    Result raw =
        run("cat", dir.toString(), "--format", "raw", "--registry-url", "http://localhost:8081");
    Result badUrl = run("cat", dir.toString(), "--registry-url", "localhost:8081");

    assertThat(raw.exitCode()).isEqualTo(2);
    assertThat(raw.err())
        .isEqualTo("depot: option '--registry-url' works with --format json only\n");
    assertThat(badUrl.exitCode()).isEqualTo(2);
    assertThat(badUrl.err())
        .startsWith("depot: --registry-url must be the base URL of a Confluent-compatible schema")
        .contains("was 'localhost:8081'");
    assertThat(requests).isEmpty();
  }
}
