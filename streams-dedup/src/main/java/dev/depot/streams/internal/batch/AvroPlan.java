package dev.depot.streams.internal.batch;

import dev.depot.streams.ReadingFields;
import java.util.List;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;

/**
 * Where the readings and their key fields sit in one writer schema: worked out once per schema,
 * then used for every value written with it.
 */
final class AvroPlan {
  final Schema schema;
  final Schema[] topFields;

  /** The array field's index in the record, or -1 when the record itself is one reading. */
  final int arrayIndex;

  /** The reading record's field schemas. */
  final Schema[] readingFields;

  final int time;
  final boolean timeMillis;
  final int user;
  final int device;
  final int topUser;
  final int topDevice;

  private AvroPlan(Schema schema, ReadingFields fields, boolean batch) {
    this.schema = schema;
    if (schema.getType() != Schema.Type.RECORD) {
      throw new IllegalArgumentException(
          "the writer schema is " + schema.getType() + ", not a record of readings");
    }
    this.topFields = fieldSchemas(schema);
    Schema reading = schema;
    if (batch) {
      Schema.Field array = schema.getField(fields.array());
      if (array == null) {
        throw new IllegalArgumentException(
            "the record " + schema.getFullName() + " has no array field " + fields.array());
      }
      Schema type = nonNull(array.schema());
      if (type == null || type.getType() != Schema.Type.ARRAY) {
        throw new IllegalArgumentException(
            "field " + fields.array() + " of " + schema.getFullName() + " is not an array");
      }
      reading = type.getElementType();
      if (reading.getType() != Schema.Type.RECORD) {
        throw new IllegalArgumentException(
            "the items of " + fields.array() + " are " + reading.getType() + ", not records");
      }
      arrayIndex = array.pos();
      topUser = fields.user() == null ? -1 : index(schema, fields.user());
      topDevice = index(schema, fields.device());
    } else {
      arrayIndex = -1;
      topUser = -1;
      topDevice = -1;
    }
    this.readingFields = fieldSchemas(reading);
    this.time = index(reading, fields.time());
    if (time < 0) {
      throw new IllegalArgumentException(
          "the reading record " + reading.getFullName() + " has no field " + fields.time());
    }
    Schema timeType = nonNull(readingFields[time]);
    if (timeType == null
        || (timeType.getType() != Schema.Type.LONG && timeType.getType() != Schema.Type.INT)) {
      throw new IllegalArgumentException(
          "field " + fields.time() + " must be an Avro long or int, is " + readingFields[time]);
    }
    LogicalType logical = timeType.getLogicalType();
    this.timeMillis = logical instanceof LogicalTypes.TimestampMillis;
    this.user = fields.user() == null ? -1 : index(reading, fields.user());
    this.device = index(reading, fields.device());
    if (device < 0 && topDevice < 0) {
      throw new IllegalArgumentException(
          "neither the reading record "
              + reading.getFullName()
              + " nor the record around it has"
              + " a field "
              + fields.device());
    }
    if (fields.user() != null && user < 0 && topUser < 0) {
      throw new IllegalArgumentException(
          "neither the reading record "
              + reading.getFullName()
              + " nor the record around it has"
              + " a field "
              + fields.user()
              + " (no user field: ReadingFields.withoutUser(),"
              + " dedup.user.field empty in the app)");
    }
  }

  static AvroPlan batch(Schema schema, ReadingFields fields) {
    return new AvroPlan(schema, fields, true);
  }

  static AvroPlan single(Schema schema, ReadingFields fields) {
    return new AvroPlan(schema, fields, false);
  }

  private static Schema[] fieldSchemas(Schema record) {
    List<Schema.Field> fields = record.getFields();
    Schema[] out = new Schema[fields.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = fields.get(i).schema();
    }
    return out;
  }

  private static int index(Schema record, String name) {
    Schema.Field field = record.getField(name);
    return field == null ? -1 : field.pos();
  }

  /** The schema itself, or the one non-null branch of a union with null; null otherwise. */
  static Schema nonNull(Schema schema) {
    if (schema.getType() != Schema.Type.UNION) {
      return schema;
    }
    Schema found = null;
    for (Schema branch : schema.getTypes()) {
      if (branch.getType() != Schema.Type.NULL) {
        if (found != null) {
          return null;
        }
        found = branch;
      }
    }
    return found;
  }
}
