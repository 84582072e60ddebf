package dev.depot.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
