package dev.depot.streams;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.internal.batch.AvroBatch;
import dev.depot.streams.internal.batch.JsonBatch;
import java.io.IOException;
import java.util.Objects;
import java.util.function.IntFunction;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;

/**
 * Ready-made {@link TimeKeyExtractor}s for Avro records and JSON documents. Field names default to
 * {@code ts_us} (epoch microseconds), {@code user_id} and {@code device_id}.
 *
 * <pre>{@code
 * TimeKeyExtractors.<String>avro();                        // GenericRecord values
 * TimeKeyExtractors.<String>json("time", "user", "dev");   // JSON values as bytes
 * TimeKeyExtractors.<String>jsonWithRecordTimestamp("user_id", "device_id");
 * }</pre>
 *
 * A missing field, a field of the wrong type or a value that does not parse throws {@link
 * IllegalArgumentException} naming the field.
 */
public final class TimeKeyExtractors {
  public static final String DEFAULT_TIME_FIELD = "ts_us";
  public static final String DEFAULT_USER_FIELD = "user_id";
  public static final String DEFAULT_DEVICE_FIELD = "device_id";

  private static final JsonFactory JSON = new JsonFactory();

  private TimeKeyExtractors() {}

  /** Avro values with fields {@code ts_us}, {@code user_id} and {@code device_id}. */
  public static <K> TimeKeyExtractor<K, IndexedRecord> avro() {
    return avro(DEFAULT_TIME_FIELD, DEFAULT_USER_FIELD, DEFAULT_DEVICE_FIELD);
  }

  /** Avro values with the given field names; the time field holds epoch microseconds. */
  public static <K> TimeKeyExtractor<K, IndexedRecord> avro(
      String timeField, String userField, String deviceField) {
    requireNames(timeField, userField, deviceField);
    return (key, value, timestamp) ->
        TimeKey.of(
            avroLong(value, timeField),
            (int) avroInt(value, userField),
            (int) avroInt(value, deviceField));
  }

  /** Avro values: the record timestamp (ms, as microseconds) and two id fields. */
  public static <K> TimeKeyExtractor<K, IndexedRecord> avroWithRecordTimestamp(
      String userField, String deviceField) {
    requireNames(userField, deviceField);
    return (key, value, timestamp) ->
        TimeKey.of(
            Math.multiplyExact(timestamp, 1000L),
            (int) avroInt(value, userField),
            (int) avroInt(value, deviceField));
  }

  /**
   * JSON values (UTF-8 bytes) with top-level fields {@code ts_us}, {@code user_id}, {@code
   * device_id}.
   */
  public static <K> TimeKeyExtractor<K, byte[]> json() {
    return json(DEFAULT_TIME_FIELD, DEFAULT_USER_FIELD, DEFAULT_DEVICE_FIELD);
  }

  /** JSON values with the given top-level field names; the time field holds epoch microseconds. */
  public static <K> TimeKeyExtractor<K, byte[]> json(
      String timeField, String userField, String deviceField) {
    requireNames(timeField, userField, deviceField);
    return (key, value, timestamp) -> {
      long[] fields = jsonFields(value, timeField, userField, deviceField);
      return TimeKey.of(fields[0], toInt(fields[1], userField), toInt(fields[2], deviceField));
    };
  }

  /** JSON values: the record timestamp (ms, as microseconds) and two id fields. */
  public static <K> TimeKeyExtractor<K, byte[]> jsonWithRecordTimestamp(
      String userField, String deviceField) {
    requireNames(userField, deviceField);
    return (key, value, timestamp) -> {
      long[] fields = jsonFields(value, null, userField, deviceField);
      return TimeKey.of(
          Math.multiplyExact(timestamp, 1000L),
          toInt(fields[1], userField),
          toInt(fields[2], deviceField));
    };
  }

  /**
   * JSON values (UTF-8) holding one reading each, with the fields {@code fields} names; {@link
   * ReadingFields#withStringIds() string ids} are hashed into the key's id. The array field is not
   * used.
   */
  public static <K> TimeKeyExtractor<K, byte[]> json(ReadingFields fields) {
    Objects.requireNonNull(fields, "fields cannot be null");
    return (key, value, timestamp) -> {
      JsonBatch one = JsonBatch.parseSingle(value, fields);
      return TimeKey.of(one.micros(0), one.id(0));
    };
  }

  /**
   * Avro values in the Confluent wire format (magic byte 0, 4-byte schema id, Avro binary), one
   * reading each, read in place (no objects built) by their writer schema; the array field is not
   * used. Forward the value bytes as they are: the registry is only read.
   *
   * @param schemas the writer schema of an id, e.g. {@code registry::schemaById}
   */
  public static <K> TimeKeyExtractor<K, byte[]> avro(
      IntFunction<Schema> schemas, ReadingFields fields) {
    Objects.requireNonNull(schemas, "schemas cannot be null");
    Objects.requireNonNull(fields, "fields cannot be null");
    AvroBatch.Reader reader = new AvroBatch.Reader(schemas, fields, false);
    return (key, value, timestamp) -> {
      AvroBatch one = reader.read(value);
      return TimeKey.of(one.micros(0), one.id(0));
    };
  }

  private static void requireNames(String... names) {
    for (String name : names) {
      Objects.requireNonNull(name, "field names cannot be null");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("field names cannot be empty");
      }
    }
  }

  private static long avroLong(IndexedRecord record, String field) {
    if (record == null) {
      throw new IllegalArgumentException("the value is null, so it has no field " + field);
    }
    Schema.Field f = record.getSchema().getField(field);
    if (f == null) {
      throw new IllegalArgumentException(
          "the Avro record " + record.getSchema().getFullName() + " has no field " + field);
    }
    Object v = record.get(f.pos());
    if (v instanceof Long || v instanceof Integer) {
      return ((Number) v).longValue();
    }
    throw new IllegalArgumentException(
        "field "
            + field
            + " must be an int or long, was "
            + (v == null ? "null" : v.getClass().getSimpleName()));
  }

  private static long avroInt(IndexedRecord record, String field) {
    return toInt(avroLong(record, field), field);
  }

  private static int toInt(long value, String field) {
    if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("field " + field + " must fit in 32 bits, was " + value);
    }
    return (int) value;
  }

  /** Reads three top-level integer fields; {@code timeField} may be null (not wanted). */
  private static long[] jsonFields(
      byte[] json, String timeField, String userField, String deviceField) {
    if (json == null) {
      throw new IllegalArgumentException("the value is null, so it has no field " + userField);
    }
    long[] out = new long[3];
    boolean[] seen = new boolean[3];
    try (JsonParser parser = JSON.createParser(json)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("the value is not a JSON object");
      }
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken valueToken = parser.nextToken();
        int slot =
            name.equals(timeField)
                ? 0
                : name.equals(userField) ? 1 : name.equals(deviceField) ? 2 : -1;
        if (slot < 0) {
          parser.skipChildren();
          continue;
        }
        if (valueToken != JsonToken.VALUE_NUMBER_INT) {
          throw new IllegalArgumentException(
              "field " + name + " must be an integer, was " + valueToken);
        }
        out[slot] = parser.getLongValue();
        seen[slot] = true;
      }
      if (token != JsonToken.END_OBJECT) {
        throw new IllegalArgumentException("the value is not a valid JSON object");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("the value is not valid JSON: " + e.getMessage(), e);
    }
    String[] names = {timeField, userField, deviceField};
    for (int i = 0; i < 3; i++) {
      if (names[i] != null && !seen[i]) {
        throw new IllegalArgumentException("the JSON value has no field " + names[i]);
      }
    }
    return out;
  }
}
