package dev.depot.streams.app;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;

/** Decodes Confluent wire format values into records, by their writer schema. */
final class WireAvroReader {
  private final IntFunction<Schema> schemas;
  private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new ConcurrentHashMap<>();

  WireAvroReader(IntFunction<Schema> schemas) {
    this.schemas = schemas;
  }

  GenericRecord read(byte[] value) {
    if (value == null || value.length < 5 || value[0] != 0) {
      throw new IllegalArgumentException("the value is not in the Confluent wire format");
    }
    int id =
        ((value[1] & 0xFF) << 24)
            | ((value[2] & 0xFF) << 16)
            | ((value[3] & 0xFF) << 8)
            | (value[4] & 0xFF);
    GenericDatumReader<GenericRecord> reader =
        readers.computeIfAbsent(id, i -> new GenericDatumReader<>(schemas.apply(i)));
    try {
      return reader.read(
          null, DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("the Avro value does not decode: " + e.getMessage(), e);
    }
  }
}
