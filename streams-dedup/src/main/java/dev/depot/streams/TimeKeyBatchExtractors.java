package dev.depot.streams;

import dev.depot.streams.internal.batch.AvroBatch;
import dev.depot.streams.internal.batch.JsonBatch;
import java.util.Objects;
import java.util.function.IntFunction;
import org.apache.avro.Schema;

/**
 * Ready-made {@link TimeKeyBatchExtractor}s over value bytes, for {@link Deduplicate#newReadings}.
 * Each finds the readings without building objects and forwards a batch holding only the new ones
 * by copying bytes: the original record's format, schema and field order, its other fields and each
 * kept reading's bytes are unchanged.
 *
 * <pre>{@code
 * // {"user_id": 7, "device_id": 2, "readings": [{"ts_us": 1764590400000000, "hr": 61}, ...]}
 * TimeKeyBatchExtractors.<String>json(ReadingFields.defaults());
 *
 * // [{"ts_us": ..., "user_id": 7, "device_id": 2, "hr": 61}, ...]
 * TimeKeyBatchExtractors.<String>json(ReadingFields.defaults().withArray(""));
 *
 * // Avro in the Confluent wire format; writer schemas from any Confluent-compatible registry
 * SchemaRegistryClient registry = SchemaRegistryClient.builder("http://registry:8081").build();
 * TimeKeyBatchExtractors.<String>avro(registry::schemaById, ReadingFields.defaults());
 * }</pre>
 *
 * A value that is not such a batch throws {@link IllegalArgumentException} naming the field,
 * reading or byte at fault; the processor then fails or skips the record ({@link
 * BadRecordHandling}).
 */
public final class TimeKeyBatchExtractors {
  private TimeKeyBatchExtractors() {}

  /**
   * JSON values (UTF-8): an object whose {@link ReadingFields#array()} field is an array of reading
   * objects, or, with an empty array field name, a top-level array of them.
   */
  public static <K> TimeKeyBatchExtractor<K, byte[]> json(ReadingFields fields) {
    Objects.requireNonNull(fields, "fields cannot be null");
    return (key, value, timestamp) -> JsonBatch.parse(value, fields);
  }

  /**
   * Avro values in the Confluent wire format (magic byte 0, 4-byte schema id, Avro binary): a
   * record whose {@link ReadingFields#array()} field is an array of reading records. The writer
   * schema of each id is asked of {@code schemas} once.
   *
   * @param schemas the writer schema of an id, e.g. {@code registry::schemaById}
   */
  public static <K> TimeKeyBatchExtractor<K, byte[]> avro(
      IntFunction<Schema> schemas, ReadingFields fields) {
    Objects.requireNonNull(schemas, "schemas cannot be null");
    Objects.requireNonNull(fields, "fields cannot be null");
    if (fields.array().isEmpty()) {
      throw new IllegalArgumentException(
          "an Avro batch is a record with an array field; the array field name cannot be empty");
    }
    AvroBatch.Reader reader = new AvroBatch.Reader(schemas, fields, true);
    return (key, value, timestamp) -> reader.read(value);
  }
}
