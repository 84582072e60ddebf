package dev.depot.registry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * The Confluent wire format of a Kafka key or value that a schema registry describes:
 *
 * <pre>
 * byte 0      magic byte, {@value #MAGIC}
 * bytes 1-4   schema id, a signed 32-bit big-endian integer: the registry's global id, which
 *             {@code GET /schemas/ids/{id}} resolves to the writer schema
 * bytes 5-    the datum in the schema's binary encoding (for Avro: plain Avro binary, no
 *             container file header, no fingerprint)
 * </pre>
 *
 * <p>Reading one with plain Avro and a {@link SchemaRegistryClient}:
 *
 * <pre>{@code
 * int id = ConfluentWire.schemaId(value);
 * Schema writer = registry.schemaById(id);
 * BinaryDecoder in = DecoderFactory.get().binaryDecoder(
 *     value, ConfluentWire.HEADER_BYTES, value.length - ConfluentWire.HEADER_BYTES, null);
 * GenericRecord record = new GenericDatumReader<GenericRecord>(writer).read(null, in);
 * }</pre>
 *
 * <p>Writing one: {@link #encode(int, Schema, Object)}; or, where a writer and a buffer are reused
 * per value, {@link #header(int)} and then the Avro binary of the datum. Stateless and thread-safe.
 */
public final class ConfluentWire {
  /** The first byte of every value in the wire format. */
  public static final byte MAGIC = 0;

  /** The magic byte and the 4-byte schema id that precede the datum. */
  public static final int HEADER_BYTES = 5;

  private ConfluentWire() {}

  /**
   * The schema id in a value's header.
   *
   * @throws IllegalArgumentException when the value is shorter than {@value #HEADER_BYTES} bytes or
   *     does not start with the magic byte {@value #MAGIC}
   */
  public static int schemaId(byte[] value) {
    Objects.requireNonNull(value, "value cannot be null");
    if (value.length < HEADER_BYTES) {
      throw new IllegalArgumentException(
          "not in the Confluent wire format: "
              + value.length
              + " bytes, expected at least "
              + HEADER_BYTES
              + " (magic byte 0x00 and a 4-byte schema id)");
    }
    if (value[0] != MAGIC) {
      throw new IllegalArgumentException(
          String.format(
              "not in the Confluent wire format: first byte 0x%02x, expected 0x00 (the magic"
                  + " byte before a 4-byte schema id)",
              value[0] & 0xFF));
    }
    return (value[1] & 0xFF) << 24
        | (value[2] & 0xFF) << 16
        | (value[3] & 0xFF) << 8
        | (value[4] & 0xFF);
  }

  /**
   * Whether {@link #schemaId(byte[])} would read an id from the value: at least {@value
   * #HEADER_BYTES} bytes, the first of them {@value #MAGIC}. Says nothing about the rest.
   */
  public static boolean hasHeader(byte[] value) {
    return value != null && value.length >= HEADER_BYTES && value[0] == MAGIC;
  }

  /** A new 5-byte header: the magic byte and {@code schemaId}, big-endian. */
  public static byte[] header(int schemaId) {
    return new byte[] {
      MAGIC,
      (byte) (schemaId >>> 24),
      (byte) (schemaId >>> 16),
      (byte) (schemaId >>> 8),
      (byte) schemaId
    };
  }

  /**
   * {@code datum} in the wire format: the header of {@code schemaId}, then {@code datum} in the
   * Avro binary encoding of {@code schema} (a new writer and buffer each call).
   *
   * <pre>{@code
   * byte[] value = ConfluentWire.encode(registry.register("readings-value", schema), schema, reading);
   * }</pre>
   *
   * @throws org.apache.avro.AvroRuntimeException when {@code datum} does not fit {@code schema}
   */
  public static byte[] encode(int schemaId, Schema schema, Object datum) {
    Objects.requireNonNull(schema, "schema cannot be null");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header(schemaId));
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      new GenericDatumWriter<Object>(schema).write(datum, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
    }
    return out.toByteArray();
  }
}
