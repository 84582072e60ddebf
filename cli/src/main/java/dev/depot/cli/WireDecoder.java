package dev.depot.cli;

import dev.depot.registry.ConfluentWire;
import dev.depot.registry.SchemaRegistryClient;
import dev.depot.registry.SchemaRegistryException;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Decodes keys and values in the Confluent wire format (magic byte 0, 4-byte schema id, Avro
 * binary) with writer schemas from a registry. Not thread-safe.
 */
final class WireDecoder implements AutoCloseable {
  /** A decoded datum and the schema id it was written with. */
  record Decoded(int schemaId, Schema schema, Object datum) {}

  /** The bytes have the wire header, but what follows is not Avro of that schema. */
  static final class NotAvroException extends Exception {
    private static final long serialVersionUID = 1L;

    NotAvroException(String message) {
      super(message);
    }
  }

  private final SchemaRegistryClient registry;
  private final Map<Integer, GenericDatumReader<Object>> readers = new HashMap<>();
  private BinaryDecoder decoder;

  private WireDecoder(SchemaRegistryClient registry) {
    this.registry = registry;
  }

  /**
   * A decoder against the registry at {@code url}.
   *
   * @throws CliException (usage) when {@code url} is not an http or https URL
   */
  static WireDecoder open(String url) {
    try {
      return new WireDecoder(
          SchemaRegistryClient.builder(url).settingName("--registry-url").build());
    } catch (IllegalArgumentException e) {
      throw CliException.usage(e.getMessage());
    }
  }

  /**
   * The datum in {@code bytes}, or null when they are not in the wire format (no magic byte, or
   * shorter than its header).
   *
   * @param what names the bytes in messages, e.g. {@code record 0:35 value}
   * @throws CliException when the registry cannot give the schema: unreachable, unknown id
   * @throws NotAvroException when the bytes after the header do not decode with the schema
   */
  Decoded decode(byte[] bytes, String what) throws NotAvroException {
    if (!ConfluentWire.hasHeader(bytes)) {
      return null;
    }
    int id = ConfluentWire.schemaId(bytes);
    GenericDatumReader<Object> reader = readers.get(id);
    if (reader == null) {
      Schema schema;
      try {
        schema = registry.schemaById(id);
      } catch (SchemaRegistryException e) {
        throw new CliException(DepotCli.EXIT_FAILURE, what + ": " + e.getMessage());
      }
      reader = new GenericDatumReader<>(schema);
      readers.put(id, reader);
    }
    decoder =
        DecoderFactory.get()
            .binaryDecoder(
                bytes,
                ConfluentWire.HEADER_BYTES,
                bytes.length - ConfluentWire.HEADER_BYTES,
                decoder);
    Object datum;
    try {
      datum = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new NotAvroException(
            what + ": bytes left after the Avro datum of schema id " + id + " (Confluent wire)");
      }
    } catch (IOException | RuntimeException e) {
      throw new NotAvroException(
          what
              + ": has the Confluent wire header with schema id "
              + id
              + ", but the rest is not Avro of that schema: "
              + e);
    }
    return new Decoded(id, reader.getSchema(), datum);
  }

  @Override
  public void close() {
    registry.close();
  }
}
