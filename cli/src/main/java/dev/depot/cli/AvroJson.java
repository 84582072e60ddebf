package dev.depot.cli;

import java.nio.ByteBuffer;
import java.util.Base64;
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
 * long).
 */
final class AvroJson {
  private AvroJson() {}

  static StringBuilder append(StringBuilder sb, Schema schema, Object datum) {
    switch (schema.getType()) {
      case RECORD -> {
        GenericRecord record = (GenericRecord) datum;
        sb.append('{');
        boolean first = true;
        for (Schema.Field field : schema.getFields()) {
          if (!first) {
            sb.append(',');
          }
          first = false;
          Json.appendString(sb, field.name()).append(':');
          append(sb, field.schema(), record.get(field.pos()));
        }
        sb.append('}');
      }
      case ENUM -> Json.appendString(sb, datum.toString());
      case ARRAY -> {
        sb.append('[');
        boolean first = true;
        for (Object element : (Collection<?>) datum) {
          if (!first) {
            sb.append(',');
          }
          first = false;
          append(sb, schema.getElementType(), element);
        }
        sb.append(']');
      }
      case MAP -> {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) datum).entrySet()) {
          if (!first) {
            sb.append(',');
          }
          first = false;
          Json.appendString(sb, entry.getKey().toString()).append(':');
          append(sb, schema.getValueType(), entry.getValue());
        }
        sb.append('}');
      }
      case UNION ->
          append(sb, schema.getTypes().get(GenericData.get().resolveUnion(schema, datum)), datum);
      case FIXED -> base64(sb, ((GenericFixed) datum).bytes());
      case STRING -> Json.appendString(sb, (CharSequence) datum);
      case BYTES -> {
        ByteBuffer buffer = ((ByteBuffer) datum).duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        base64(sb, bytes);
      }
      case FLOAT -> number(sb, ((Float) datum).doubleValue(), datum.toString());
      case DOUBLE -> number(sb, (Double) datum, datum.toString());
      case INT, LONG, BOOLEAN -> sb.append(datum);
      case NULL -> sb.append("null");
    }
    return sb;
  }

  private static void number(StringBuilder sb, double value, String text) {
    if (Double.isFinite(value)) {
      sb.append(text);
    } else {
      Json.appendString(sb, text);
    }
  }

  private static void base64(StringBuilder sb, byte[] bytes) {
    sb.append('"').append(Base64.getEncoder().encodeToString(bytes)).append('"');
  }
}
