package dev.depot.envelope;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * Encodes a {@link DepotEnvelope} as one depot item, and back. The item format, version 1:
 *
 * <pre>
 * offset size  field
 *      0    1  magic byte 0xDE
 *      1    1  envelope format version: 1
 *      2    n  the envelope as an Avro binary datum (no container, no schema id) of
 *              {@link #SCHEMA}, the schema in dev/depot/envelope/envelope.avsc:
 *                topic string, partition int, offset long, timestamp union {null, long},
 *                timestampType enum {NO_TIMESTAMP_TYPE, CREATE_TIME, LOG_APPEND_TIME},
 *                key union {null, bytes}, value union {null, bytes},
 *                headers array of record {key string, value union {null, bytes}}
 * </pre>
 *
 * Any Avro library decodes bytes 2.. with that schema. Thread-safe.
 */
public final class EnvelopeCodec {
  public static final byte MAGIC = (byte) 0xDE;
  public static final byte VERSION = 1;

  /** The envelope's Avro schema. */
  public static final Schema SCHEMA = loadSchema();

  private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

  private EnvelopeCodec() {}

  private static Schema loadSchema() {
    try (InputStream in = EnvelopeCodec.class.getResourceAsStream("envelope.avsc")) {
      if (in == null) {
        throw new IllegalStateException("envelope.avsc is missing from the depot-envelope jar");
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Per-thread reusable output buffer and encoder. */
  private static final class Buffers {
    final Output out = new Output();
    BinaryEncoder encoder;
  }

  /** A ByteArrayOutputStream whose reset keeps its array. */
  private static final class Output extends ByteArrayOutputStream {
    Output() {
      super(512);
    }
  }

  /** The item bytes of {@code envelope}. */
  public static byte[] encode(DepotEnvelope envelope) {
    Buffers b = BUFFERS.get();
    b.out.reset();
    b.out.write(MAGIC);
    b.out.write(VERSION);
    b.encoder = EncoderFactory.get().directBinaryEncoder(b.out, b.encoder);
    BinaryEncoder e = b.encoder;
    try {
      e.writeString(envelope.topic());
      e.writeInt(envelope.partition());
      e.writeLong(envelope.offset());
      if (envelope.timestamp() == null) {
        e.writeIndex(0);
      } else {
        e.writeIndex(1);
        e.writeLong(envelope.timestamp());
      }
      e.writeEnum(envelope.timestampType().ordinal());
      writeNullableBytes(e, envelope.key());
      writeNullableBytes(e, envelope.value());
      List<DepotEnvelope.Header> headers = envelope.headers();
      e.writeArrayStart();
      e.setItemCount(headers.size());
      for (DepotEnvelope.Header header : headers) {
        e.startItem();
        e.writeString(header.key());
        writeNullableBytes(e, header.value());
      }
      e.writeArrayEnd();
      e.flush();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex); // a ByteArrayOutputStream does not fail
    }
    return b.out.toByteArray();
  }

  private static void writeNullableBytes(BinaryEncoder e, byte[] bytes) throws IOException {
    if (bytes == null) {
      e.writeIndex(0);
    } else {
      e.writeIndex(1);
      e.writeBytes(bytes);
    }
  }

  /** Whether an item starts like an envelope (magic byte and a known version). */
  public static boolean looksLikeEnvelope(byte[] item) {
    return item.length >= 2 && item[0] == MAGIC && item[1] == VERSION;
  }

  /**
   * Decodes an item written by {@link #encode}. Every length is checked against the bytes left, so
   * damaged input fails fast instead of allocating what it claims.
   *
   * @throws IllegalArgumentException when the bytes are not a version 1 envelope
   */
  public static DepotEnvelope decode(byte[] item) {
    if (!looksLikeEnvelope(item)) {
      throw new IllegalArgumentException(
          "not a depot envelope: "
              + (item.length < 2
                  ? item.length + " bytes"
                  : String.format("starts with 0x%02x 0x%02x", item[0], item[1]))
              + ", expected 0xde 0x01");
    }
    Reader r = new Reader(item, 2);
    String topic = r.string();
    int partition = r.intValue();
    long offset = r.longValue();
    Long timestamp = r.present() ? r.longValue() : null;
    int type = r.intValue();
    DepotEnvelope.TimestampType[] types = DepotEnvelope.TimestampType.values();
    if (type < 0 || type >= types.length) {
      throw r.bad("timestamp type " + type);
    }
    byte[] key = r.present() ? r.bytes() : null;
    byte[] value = r.present() ? r.bytes() : null;
    List<DepotEnvelope.Header> headers = new ArrayList<>();
    for (long n = r.blockCount(); n != 0; n = r.blockCount()) {
      for (long i = 0; i < n; i++) {
        String headerKey = r.string();
        headers.add(new DepotEnvelope.Header(headerKey, r.present() ? r.bytes() : null));
      }
    }
    if (r.pos != item.length) {
      throw r.bad((item.length - r.pos) + " bytes after the envelope");
    }
    return new DepotEnvelope(topic, partition, offset, timestamp, types[type], key, value, headers);
  }

  /** Reads Avro's binary encoding (zigzag varints, length-prefixed bytes) with bounds checks. */
  private static final class Reader {
    final byte[] in;
    int pos;

    Reader(byte[] in, int pos) {
      this.in = in;
      this.pos = pos;
    }

    IllegalArgumentException bad(String what) {
      return new IllegalArgumentException("not a depot envelope: " + what + " at byte " + pos);
    }

    long longValue() {
      long raw = 0;
      for (int shift = 0; shift < 70; shift += 7) {
        if (pos >= in.length) {
          throw bad("it ends early");
        }
        int b = in[pos++] & 0xFF;
        raw |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return (raw >>> 1) ^ -(raw & 1);
        }
      }
      throw bad("a varint longer than 10 bytes");
    }

    int intValue() {
      long v = longValue();
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        throw bad("int out of range: " + v);
      }
      return (int) v;
    }

    /** A union {null, X}: true when X follows. */
    boolean present() {
      long index = longValue();
      if (index != 0 && index != 1) {
        throw bad("union branch " + index);
      }
      return index == 1;
    }

    byte[] bytes() {
      long length = longValue();
      if (length < 0 || length > in.length - pos) {
        throw bad("length " + length + " with " + (in.length - pos) + " bytes left");
      }
      byte[] out = new byte[(int) length];
      System.arraycopy(in, pos, out, 0, out.length);
      pos += out.length;
      return out;
    }

    String string() {
      byte[] utf8 = bytes();
      return new String(utf8, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The item count of the next array block; a negative count is followed by a byte size. */
    long blockCount() {
      long count = longValue();
      if (count < 0) {
        count = -count;
        longValue(); // the block's size in bytes, not needed
      }
      if (count > (in.length - pos) / 2) { // every header takes at least two bytes
        throw bad("array of " + count + " items with " + (in.length - pos) + " bytes left");
      }
      return count;
    }
  }
}
