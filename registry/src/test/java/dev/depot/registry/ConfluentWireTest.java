package dev.depot.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.junit.jupiter.api.Test;

class ConfluentWireTest {
  @Test
  void theHeaderIsTheMagicByteAndTheIdBigEndian() {
    assertThat(ConfluentWire.header(0x01020304)).containsExactly(0, 1, 2, 3, 4);
    assertThat(ConfluentWire.header(-2)).containsExactly(0, 0xff, 0xff, 0xff, 0xfe);
    assertThat(ConfluentWire.HEADER_BYTES).isEqualTo(ConfluentWire.header(1).length);
  }

  @Test
  void readsBackEveryKindOfId() {
    for (int id : new int[] {0, 1, 255, 256, 65_537, Integer.MAX_VALUE, Integer.MIN_VALUE, -1}) {
      byte[] value = new byte[] {0, 0, 0, 0, 0, 42};
      System.arraycopy(ConfluentWire.header(id), 0, value, 0, 5);
      assertThat(ConfluentWire.schemaId(value)).as("id %d", id).isEqualTo(id);
      assertThat(ConfluentWire.hasHeader(value)).isTrue();
    }
  }

  @Test
  void refusesValuesThatAreNotInTheWireFormat() {
    assertThatThrownBy(() -> ConfluentWire.schemaId("{\"a\":1}".getBytes()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "not in the Confluent wire format: first byte 0x7b, expected 0x00 (the magic byte"
                + " before a 4-byte schema id)");
    assertThatThrownBy(() -> ConfluentWire.schemaId(new byte[] {0, 0, 0, 1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "not in the Confluent wire format: 4 bytes, expected at least 5 (magic byte 0x00 and"
                + " a 4-byte schema id)");
    assertThat(ConfluentWire.hasHeader(new byte[] {0, 0, 0, 1})).isFalse();
    assertThat(ConfluentWire.hasHeader(new byte[] {1, 0, 0, 0, 1})).isFalse();
    assertThat(ConfluentWire.hasHeader(null)).isFalse();
  }

  @Test
  void encodeWritesTheHeaderThenTheAvroBinaryOfTheDatum() throws Exception {
    Schema schema =
        SchemaBuilder.record("R").fields().requiredLong("ts_us").requiredString("n").endRecord();
    GenericRecord datum = new GenericData.Record(schema);
    datum.put("ts_us", 3L);
    datum.put("n", "ab");

    byte[] value = ConfluentWire.encode(0x0102, schema, datum);

    // header, then zig-zag varint 3 = 6, string length 2 = 4, "ab"
    assertThat(value).containsExactly(0, 0, 0, 1, 2, 6, 4, 'a', 'b');
    BinaryDecoder in =
        DecoderFactory.get()
            .binaryDecoder(
                value, ConfluentWire.HEADER_BYTES, value.length - ConfluentWire.HEADER_BYTES, null);
    assertThat(new GenericDatumReader<GenericRecord>(schema).read(null, in)).isEqualTo(datum);
    assertThat(in.isEnd()).isTrue();
  }
}
