package dev.depot.connect.internal;

import dev.depot.connect.DepotSinkConfig;
import java.nio.ByteBuffer;
import java.util.Set;
import org.apache.kafka.connect.converters.ByteArrayConverter;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.sink.SinkRecord;

/**
 * Tells whether header values reach the sink as the bytes Kafka holds, for {@code
 * behavior.on.converted.headers=fail}.
 *
 * <p>The worker turns each header's bytes into a Connect value with the connector's {@code
 * header.converter}, or the worker's when the connector config does not set one; Kafka's default is
 * {@code SimpleHeaderConverter}, which parses the text ({@code 007} becomes the number 7, {@code
 * null} a null, invalid UTF-8 U+FFFD). The sink cannot get the original bytes back. It sees the
 * worker's setting only through the records: with {@code ByteArrayConverter} every header value is
 * a {@code byte[]} (schema {@code OPTIONAL_BYTES}, also for a null value); anything else was
 * converted (or set by a transform). So a connector config that names a converter known to parse is
 * refused up front ({@link #configProblem}), and every record is checked before it is stored
 * ({@link #requireBytes}). Stateless.
 */
public final class HeaderCheck {
  /** Kafka's header converters that turn header bytes into strings, numbers or other values. */
  private static final Set<String> CONVERTING =
      Set.of(
          "org.apache.kafka.connect.storage.SimpleHeaderConverter",
          "org.apache.kafka.connect.storage.StringConverter",
          "org.apache.kafka.connect.json.JsonConverter",
          "org.apache.kafka.connect.converters.BooleanConverter",
          "org.apache.kafka.connect.converters.DoubleConverter",
          "org.apache.kafka.connect.converters.FloatConverter",
          "org.apache.kafka.connect.converters.IntegerConverter",
          "org.apache.kafka.connect.converters.LongConverter",
          "org.apache.kafka.connect.converters.ShortConverter");

  private static final String FIX =
      "Set header.converter="
          + ByteArrayConverter.class.getName()
          + " in the connector config to store headers byte for byte, or "
          + DepotSinkConfig.CONVERTED_HEADERS_CONFIG
          + "=write to store them as converted";

  private HeaderCheck() {}

  /** Whether records must be checked: headers are stored and converted ones refused. */
  public static boolean applies(DepotSinkConfig config) {
    return config.format() == DepotSinkConfig.Format.ENVELOPE
        && config.convertedHeaders() == DepotSinkConfig.ConvertedHeaders.FAIL;
  }

  /**
   * Why the connector config cannot store headers byte for byte, or null when it can as far as the
   * config tells (the worker's header converter, when the connector config sets none, shows only in
   * the records).
   */
  public static String configProblem(DepotSinkConfig config) {
    String converter = config.headerConverter();
    if (!applies(config) || converter == null || !CONVERTING.contains(converter)) {
      return null;
    }
    return "header.converter="
        + converter
        + " turns header bytes into strings, numbers or other values (SimpleHeaderConverter reads"
        + " \"007\" as 7, \"1.50\" as 1.5, the text null as a null, invalid UTF-8 as U+FFFD), so"
        + " the depot would not hold the headers Kafka holds. "
        + FIX
        + ".";
  }

  /**
   * Throws unless every header value of {@code record} arrived as bytes (or as a null with a bytes
   * schema, as {@code ByteArrayConverter} gives it).
   *
   * @throws ConnectException naming the header, the record and the settings to change
   */
  public static void requireBytes(SinkRecord record) {
    for (Header header : record.headers()) {
      Object value = header.value();
      Schema schema = header.schema();
      boolean bytes =
          value instanceof byte[]
              || value instanceof ByteBuffer
              || (value == null && schema != null && schema.type() == Schema.Type.BYTES);
      if (!bytes) {
        String arrived =
            schema != null
                ? schema.type().toString()
                : value == null ? "a null with no schema" : value.getClass().getSimpleName();
        throw new ConnectException(
            "header '"
                + header.key()
                + "' of the record at "
                + RecordEncoder.describe(record)
                + " reached the sink as "
                + arrived
                + ", not as the bytes Kafka holds: the header converter parsed it (header.converter;"
                + " SimpleHeaderConverter when neither the connector nor the worker config sets"
                + " it) or a transform set it; the bytes sent cannot be stored. "
                + FIX
                + ". Nothing of this record was stored.");
      }
    }
  }
}
