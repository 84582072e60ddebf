package dev.depot.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.util.Utf8;
import org.junit.jupiter.api.Test;

class AvroJsonTest {
  private static String json(Schema schema, Object datum) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator json = JsonOutput.open(out)) {
      AvroJson.write(json, schema, datum);
    }
    return out.toString(UTF_8);
  }

  @Test
  void writesDatumsNestedDeeperThanJacksonsDefaultLimitOfAThousand() throws IOException {
    Schema node =
        SchemaBuilder.record("Node")
            .fields()
            .name("next")
            .type()
            .optional()
            .type("Node")
            .endRecord();
    GenericRecord datum = null;
    int depth = 1500;
    for (int i = 0; i < depth; i++) {
      GenericRecord outer = new GenericData.Record(node);
      outer.put("next", datum);
      datum = outer;
    }

    String json = json(node, datum);

    assertThat(json)
        .isEqualTo("{\"next\":".repeat(depth - 1) + "{\"next\":null" + "}".repeat(depth));
  }

  @Test
  void writesAvroStringsWhoseBytesAreNotUtf8WithReplacementCharacters() throws IOException {
    Schema map = SchemaBuilder.map().values().stringType();
    Utf8 bad = new Utf8(new byte[] {'a', (byte) 0xff, '"'});

    String json = json(map, Map.of(bad, bad));

    assertThat(json).isEqualTo("{\"a\ufffd\\\"\":\"a\ufffd\\\"\"}");
  }
}
