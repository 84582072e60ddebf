package dev.depot.streams.internal.batch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.depot.streams.ReadingFields;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The readings of a JSON batch: a top-level array of reading objects, or an object with an array
 * field of them. {@link #retain} copies the value's bytes up to the array's {@code [}, the kept
 * readings' bytes as they were joined by commas, then the value from the array's {@code ]} on: the
 * other fields stay byte for byte, whitespace between readings goes.
 */
public final class JsonBatch extends SplicedBatch {
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] NONE = new byte[0];

  private final int open;
  private final int close;

  private JsonBatch(byte[] value, Spans spans, long[] ids, int open, int close) {
    super(value, spans, ids);
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
  public byte[] retain(boolean[] keep, int kept) {
    return splice(keep, open + 1, NONE, ',', NONE, close);
  }

  /** One parse of one value. */
  private static final class Parse {
    private final byte[] value;
    private final ReadingFields fields;
    private final JsonParser parser;
    private final Spans spans;
    private final ReadingIds ids;
    private int open = -1;
    private int close = -1;

    Parse(byte[] value, ReadingFields fields, JsonParser parser) {
      this.value = value;
      this.fields = fields;
      this.parser = parser;
      this.spans = new Spans(fields, 64);
      this.ids = spans.ids;
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
      return new JsonBatch(value, spans, spans.resolveIds(), open, close);
    }

    private void readArray() throws IOException {
      open = offset(parser.currentTokenLocation().getByteOffset());
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.START_OBJECT) {
        reading();
      }
      if (token != JsonToken.END_ARRAY) {
        throw new IllegalArgumentException(
            "reading " + spans.size + " is not a JSON object (it starts with " + token + ")");
      }
      close = offset(parser.currentTokenLocation().getByteOffset());
    }

    /** Reads the reading object whose start the parser is at. */
    private void reading() throws IOException {
      int i = spans.size;
      spans.grow(i + 1);
      spans.starts[i] = offset(parser.currentTokenLocation().getByteOffset());
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
          spans.micros[i] = parser.getLongValue();
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
      spans.ends[i] = offset(parser.currentLocation().getByteOffset());
      spans.size++;
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

    private int offset(long byteOffset) {
      if (byteOffset < 0 || byteOffset > value.length) {
        throw new IllegalStateException("the JSON parser gave no byte offsets");
      }
      return (int) byteOffset;
    }
  }
}
