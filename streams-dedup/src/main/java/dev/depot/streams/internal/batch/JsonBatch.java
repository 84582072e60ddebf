package dev.depot.streams.internal.batch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.depot.streams.ReadingBatch;
import dev.depot.streams.ReadingFields;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The readings of a JSON batch: a top-level array of reading objects, or an object with an array
 * field of them. {@link #retain} copies the value's bytes up to the array's {@code [}, the kept
 * readings' bytes as they were joined by commas, then the value from the array's {@code ]} on: the
 * other fields stay byte for byte, whitespace between readings goes.
 */
public final class JsonBatch implements ReadingBatch<byte[]> {
  private static final JsonFactory JSON = new JsonFactory();

  private final byte[] value;
  private final int size;
  private final long[] micros;
  private final long[] ids;
  private final int[] starts;
  private final int[] ends;
  private final int open;
  private final int close;

  private JsonBatch(
      byte[] value,
      int size,
      long[] micros,
      long[] ids,
      int[] starts,
      int[] ends,
      int open,
      int close) {
    this.value = value;
    this.size = size;
    this.micros = micros;
    this.ids = ids;
    this.starts = starts;
    this.ends = ends;
    this.open = open;
    this.close = close;
  }

  /**
   * Parses a batch.
   *
   * @throws IllegalArgumentException naming what is wrong when the value is not such a batch
   */
  public static JsonBatch parse(byte[] value, ReadingFields fields) {
    return parse(value, fields, true);
  }

  /** Parses a value holding one reading: a JSON object (the array field is not used). */
  public static JsonBatch parseSingle(byte[] value, ReadingFields fields) {
    return parse(value, fields, false);
  }

  private static JsonBatch parse(byte[] value, ReadingFields fields, boolean batch) {
    if (value == null) {
      throw new IllegalArgumentException("the value is null, not a JSON reading");
    }
    try (JsonParser parser = JSON.createParser(value)) {
      return new Parse(value, fields, parser).run(batch);
    } catch (IOException e) {
      throw new IllegalArgumentException("the value is not valid JSON: " + e.getMessage(), e);
    }
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public long micros(int i) {
    return micros[i];
  }

  @Override
  public long id(int i) {
    return ids[i];
  }

  @Override
  public byte[] retain(boolean[] keep, int kept) {
    int length = open + 1 + (value.length - close) + Math.max(0, kept - 1);
    for (int i = 0; i < size; i++) {
      if (keep[i]) {
        length += ends[i] - starts[i];
      }
    }
    byte[] out = new byte[length];
    System.arraycopy(value, 0, out, 0, open + 1);
    int at = open + 1;
    boolean first = true;
    for (int i = 0; i < size; i++) {
      if (!keep[i]) {
        continue;
      }
      if (!first) {
        out[at++] = ',';
      }
      first = false;
      int n = ends[i] - starts[i];
      System.arraycopy(value, starts[i], out, at, n);
      at += n;
    }
    System.arraycopy(value, close, out, at, value.length - close);
    return out;
  }

  /** One parse of one value. */
  private static final class Parse {
    private final byte[] value;
    private final ReadingFields fields;
    private final JsonParser parser;
    private final ReadingIds ids;
    private long[] micros = new long[64];
    private int[] starts = new int[64];
    private int[] ends = new int[64];
    private int size;
    private int open = -1;
    private int close = -1;

    Parse(byte[] value, ReadingFields fields, JsonParser parser) {
      this.value = value;
      this.fields = fields;
      this.parser = parser;
      this.ids = new ReadingIds(fields, 64);
    }

    JsonBatch run(boolean batch) throws IOException {
      JsonToken token = parser.nextToken();
      if (!batch) {
        if (token != JsonToken.START_OBJECT) {
          throw new IllegalArgumentException(
              "the value is not a JSON object (it starts with " + token + ")");
        }
        reading();
      } else if (fields.array().isEmpty()) {
        if (token != JsonToken.START_ARRAY) {
          throw new IllegalArgumentException(
              "the value is not a JSON array of readings (it starts with " + token + ")");
        }
        readArray();
      } else {
        if (token != JsonToken.START_OBJECT) {
          throw new IllegalArgumentException(
              "the value is not a JSON object with an array field "
                  + fields.array()
                  + " (it starts with "
                  + token
                  + ")");
        }
        while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          JsonToken next = parser.nextToken();
          if (name.equals(fields.array())) {
            if (next != JsonToken.START_ARRAY) {
              throw new IllegalArgumentException(
                  "field " + name + " must be an array of readings, was " + next);
            }
            readArray();
          } else if (!readId(name, next, -1)) {
            parser.skipChildren();
          }
        }
        if (open < 0) {
          throw new IllegalArgumentException(
              "the JSON object has no array field " + fields.array());
        }
      }
      if (parser.nextToken() != null) {
        throw new IllegalArgumentException("the value has more after its JSON batch");
      }
      long[] out = new long[size];
      ids.resolve(size, out);
      return new JsonBatch(value, size, micros, out, starts, ends, open, close);
    }

    private void readArray() throws IOException {
      open = offset(parser.currentTokenLocation().getByteOffset());
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.START_OBJECT) {
        reading();
      }
      if (token != JsonToken.END_ARRAY) {
        throw new IllegalArgumentException(
            "reading " + size + " is not a JSON object (it starts with " + token + ")");
      }
      close = offset(parser.currentTokenLocation().getByteOffset());
    }

    /** Reads the reading object whose start the parser is at. */
    private void reading() throws IOException {
      int i = size;
      grow(i + 1);
      starts[i] = offset(parser.currentTokenLocation().getByteOffset());
      boolean timeSeen = false;
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken next = parser.nextToken();
        if (name.equals(fields.time())) {
          if (next != JsonToken.VALUE_NUMBER_INT) {
            throw new IllegalArgumentException(
                "field " + name + " of reading " + i + " must be an integer, was " + next);
          }
          micros[i] = parser.getLongValue();
          timeSeen = true;
        } else if (!readId(name, next, i)) {
          parser.skipChildren();
        }
      }
      if (token != JsonToken.END_OBJECT) {
        throw new IllegalArgumentException("reading " + i + " is not a valid JSON object");
      }
      if (!timeSeen) {
        throw new IllegalArgumentException("reading " + i + " has no field " + fields.time());
      }
      ends[i] = offset(parser.currentLocation().getByteOffset());
      size++;
    }

    /** Reads a user or device field into {@code ids}; false when the field is neither. */
    private boolean readId(String name, JsonToken token, int reading) throws IOException {
      boolean user = name.equals(fields.user());
      if (!user && !name.equals(fields.device())) {
        return false;
      }
      if (token == JsonToken.VALUE_NUMBER_INT) {
        long v = parser.getLongValue();
        if (user) {
          ids.userNumber(reading, v);
        } else {
          ids.deviceNumber(reading, v);
        }
      } else if (token == JsonToken.VALUE_STRING) {
        byte[] text = parser.getText().getBytes(StandardCharsets.UTF_8);
        if (user) {
          ids.userText(reading, text);
        } else {
          ids.deviceText(reading, text);
        }
      } else {
        throw new IllegalArgumentException(
            "field "
                + name
                + (reading < 0 ? "" : " of reading " + reading)
                + " must be an integer or a string, was "
                + token);
      }
      return true;
    }

    private void grow(int capacity) {
      if (capacity > micros.length) {
        int n = micros.length * 2;
        micros = Arrays.copyOf(micros, n);
        starts = Arrays.copyOf(starts, n);
        ends = Arrays.copyOf(ends, n);
      }
      ids.ensure(capacity);
    }

    private int offset(long byteOffset) {
      if (byteOffset < 0 || byteOffset > value.length) {
        throw new IllegalStateException("the JSON parser gave no byte offsets");
      }
      return (int) byteOffset;
    }
  }
}
