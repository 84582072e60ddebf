package dev.depot.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/**
 * An Avro datum as a plain JSON value, for reading rather than for round trips: records and maps
 * are objects, arrays are arrays, a union is the value of its branch (no {@code {"type": value}}
 * wrapper as in Avro's JSON encoding), enums and strings are strings, bytes and fixed are base64
 * strings, NaN and the infinities are the strings {@code "NaN"}, {@code "Infinity"}, {@code
 * "-Infinity"}. Logical types print as their underlying type (a {@code timestamp-micros} is its
 * long). Strings are escaped as {@link JsonOutput} describes; an Avro string whose bytes are not
 * UTF-8 prints with U+FFFD in their place, as Avro's {@code Utf8.toString()} decodes it.
 */
final class AvroJson {
  private AvroJson() {}

  /** Writes {@code datum}, of {@code schema}, as the next value of {@code json}. */
  static void write(JsonGenerator json, Schema schema, Object datum) throws IOException {
    switch (schema.getType()) {
      case RECORD -> {
        GenericRecord record = (GenericRecord) datum;
        json.writeStartObject();
        for (Schema.Field field : schema.getFields()) {
          json.writeFieldName(field.name());
          write(json, field.schema(), record.get(field.pos()));
        }
        json.writeEndObject();
      }
      case ENUM -> json.writeString(datum.toString());
      case ARRAY -> {
        json.writeStartArray();
        for (Object element : (Collection<?>) datum) {
          write(json, schema.getElementType(), element);
        }
        json.writeEndArray();
      }
      case MAP -> {
        json.writeStartObject();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) datum).entrySet()) {
          json.writeFieldName(entry.getKey().toString());
          write(json, schema.getValueType(), entry.getValue());
        }
        json.writeEndObject();
      }
      case UNION ->
          write(json, schema.getTypes().get(GenericData.get().resolveUnion(schema, datum)), datum);
      case FIXED -> json.writeBinary(((GenericFixed) datum).bytes());
      case STRING -> json.writeString(datum.toString());
      case BYTES -> {
        ByteBuffer buffer = ((ByteBuffer) datum).duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        json.writeBinary(bytes);
      }
      case FLOAT -> {
        float value = (Float) datum;
        if (Float.isFinite(value)) {
          json.writeNumber(value);
        } else {
          json.writeString(datum.toString());
        }
      }
      case DOUBLE -> {
        double value = (Double) datum;
        if (Double.isFinite(value)) {
          json.writeNumber(value);
        } else {
          json.writeString(datum.toString());
        }
      }
      case INT -> json.writeNumber((Integer) datum);
      case LONG -> json.writeNumber((Long) datum);
      case BOOLEAN -> json.writeBoolean((Boolean) datum);
      case NULL -> json.writeNull();
    }
  }
}
