package dev.depot.generator;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.depot.registry.ConfluentWire;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.junit.jupiter.api.Test;

class ReadingGeneratorTest {
  @Test
  void registersTheSchemaUnderTopicValueThroughTheConfluentApi() throws Exception {
    List<String> requests = new CopyOnWriteArrayList<>();
    List<String> bodies = new CopyOnWriteArrayList<>();
    HttpServer registry =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    registry.createContext(
        "/",
        exchange -> {
          try (exchange) {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), UTF_8));
            byte[] body =
                (exchange.getRequestMethod().equals("POST") ? "{\"id\":42}" : "[]").getBytes(UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    registry.start();
    try {
      String url = "http://127.0.0.1:" + registry.getAddress().getPort() + "/apis/ccompat/v7/";
      int id = new ReadingGenerator("sensor-readings", 10, 0, 5).registerSchema(url);

      assertThat(id).isEqualTo(42);
      assertThat(requests)
          .containsExactly(
              "GET /apis/ccompat/v7/subjects",
              "POST /apis/ccompat/v7/subjects/sensor-readings-value/versions");
      String schema = new ObjectMapper().readTree(bodies.get(1)).get("schema").asText();
      assertThat(new Schema.Parser().parse(schema)).isEqualTo(ReadingGenerator.SCHEMA);
    } finally {
      registry.stop(0);
    }
  }

  @Test
  void avroValuesAreTheWireHeaderAndPlainAvroBinary() throws Exception {
    ReadingGenerator.AvroWireEncoder encoder =
        new ReadingGenerator.AvroWireEncoder(ConfluentWire.header(42));
    encoder.encode(1, 1, 1); // the encoder reuses its buffers: the second value must stand alone
    byte[] value = encoder.encode(1_700_000_000_000_000L, 12, 3);

    assertThat(ConfluentWire.schemaId(value)).isEqualTo(42);
    BinaryDecoder decoder =
        DecoderFactory.get()
            .binaryDecoder(
                value, ConfluentWire.HEADER_BYTES, value.length - ConfluentWire.HEADER_BYTES, null);
    GenericRecord reading =
        new GenericDatumReader<GenericRecord>(ReadingGenerator.SCHEMA).read(null, decoder);
    assertThat(decoder.isEnd()).isTrue();
    assertThat(reading.get("ts_us")).isEqualTo(1_700_000_000_000_000L);
    assertThat(reading.get("user_id")).isEqualTo(12);
    assertThat(reading.get("device_id")).isEqualTo(3);
    assertThat(reading.get("hr"))
        .isEqualTo(ReadingGenerator.heartRate(1_700_000_000_000_000L, 12, 3));
  }
}
