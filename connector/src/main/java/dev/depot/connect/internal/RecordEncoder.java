package dev.depot.connect.internal;

import dev.depot.connect.DepotSinkConfig;
import dev.depot.connect.DepotSinkConfig.Format;
import dev.depot.connect.DepotSinkConfig.NullValues;
import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.queue.ItemWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.header.Headers;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

/**
 * Turns a {@link SinkRecord} into the depot item the configured format asks for. Keys and values
 * that are already bytes are stored as they are; others go through the configured converters. Not
 * thread-safe: one per task.
 */
public final class RecordEncoder implements AutoCloseable {
  private final Format format;
  private final NullValues nullValues;
  private final Converter keyConverter;
  private final Converter valueConverter;
  private final SimpleHeaderConverter headerConverter = new SimpleHeaderConverter();

  public RecordEncoder(DepotSinkConfig config) {
    this.format = config.format();
    this.nullValues = config.nullValues();
    this.keyConverter = converter(config, DepotSinkConfig.KEY_CONVERTER_CONFIG, true);
    this.valueConverter = converter(config, DepotSinkConfig.VALUE_CONVERTER_CONFIG, false);
    headerConverter.configure(Map.of());
  }

  private static Converter converter(DepotSinkConfig config, String key, boolean isKey) {
    Converter converter = Utils.newInstance(config.getClass(key).asSubclass(Converter.class));
    converter.configure(config.originalsWithPrefix(key + "."), isKey);
    return converter;
  }

  /** A record that cannot be stored: it goes to the dead letter queue or fails the task. */
  public static final class BadRecordException extends ConnectException {
    private static final long serialVersionUID = 1L;

    public BadRecordException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * An encoded record, ready to be written into a queue: its exact length, and the writer that puts
   * its bytes there.
   */
  public interface Item extends ItemWriter {
    /** The item's length in bytes. */
    int length();
  }

  /** A value stored as it is ({@code depot.format=value}). */
  private record ValueItem(byte[] value) implements Item {
    @Override
    public int length() {
      return value.length;
    }

    @Override
    public void write(ByteBuffer target) {
      target.put(value);
    }
  }

  /** A record in its envelope, sized before it is written. */
  private record EnvelopeItem(DepotEnvelope envelope, int length) implements Item {
    @Override
    public void write(ByteBuffer target) {
      EnvelopeCodec.encode(envelope, target);
    }
  }

  private static final Item EMPTY = new ValueItem(new byte[0]);

  /**
   * The item for {@code record}, or null when it is to be skipped (a tombstone with {@code
   * behavior.on.null.values=ignore}). Keys, values and headers are converted here; the item's bytes
   * are written only by {@link Item#write}, straight into the queue's buffer.
   *
   * @throws BadRecordException when a key, value or header cannot be converted to bytes
   * @throws ConnectException for a tombstone with {@code behavior.on.null.values=fail}
   */
  public Item encode(SinkRecord record) {
    Object value = record.value();
    if (value == null) {
      if (nullValues == NullValues.IGNORE) {
        return null;
      }
      if (nullValues == NullValues.FAIL) {
        throw new ConnectException(
            "tombstone (null value) at "
                + describe(record)
                + " and behavior.on.null.values=fail; set it to write or ignore to accept"
                + " tombstones");
      }
    }
    byte[] valueBytes =
        value == null ? null : bytes(valueConverter, record, record.valueSchema(), value, "value");
    if (format == Format.VALUE) {
      return valueBytes == null ? EMPTY : new ValueItem(valueBytes);
    }
    byte[] keyBytes =
        record.key() == null
            ? null
            : bytes(keyConverter, record, record.keySchema(), record.key(), "key");
    DepotEnvelope envelope =
        new DepotEnvelope(
            record.originalTopic(),
            record.originalKafkaPartition(),
            record.originalKafkaOffset(),
            record.timestamp(),
            timestampType(record.timestampType()),
            keyBytes,
            valueBytes,
            headers(record));
    int length;
    try {
      length = EnvelopeCodec.encodedSize(envelope);
    } catch (IllegalArgumentException e) {
      throw new BadRecordException(
          "the record at " + describe(record) + " cannot be stored: " + e.getMessage(), e);
    }
    return new EnvelopeItem(envelope, length);
  }

  private static byte[] bytes(
      Converter converter, SinkRecord record, Schema schema, Object data, String what) {
    if (data instanceof byte[] raw) {
      return raw;
    }
    if (data instanceof ByteBuffer buffer) {
      return Utils.toArray(buffer);
    }
    try {
      return converter.fromConnectData(record.topic(), schema, data);
    } catch (RuntimeException e) {
      throw new BadRecordException(
          "cannot convert the "
              + what
              + " of the record at "
              + describe(record)
              + " to bytes with "
              + converter.getClass().getName()
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private List<DepotEnvelope.Header> headers(SinkRecord record) {
    Headers headers = record.headers();
    if (headers == null || headers.isEmpty()) {
      return List.of();
    }
    List<DepotEnvelope.Header> out = new ArrayList<>(headers.size());
    for (Header header : headers) {
      Object value = header.value();
      byte[] bytes;
      if (value == null) {
        bytes = null;
      } else if (value instanceof byte[] raw) {
        bytes = raw;
      } else if (value instanceof String s) {
        bytes = s.getBytes(StandardCharsets.UTF_8);
      } else {
        try {
          bytes =
              headerConverter.fromConnectHeader(
                  record.topic(), header.key(), header.schema(), value);
        } catch (RuntimeException e) {
          throw new BadRecordException(
              "cannot convert header '"
                  + header.key()
                  + "' of the record at "
                  + describe(record)
                  + " to bytes: "
                  + e.getMessage(),
              e);
        }
      }
      out.add(new DepotEnvelope.Header(header.key(), bytes));
    }
    return out;
  }

  private static DepotEnvelope.TimestampType timestampType(TimestampType type) {
    if (type == null) {
      return DepotEnvelope.TimestampType.NO_TIMESTAMP_TYPE;
    }
    switch (type) {
      case CREATE_TIME:
        return DepotEnvelope.TimestampType.CREATE_TIME;
      case LOG_APPEND_TIME:
        return DepotEnvelope.TimestampType.LOG_APPEND_TIME;
      default:
        return DepotEnvelope.TimestampType.NO_TIMESTAMP_TYPE;
    }
  }

  /** "topic T partition P offset O", the record's coordinates as Kafka knows them. */
  public static String describe(SinkRecord record) {
    return "topic "
        + record.originalTopic()
        + " partition "
        + record.originalKafkaPartition()
        + " offset "
        + record.originalKafkaOffset();
  }

  @Override
  public void close() {
    closeQuietly(keyConverter);
    closeQuietly(valueConverter);
    closeQuietly(headerConverter);
  }

  private static void closeQuietly(Object converter) {
    if (converter instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception ignored) {
        // closing is best effort
      }
    }
  }
}
