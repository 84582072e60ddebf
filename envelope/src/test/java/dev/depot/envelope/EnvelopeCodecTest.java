package dev.depot.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.envelope.DepotEnvelope.Header;
import dev.depot.envelope.DepotEnvelope.TimestampType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.junit.jupiter.api.Test;

class EnvelopeCodecTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertSame(DepotEnvelope a, DepotEnvelope b) {
    assertThat(b.topic()).isEqualTo(a.topic());
    assertThat(b.partition()).isEqualTo(a.partition());
    assertThat(b.offset()).isEqualTo(a.offset());
    assertThat(b.timestamp()).isEqualTo(a.timestamp());
    assertThat(b.timestampType()).isEqualTo(a.timestampType());
    assertThat(b.key()).isEqualTo(a.key());
    assertThat(b.value()).isEqualTo(a.value());
    assertThat(b.headers()).hasSameSizeAs(a.headers());
    for (int i = 0; i < a.headers().size(); i++) {
      assertThat(b.headers().get(i).key()).isEqualTo(a.headers().get(i).key());
      assertThat(b.headers().get(i).value()).isEqualTo(a.headers().get(i).value());
    }
  }

  @Test
  void roundTripsEveryFieldIncludingNullsAndRepeatedHeaders() {
    DepotEnvelope full =
        new DepotEnvelope(
            "readings",
            7,
            123_456_789_012L,
            1_700_000_000_123L,
            TimestampType.LOG_APPEND_TIME,
            utf8("user-42"),
            utf8("{\"hr\":61}"),
            List.of(
                new Header("a", utf8("1")), new Header("a", null), new Header("b", new byte[0])));
    assertSame(full, EnvelopeCodec.decode(EnvelopeCodec.encode(full)));
    DepotEnvelope tombstone =
        new DepotEnvelope("t", 0, 0, null, TimestampType.NO_TIMESTAMP_TYPE, null, null, List.of());
    assertSame(tombstone, EnvelopeCodec.decode(EnvelopeCodec.encode(tombstone)));
  }

  @Test
  void theBytesAfterTheMagicAreAPlainAvroDatumOfThePublishedSchema() throws Exception {
    DepotEnvelope envelope =
        new DepotEnvelope(
            "t",
            2,
            99,
            5L,
            TimestampType.CREATE_TIME,
            null,
            utf8("v"),
            List.of(new Header("h", utf8("x"))));
    byte[] item = EnvelopeCodec.encode(envelope);
    assertThat(item[0]).isEqualTo((byte) 0xDE);
    assertThat(item[1]).isEqualTo((byte) 1);
    GenericRecord record =
        new GenericDatumReader<GenericRecord>(EnvelopeCodec.SCHEMA)
            .read(null, DecoderFactory.get().binaryDecoder(item, 2, item.length - 2, null));
    assertThat(record.get("topic").toString()).isEqualTo("t");
    assertThat(record.get("partition")).isEqualTo(2);
    assertThat(record.get("offset")).isEqualTo(99L);
    assertThat(record.get("timestamp")).isEqualTo(5L);
    assertThat(record.get("timestampType").toString()).isEqualTo("CREATE_TIME");
    assertThat(record.get("key")).isNull();
    assertThat(((ByteBuffer) record.get("value")).array()).containsExactly('v');
    GenericRecord header = (GenericRecord) ((GenericData.Array<?>) record.get("headers")).get(0);
    assertThat(header.get("key").toString()).isEqualTo("h");
  }

  @Test
  void garbageIsRefusedWithAClearMessageNeverMisread() {
    assertThatThrownBy(() -> EnvelopeCodec.decode(utf8("hello")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not a depot envelope: starts with 0x68 0x65, expected 0xde 0x01");
    byte[] good =
        EnvelopeCodec.encode(
            new DepotEnvelope(
                "topic", 1, 2, 3L, TimestampType.CREATE_TIME, utf8("k"), utf8("v"), List.of()));
    assertThatThrownBy(() -> EnvelopeCodec.decode(Arrays.copyOf(good, good.length - 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("not a depot envelope");
    Random random = new Random(3);
    for (int i = 0; i < 2000; i++) {
      byte[] junk = new byte[2 + random.nextInt(60)];
      random.nextBytes(junk);
      junk[0] = (byte) 0xDE;
      junk[1] = 1;
      try {
        DepotEnvelope e = EnvelopeCodec.decode(junk);
        assertThat(EnvelopeCodec.encode(e)).isEqualTo(junk); // if it decodes, it is exact
      } catch (IllegalArgumentException expected) {
        assertThat(expected).hasMessageStartingWith("not a depot envelope");
      }
    }
  }
}
