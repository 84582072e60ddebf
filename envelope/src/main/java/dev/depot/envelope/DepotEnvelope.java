package dev.depot.envelope;

import java.util.List;
import java.util.Objects;

/**
 * One Kafka record as the depot sink connector stores it. Byte arrays are not copied; do not change
 * them after handing them over.
 *
 * <pre>{@code
 * byte[] item = EnvelopeCodec.encode(new DepotEnvelope(
 *     "readings", 3, 1042L, 1_700_000_000_000L, TimestampType.CREATE_TIME,
 *     keyBytes, valueBytes, List.of(new DepotEnvelope.Header("source", "gw-7".getBytes()))));
 * DepotEnvelope back = EnvelopeCodec.decode(item);
 * }</pre>
 *
 * @param topic the topic the record was read from
 * @param partition its partition
 * @param offset its offset in that partition
 * @param timestamp epoch milliseconds, or null when the record has none
 * @param timestampType what the timestamp means
 * @param key the key's bytes, or null
 * @param value the value's bytes, or null for a tombstone
 * @param headers the headers, in order (keys may repeat)
 */
public record DepotEnvelope(
    String topic,
    int partition,
    long offset,
    Long timestamp,
    TimestampType timestampType,
    byte[] key,
    byte[] value,
    List<Header> headers) {

  public DepotEnvelope {
    Objects.requireNonNull(topic, "topic cannot be null");
    Objects.requireNonNull(timestampType, "timestampType cannot be null");
    headers = List.copyOf(Objects.requireNonNull(headers, "headers cannot be null"));
  }

  /** The meaning of a record's timestamp, as Kafka's {@code TimestampType} names it. */
  public enum TimestampType {
    NO_TIMESTAMP_TYPE,
    CREATE_TIME,
    LOG_APPEND_TIME
  }

  /**
   * One header.
   *
   * @param key the header's key
   * @param value its bytes, or null
   */
  public record Header(String key, byte[] value) {
    public Header {
      Objects.requireNonNull(key, "header key cannot be null");
    }
  }
}
