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
  void decodesFromABufferBetweenPositionAndLimitWithoutMovingIt() {
    DepotEnvelope full =
        new DepotEnvelope(
            "readings",
            3,
            42L,
            1_700_000_000_123L,
            TimestampType.CREATE_TIME,
            utf8("k"),
            utf8("value"),
            List.of(new Header("h", utf8("x")), new Header("n", null)));
    byte[] encoded = EnvelopeCodec.encode(full);
    ByteBuffer framed = ByteBuffer.allocate(encoded.length + 7);
    framed.position(5).put(encoded).put((byte) 1).put((byte) 2);
    ByteBuffer view = framed.position(5).limit(5 + encoded.length).slice().asReadOnlyBuffer();
    framed.position(5);
    assertSame(full, EnvelopeCodec.decode(framed));
    assertThat(framed.position()).isEqualTo(5);
    assertSame(full, EnvelopeCodec.decode(view));
    assertThat(view.position()).isZero();
    // the limit bounds the envelope: the bytes after it are not read, the bytes cut off are missed
    assertThatThrownBy(() -> EnvelopeCodec.decode(framed.duplicate().limit(framed.limit() + 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not a depot envelope: 1 bytes after the envelope at byte " + encoded.length);
    assertThatThrownBy(() -> EnvelopeCodec.decode(ByteBuffer.wrap(utf8("hello"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("not a depot envelope: starts with 0x68 0x65, expected 0xde 0x01");
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

  /** A string of {@code length} chars: ASCII, 2- and 3-byte chars, pairs and lone surrogates. */
  private static String text(Random random, int length) {
    StringBuilder b = new StringBuilder();
    while (b.length() < length) {
      switch (random.nextInt(6)) {
        case 0 -> b.append((char) (0x80 + random.nextInt(0x780)));
        case 1 -> b.append((char) (0x800 + random.nextInt(0xD000 - 0x800)));
        case 2 -> b.appendCodePoint(0x10000 + random.nextInt(0x10000));
        case 3 -> b.append((char) (0xD800 + random.nextInt(0x800))); // lone surrogate
        default -> b.append((char) ('a' + random.nextInt(26)));
      }
    }
    return b.toString();
  }

  private static byte[] maybeBytes(Random random, int max) {
    if (random.nextInt(5) == 0) {
      return null;
    }
    byte[] bytes = new byte[random.nextInt(max)];
    random.nextBytes(bytes);
    return bytes;
  }

  @Test
  void encodingIntoABufferGivesTheAvroEncodersBytesAndItsPredictedSize() {
    Random random = new Random(3);
    long[] longs = {0, 1, -1, 63, 64, -64, -65, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 35};
    TimestampType[] types = TimestampType.values();
    for (int round = 0; round < 3000; round++) {
      int headerCount = random.nextInt(4) == 0 ? random.nextInt(200) : random.nextInt(3);
      List<Header> headers = new java.util.ArrayList<>();
      for (int h = 0; h < headerCount; h++) {
        headers.add(new Header(text(random, random.nextInt(12)), maybeBytes(random, 20)));
      }
      DepotEnvelope envelope =
          new DepotEnvelope(
              round % 2 == 0 ? "topic-" + round : text(random, random.nextInt(300)),
              round % 7 == 0 ? Integer.MIN_VALUE + round : random.nextInt(1 << (round % 31)),
              random.nextBoolean() ? longs[round % longs.length] : random.nextLong(),
              random.nextInt(4) == 0 ? null : random.nextLong() >> random.nextInt(64),
              types[round % types.length],
              maybeBytes(random, 40),
              maybeBytes(random, round % 10 == 0 ? 20_000 : 300),
              headers);
      byte[] expected = EnvelopeCodec.encode(envelope);
      assertThat(EnvelopeCodec.encodedSize(envelope))
          .as("round %d", round)
          .isEqualTo(expected.length);
      ByteBuffer target = ByteBuffer.allocateDirect(expected.length + 5).position(3);
      EnvelopeCodec.encode(envelope, target);
      assertThat(target.position()).isEqualTo(3 + expected.length);
      byte[] actual = new byte[expected.length];
      target.get(3, actual);
      assertThat(actual).as("round %d", round).isEqualTo(expected);
    }
  }

  @Test
  void encodingIntoABufferTooSmallOverflows() {
    DepotEnvelope envelope =
        new DepotEnvelope(
            "t", 0, 1, null, TimestampType.CREATE_TIME, null, new byte[100], List.of());
    ByteBuffer target = ByteBuffer.allocate(EnvelopeCodec.encodedSize(envelope) - 1);
    assertThatThrownBy(() -> EnvelopeCodec.encode(envelope, target))
        .isInstanceOf(java.nio.BufferOverflowException.class);
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
