package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.envelope.DepotEnvelope;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.converters.ByteArrayConverter;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.storage.HeaderConverter;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import org.apache.kafka.connect.storage.StringConverter;
import org.junit.jupiter.api.Test;

/**
 * behavior.on.converted.headers: a connector config naming a parsing header converter is refused;
 * header values a worker's converter parsed fail the task before they are stored; {@code write}
 * stores them converted. Records are built as a worker builds them, with Kafka's real converters.
 */
class DepotSinkHeadersTest extends SinkTaskTestBase {
  private static final TopicPartition TP = new TopicPartition("readings", 0);
  private static final String SIMPLE = SimpleHeaderConverter.class.getName();
  private static final String BYTES = ByteArrayConverter.class.getName();

  private static String refusal(String converter) {
    return "header.converter="
        + converter
        + " turns header bytes into strings, numbers or other values (SimpleHeaderConverter reads"
        + " \"007\" as 7, \"1.50\" as 1.5, the text null as a null, invalid UTF-8 as U+FFFD), so"
        + " the depot would not hold the headers Kafka holds. Set"
        + " header.converter=org.apache.kafka.connect.converters.ByteArrayConverter in the"
        + " connector config to store headers byte for byte, or"
        + " behavior.on.converted.headers=write to store them as converted.";
  }

  private static List<String> errors(Map<String, String> props) {
    Config result = new DepotSinkConnector().validate(props);
    List<String> errors = new ArrayList<>();
    for (ConfigValue value : result.configValues()) {
      value.errorMessages().forEach(m -> errors.add(value.name() + ": " + m));
    }
    return errors;
  }

  @Test
  void aConnectorConfigNamingAParsingHeaderConverterIsRefusedNamingTheSettings() {
    for (String converter : List.of(SIMPLE, StringConverter.class.getName())) {
      Map<String, String> props = props("header.converter", converter);
      assertThat(errors(props))
          .containsExactly("behavior.on.converted.headers: " + refusal(converter));
      assertThatThrownBy(() -> new DepotSinkConnector().start(props))
          .isInstanceOf(ConfigException.class)
          .hasMessage(refusal(converter));

      // accepted on demand, and irrelevant when headers are not stored
      for (Map<String, String> accepted :
          List.of(
              props("header.converter", converter, "behavior.on.converted.headers", "WRITE"),
              props("header.converter", converter, "depot.format", "value"))) {
        assertThat(errors(accepted)).isEmpty();
        new DepotSinkConnector().start(accepted);
      }
    }
    assertThat(errors(props("header.converter", BYTES))).isEmpty();
    assertThat(errors(props())).as("the worker's converter shows in the records only").isEmpty();
    assertThat(errors(props("behavior.on.converted.headers", "keep")))
        .singleElement()
        .asString()
        .startsWith("behavior.on.converted.headers: Invalid value keep for configuration");
  }

  /** What a worker hands the task: each Kafka header's bytes through its header converter. */
  private static SinkRecord record(long offset, HeaderConverter converter, byte[]... headerValues) {
    ConnectHeaders headers = new ConnectHeaders();
    for (int i = 0; i < headerValues.length; i++) {
      String key = "h" + i;
      headers.add(key, converter.toConnectHeader(TP.topic(), key, headerValues[i]));
    }
    return new SinkRecord(
        TP.topic(),
        TP.partition(),
        Schema.OPTIONAL_BYTES_SCHEMA,
        null,
        Schema.OPTIONAL_BYTES_SCHEMA,
        utf8("value-" + offset),
        offset,
        1_700_000_000_000L,
        TimestampType.CREATE_TIME,
        headers);
  }

  private static HeaderConverter converter(HeaderConverter converter) {
    converter.configure(Map.of("converter.type", "header")); // as the worker configures it
    return converter;
  }

  private DepotSinkTask task(Map<String, String> props) {
    TestContext context = new TestContext(props);
    DepotSinkTask task = new DepotSinkTask();
    task.initialize(context);
    task.start(props);
    task.open(List.of(TP));
    started.add(task);
    return task;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void headersAWorkersConverterParsedFailTheTaskBeforeTheyAreStored() {
    HeaderConverter bytes = converter(new ByteArrayConverter());
    HeaderConverter simple = converter(new SimpleHeaderConverter());
    HeaderConverter string = converter(new StringConverter());
    DepotSinkTask task = task(props());
    task.put(
        List.of(
            record(0, simple), // no headers: nothing to change
            record(1, bytes, utf8("007"), null, new byte[] {(byte) 0xff, 0})));
    for (HeaderConverter parsing : List.of(simple, string)) {
      assertThatThrownBy(() -> task.put(List.of(record(2, parsing, utf8("007")))))
          .isInstanceOf(ConnectException.class)
          .hasMessageStartingWith(
              "header 'h0' of the record at topic readings partition 0 offset 2 reached the sink"
                  + " as "
                  + (parsing == simple ? "INT8" : "STRING")
                  + ", not as the bytes Kafka holds: the header converter parsed it"
                  + " (header.converter; SimpleHeaderConverter when neither the connector nor the"
                  + " worker config sets it) or a transform set it; the bytes sent cannot be"
                  + " stored. Set"
                  + " header.converter=org.apache.kafka.connect.converters.ByteArrayConverter in"
                  + " the connector config to store headers byte for byte, or"
                  + " behavior.on.converted.headers=write to store them as converted.");
    }
    // a null header value through SimpleHeaderConverter: the text null would look the same
    assertThatThrownBy(() -> task.put(List.of(record(2, simple, (byte[]) null))))
        .hasMessageContaining("reached the sink as a null with no schema");
    task.stop();
    started.clear();

    List<DepotEnvelope> stored = ConnectSupport.stored(dir, TP);
    assertThat(stored).extracting(DepotEnvelope::offset).containsExactly(0L, 1L);
    List<DepotEnvelope.Header> headers = stored.get(1).headers();
    assertThat(headers).extracting(DepotEnvelope.Header::key).containsExactly("h0", "h1", "h2");
    assertThat(headers.get(0).value()).isEqualTo(utf8("007"));
    assertThat(headers.get(1).value()).isNull();
    assertThat(headers.get(2).value()).isEqualTo(new byte[] {(byte) 0xff, 0});
  }

  @Test
  void withWriteTheConvertedHeadersAreStoredAsConverted() {
    HeaderConverter simple = converter(new SimpleHeaderConverter());
    DepotSinkTask task = task(props("behavior.on.converted.headers", "write"));
    task.put(List.of(record(0, simple, utf8("007"), utf8("1.50"), utf8("null"))));
    task.stop();
    started.clear();

    List<DepotEnvelope.Header> headers = ConnectSupport.stored(dir, TP).get(0).headers();
    assertThat(headers.get(0).value()).isEqualTo(utf8("7"));
    assertThat(headers.get(1).value()).isEqualTo(utf8("1.5"));
    assertThat(headers.get(2).value()).isNull();
  }

  @Test
  void theValueFormatStoresNoHeadersSoChecksNone() {
    HeaderConverter simple = converter(new SimpleHeaderConverter());
    DepotSinkTask task = task(props("depot.format", "value"));
    task.put(List.of(record(0, simple, utf8("007"))));
    task.stop();
    started.clear();

    List<byte[]> items = new ArrayList<>();
    try (DepotQueue queue = DepotQueue.builder(dir.resolve("readings/0")).readOnly(true).build();
        DepotCursor cursor = queue.stream()) {
      DepotRecord r;
      while ((r = cursor.next()) != null) {
        items.add(r.item());
      }
    }
    assertThat(items).containsExactly(utf8("value-0"));
  }
}
