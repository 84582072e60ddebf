package dev.depot.envelope;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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

  /**
   * The number of bytes {@link #encode(DepotEnvelope)} produces for {@code envelope}, computed
   * without encoding it: with {@link #encode(DepotEnvelope, ByteBuffer)}, an envelope goes straight
   * into a buffer of exactly that size.
   *
   * <pre>{@code
   * int size = EnvelopeCodec.encodedSize(envelope);
   * long id = queue.append(size, target -> EnvelopeCodec.encode(envelope, target), offset);
   * }</pre>
   *
   * @throws IllegalArgumentException when the envelope takes more than 2 GiB - 1 bytes
   */
  public static int encodedSize(DepotEnvelope envelope) {
    long size = 2; // magic, version
    size += stringSize(envelope.topic());
    size += varintSize(envelope.partition());
    size += varintSize(envelope.offset());
    size += envelope.timestamp() == null ? 1 : 1 + varintSize(envelope.timestamp());
    size += 1; // the timestamp type's ordinal, 0..2
    size += nullableBytesSize(envelope.key());
    size += nullableBytesSize(envelope.value());
    List<DepotEnvelope.Header> headers = envelope.headers();
    if (!headers.isEmpty()) {
      size += varintSize(headers.size());
      for (DepotEnvelope.Header header : headers) {
        size += stringSize(header.key());
        size += nullableBytesSize(header.value());
      }
    }
    size += 1; // the end of the headers array
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "an envelope of topic "
              + envelope.topic()
              + " offset "
              + envelope.offset()
              + " takes "
              + size
              + " bytes, more than 2147483647");
    }
    return (int) size;
  }

  /**
   * Writes the item bytes of {@code envelope} at {@code target}'s position, exactly {@link
   * #encodedSize} of them, the same bytes {@link #encode(DepotEnvelope)} returns, and advances the
   * position past them.
   *
   * @throws java.nio.BufferOverflowException when fewer bytes remain; what was written before is
   *     then left in the buffer
   */
  public static void encode(DepotEnvelope envelope, ByteBuffer target) {
    target.put(MAGIC).put(VERSION);
    putString(target, envelope.topic());
    putVarint(target, envelope.partition());
    putVarint(target, envelope.offset());
    if (envelope.timestamp() == null) {
      target.put((byte) 0);
    } else {
      target.put((byte) 2); // union branch 1, zigzag-encoded
      putVarint(target, envelope.timestamp());
    }
    target.put((byte) (envelope.timestampType().ordinal() << 1));
    putNullableBytes(target, envelope.key());
    putNullableBytes(target, envelope.value());
    List<DepotEnvelope.Header> headers = envelope.headers();
    if (!headers.isEmpty()) {
      putVarint(target, headers.size());
      for (DepotEnvelope.Header header : headers) {
        putString(target, header.key());
        putNullableBytes(target, header.value());
      }
    }
    target.put((byte) 0);
  }

  /** Bytes of Avro's zigzag varint of {@code n}. */
  private static int varintSize(long n) {
    long z = (n << 1) ^ (n >> 63);
    return z == 0 ? 1 : (63 - Long.numberOfLeadingZeros(z)) / 7 + 1;
  }

  private static void putVarint(ByteBuffer target, long n) {
    long z = (n << 1) ^ (n >> 63);
    while ((z & ~0x7FL) != 0) {
      target.put((byte) ((z & 0x7F) | 0x80));
      z >>>= 7;
    }
    target.put((byte) z);
  }

  private static long nullableBytesSize(byte[] bytes) {
    return bytes == null ? 1 : 1 + varintSize(bytes.length) + bytes.length;
  }

  private static void putNullableBytes(ByteBuffer target, byte[] bytes) {
    if (bytes == null) {
      target.put((byte) 0);
    } else {
      target.put((byte) 2);
      putVarint(target, bytes.length);
      target.put(bytes);
    }
  }

  private static long stringSize(String s) {
    int utf8 = utf8Length(s);
    return varintSize(utf8) + utf8;
  }

  private static void putString(ByteBuffer target, String s) {
    putVarint(target, utf8Length(s));
    int start = target.position();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        target.position(start).put(s.getBytes(StandardCharsets.UTF_8));
        return;
      }
      target.put((byte) c);
    }
  }

  /** The UTF-8 length of {@code s} as {@link String#getBytes} encodes it (bad surrogates: '?'). */
  private static int utf8Length(String s) {
    int n = s.length();
    int bytes = n;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        continue;
      }
      if (c < 0x800) {
        bytes += 1;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 2; // four bytes for the pair's two chars
        i++;
      } else if (Character.isSurrogate(c)) {
        continue; // a lone surrogate becomes '?'
      } else {
        bytes += 2;
      }
    }
    return bytes;
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
    return decode(ByteBuffer.wrap(item));
  }

  /**
   * Decodes the item between the buffer's position and its limit, as {@link #decode(byte[])} does,
   * without moving the position: the key, value and header values are copied straight out of the
   * buffer (for example a depot record's {@code buffer()}, without first copying the whole item).
   *
   * @throws IllegalArgumentException when the bytes are not a version 1 envelope
   */
  public static DepotEnvelope decode(ByteBuffer item) {
    ByteBuffer in = item.slice(); // positions from 0, as in the messages of decode(byte[])
    int length = in.remaining();
    if (length < 2 || in.get(0) != MAGIC || in.get(1) != VERSION) {
      throw new IllegalArgumentException(
          "not a depot envelope: "
              + (length < 2
                  ? length + " bytes"
                  : String.format("starts with 0x%02x 0x%02x", in.get(0), in.get(1)))
              + ", expected 0xde 0x01");
    }
    Reader r = new Reader(in, 2);
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
    if (r.pos != length) {
      throw r.bad((length - r.pos) + " bytes after the envelope");
    }
    return new DepotEnvelope(topic, partition, offset, timestamp, types[type], key, value, headers);
  }

  /** Reads Avro's binary encoding (zigzag varints, length-prefixed bytes) with bounds checks. */
  private static final class Reader {
    final ByteBuffer in;
    final int end;
    int pos;

    Reader(ByteBuffer in, int pos) {
      this.in = in;
      this.end = in.limit();
      this.pos = pos;
    }

    IllegalArgumentException bad(String what) {
      return new IllegalArgumentException("not a depot envelope: " + what + " at byte " + pos);
    }

    long longValue() {
      long raw = 0;
      for (int shift = 0; shift < 70; shift += 7) {
        if (pos >= end) {
          throw bad("it ends early");
        }
        int b = in.get(pos++) & 0xFF;
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
      if (length < 0 || length > end - pos) {
        throw bad("length " + length + " with " + (end - pos) + " bytes left");
      }
      byte[] out = new byte[(int) length];
      in.get(pos, out);
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
      if (count > (end - pos) / 2) { // every header takes at least two bytes
        throw bad("array of " + count + " items with " + (end - pos) + " bytes left");
      }
      return count;
    }
  }
}
