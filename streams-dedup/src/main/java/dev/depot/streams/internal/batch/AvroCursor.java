package dev.depot.streams.internal.batch;

import org.apache.avro.Schema;

/**
 * Reads and skips Avro binary values in place, by their writer schema, without building objects.
 * Every read is bounds-checked: a truncated or garbled value throws {@link
 * IllegalArgumentException} naming the byte offset.
 */
final class AvroCursor {
  private final byte[] bytes;
  private final int end;
  int pos;

  AvroCursor(byte[] bytes, int pos, int end) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  long readLong() {
    long value = 0;
    int shift = 0;
    while (true) {
      if (pos >= end) {
        throw truncated();
      }
      int b = bytes[pos++] & 0xFF;
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return (value >>> 1) ^ -(value & 1);
      }
      shift += 7;
      if (shift > 63) {
        throw new IllegalArgumentException("bad Avro varint at byte " + (pos - 1));
      }
    }
  }

  int readInt() {
    long v = readLong();
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Avro int out of range at byte " + pos + ": " + v);
    }
    return (int) v;
  }

  /** Reads a length prefix and skips that many bytes; returns the start of the bytes. */
  int skipSized() {
    long n = readLong();
    if (n < 0 || n > end - pos) {
      throw new IllegalArgumentException(
          "bad Avro length " + n + " at byte " + pos + " (" + (end - pos) + " bytes left)");
    }
    int start = pos;
    pos += (int) n;
    return start;
  }

  byte[] readBytes() {
    int start = skipSized();
    byte[] out = new byte[pos - start];
    System.arraycopy(bytes, start, out, 0, out.length);
    return out;
  }

  void skipFixed(int n) {
    if (n > end - pos) {
      throw truncated();
    }
    pos += n;
  }

  /** The union branch at the cursor: reads its index. */
  Schema branch(Schema union) {
    int index = readInt();
    if (index < 0 || index >= union.getTypes().size()) {
      throw new IllegalArgumentException(
          "bad Avro union index " + index + " at byte " + pos + " for " + union);
    }
    return union.getTypes().get(index);
  }

  /** Skips one value of {@code schema}. */
  void skip(Schema schema) {
    switch (schema.getType()) {
      case NULL:
        return;
      case BOOLEAN:
        skipFixed(1);
        return;
      case INT:
      case LONG:
      case ENUM:
        readLong();
        return;
      case FLOAT:
        skipFixed(4);
        return;
      case DOUBLE:
        skipFixed(8);
        return;
      case STRING:
      case BYTES:
        skipSized();
        return;
      case FIXED:
        skipFixed(schema.getFixedSize());
        return;
      case UNION:
        skip(branch(schema));
        return;
      case RECORD:
        for (Schema.Field field : schema.getFields()) {
          skip(field.schema());
        }
        return;
      case ARRAY:
        skipBlocks(schema.getElementType(), null);
        return;
      case MAP:
        skipBlocks(schema.getValueType(), Schema.create(Schema.Type.STRING));
        return;
      default:
        throw new IllegalArgumentException("unsupported Avro type " + schema.getType());
    }
  }

  private void skipBlocks(Schema items, Schema keys) {
    while (true) {
      long count = readLong();
      if (count == 0) {
        return;
      }
      if (count < 0) {
        skipSized(); // the block's byte size, then its bytes
        continue;
      }
      for (long i = 0; i < count; i++) {
        if (keys != null) {
          skip(keys);
        }
        skip(items);
      }
    }
  }

  int remaining() {
    return end - pos;
  }

  private IllegalArgumentException truncated() {
    return new IllegalArgumentException("the Avro value ends too early, at byte " + pos);
  }
}
