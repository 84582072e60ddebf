package dev.depot.streams.internal.batch;

import dev.depot.streams.ReadingFields;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import org.apache.avro.Schema;

/**
 * The readings of an Avro value in the Confluent wire format (magic byte 0, 4-byte big-endian
 * schema id, Avro binary), read in place by the writer schema. In batch mode the record has an
 * array field of reading records; {@link #retain} splices bytes: the value up to the array, one
 * block holding the kept readings' bytes as they were, then the value after the array. So a
 * forwarded batch keeps its schema id, and the registry is only ever read.
 */
public final class AvroBatch extends SplicedBatch {
  private static final byte[] END_OF_BLOCKS = {0};

  private final int arrayStart;
  private final int arrayEnd;

  private AvroBatch(byte[] value, Spans spans, long[] ids, int arrayStart, int arrayEnd) {
    super(value, spans, ids);
    this.arrayStart = arrayStart;
    this.arrayEnd = arrayEnd;
  }

  /** Reads values of one layout; caches a plan per schema id. Thread-safe. */
  public static final class Reader {
    private final IntFunction<Schema> schemas;
    private final ReadingFields fields;
    private final boolean batch;
    private final Map<Integer, AvroPlan> plans = new ConcurrentHashMap<>();

    /**
     * @param schemas writer schema by id (a registry client's cached lookup)
     * @param batch true: records with an array field of readings; false: one reading per record
     */
    public Reader(IntFunction<Schema> schemas, ReadingFields fields, boolean batch) {
      this.schemas = schemas;
      this.fields = fields;
      this.batch = batch;
    }

    /**
     * The readings of a value.
     *
     * @throws IllegalArgumentException naming what is wrong when it is not such a value
     */
    public AvroBatch read(byte[] value) {
      if (value == null) {
        throw new IllegalArgumentException("the value is null, not an Avro record of readings");
      }
      if (value.length < 5 || value[0] != 0) {
        throw new IllegalArgumentException(
            "the value is not in the Confluent wire format: "
                + (value.length < 5
                    ? value.length + " bytes"
                    : String.format("first byte 0x%02x, expected 0x00", value[0] & 0xFF)));
      }
      int id =
          ((value[1] & 0xFF) << 24)
              | ((value[2] & 0xFF) << 16)
              | ((value[3] & 0xFF) << 8)
              | (value[4] & 0xFF);
      AvroPlan plan = plans.get(id);
      if (plan == null) {
        Schema schema = schemas.apply(id);
        plan = batch ? AvroPlan.batch(schema, fields) : AvroPlan.single(schema, fields);
        plans.put(id, plan);
      }
      return new Scan(value, plan, fields).run();
    }
  }

  @Override
  public byte[] retain(boolean[] keep, int kept) {
    if (arrayStart < 0) {
      throw new IllegalStateException("a single reading is kept or dropped whole");
    }
    byte[] count = new byte[varintSize(kept)];
    writeVarint(count, 0, kept);
    // one block of the kept readings, then the end of the array's blocks
    return splice(keep, arrayStart, count, -1, END_OF_BLOCKS, arrayEnd);
  }

  private static int varintSize(long v) {
    long z = (v << 1) ^ (v >> 63);
    int n = 1;
    while ((z & ~0x7FL) != 0) {
      z >>>= 7;
      n++;
    }
    return n;
  }

  private static int writeVarint(byte[] out, int at, long v) {
    long z = (v << 1) ^ (v >> 63);
    while ((z & ~0x7FL) != 0) {
      out[at++] = (byte) ((z & 0x7F) | 0x80);
      z >>>= 7;
    }
    out[at++] = (byte) z;
    return at;
  }

  /** One scan of one value. */
  private static final class Scan {
    private final byte[] value;
    private final AvroPlan plan;
    private final AvroCursor in;
    private final Spans spans;
    private final ReadingIds ids;
    private int arrayStart = -1;
    private int arrayEnd = -1;

    Scan(byte[] value, AvroPlan plan, ReadingFields fields) {
      this.value = value;
      this.plan = plan;
      this.in = new AvroCursor(value, 5, value.length);
      this.spans = new Spans(fields, plan.arrayIndex < 0 ? 1 : 64);
      this.ids = spans.ids;
    }

    AvroBatch run() {
      if (plan.arrayIndex < 0) {
        spans.starts[0] = in.pos;
        reading(0);
        spans.ends[0] = in.pos;
        spans.size = 1;
      } else {
        Schema[] top = plan.topFields;
        for (int f = 0; f < top.length; f++) {
          if (f == plan.arrayIndex) {
            array(top[f]);
          } else if (f == plan.topUser) {
            id(top[f], -1, true);
          } else if (f == plan.topDevice) {
            id(top[f], -1, false);
          } else {
            in.skip(top[f]);
          }
        }
      }
      if (in.remaining() != 0) {
        throw new IllegalArgumentException(
            in.remaining()
                + " bytes follow the Avro record (schema "
                + plan.schema.getFullName()
                + ")");
      }
      return new AvroBatch(value, spans, spans.resolveIds(), arrayStart, arrayEnd);
    }

    private void array(Schema schema) {
      if (schema.getType() == Schema.Type.UNION) {
        Schema branch = in.branch(schema);
        if (branch.getType() == Schema.Type.NULL) {
          throw new IllegalArgumentException("the array of readings is null");
        }
      }
      arrayStart = in.pos;
      while (true) {
        long count = in.readLong();
        if (count == 0) {
          break;
        }
        if (count < 0) {
          count = -count;
          in.readLong(); // the block's byte size: the items are walked anyway
        }
        if (count > in.remaining()) {
          throw new IllegalArgumentException(
              "bad Avro array block of " + count + " items at byte " + in.pos);
        }
        spans.grow(spans.size + (int) count); // once per block, not per reading
        for (long k = 0; k < count; k++) {
          int i = spans.size;
          spans.starts[i] = in.pos;
          reading(i);
          spans.ends[i] = in.pos;
          spans.size++;
        }
      }
      arrayEnd = in.pos;
    }

    private void reading(int i) {
      Schema[] fields = plan.readingFields;
      for (int f = 0; f < fields.length; f++) {
        if (f == plan.time) {
          spans.micros[i] = time(fields[f], i);
        } else if (f == plan.user) {
          id(fields[f], i, true);
        } else if (f == plan.device) {
          id(fields[f], i, false);
        } else {
          in.skip(fields[f]);
        }
      }
    }

    private long time(Schema schema, int i) {
      if (schema.getType() == Schema.Type.UNION) {
        schema = in.branch(schema);
      }
      switch (schema.getType()) {
        case LONG:
        case INT:
          long t = in.readLong();
          return plan.timeMillis ? Math.multiplyExact(t, 1000L) : t;
        default:
          throw new IllegalArgumentException(
              "the time of reading " + i + " is " + schema.getType());
      }
    }

    private void id(Schema schema, int i, boolean user) {
      if (schema.getType() == Schema.Type.UNION) {
        schema = in.branch(schema);
      }
      switch (schema.getType()) {
        case NULL:
          return; // missing here: the record around it may have it
        case INT:
        case LONG:
          long v = in.readLong();
          if (user) {
            ids.userNumber(i, v);
          } else {
            ids.deviceNumber(i, v);
          }
          return;
        case STRING:
          byte[] text = in.readBytes();
          if (user) {
            ids.userText(i, text);
          } else {
            ids.deviceText(i, text);
          }
          return;
        default:
          throw new IllegalArgumentException(
              "an id field is of Avro type "
                  + schema.getType()
                  + "; it must be int, long or string");
      }
    }
  }
}
