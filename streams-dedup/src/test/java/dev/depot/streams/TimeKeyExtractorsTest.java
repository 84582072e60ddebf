package dev.depot.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.store.timekey.TimeKey;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;

class TimeKeyExtractorsTest {
  private static final Schema READING =
      SchemaBuilder.record("Reading")
          .fields()
          .requiredLong("ts_us")
          .requiredInt("user_id")
          .requiredInt("device_id")
          .requiredDouble("hr")
          .optionalString("when")
          .endRecord();

  private static GenericRecord reading(long micros, int user, int device) {
    GenericRecord r = new GenericData.Record(READING);
    r.put("ts_us", micros);
    r.put("user_id", user);
    r.put("device_id", device);
    r.put("hr", 60.0);
    return r;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void avroFieldsAndTheRecordTimestamp() {
    assertThat(TimeKeyExtractors.avro().extract(null, reading(5_000_001L, 7, 3), 0L))
        .isEqualTo(TimeKey.of(5_000_001L, 7, 3));
    assertThat(
            TimeKeyExtractors.avroWithRecordTimestamp("user_id", "device_id")
                .extract(null, reading(1, 7, 3), 42L))
        .isEqualTo(TimeKey.of(42_000L, 7, 3));
    assertThatThrownBy(
            () ->
                TimeKeyExtractors.avro("time", "user_id", "device_id")
                    .extract(null, reading(1, 2, 3), 0L))
        .hasMessage("the Avro record Reading has no field time");
    assertThatThrownBy(
            () ->
                TimeKeyExtractors.avro("hr", "user_id", "device_id")
                    .extract(null, reading(1, 2, 3), 0L))
        .hasMessage("field hr must be an int or long, was Double");
    assertThatThrownBy(
            () ->
                TimeKeyExtractors.avro("ts_us", "ts_us", "device_id")
                    .extract(null, reading(1L << 40, 2, 3), 0L))
        .hasMessage("field ts_us must fit in 32 bits, was 1099511627776");
  }

  @Test
  void jsonTopLevelFieldsInAnyOrderAmongOthers() {
    TimeKeyExtractor<Object, byte[]> json = TimeKeyExtractors.json();
    assertThat(
            json.extract(
                null,
                utf8(
                    "{\"device_id\":3,\"nested\":{\"ts_us\":9},\"ts_us\":17,\"user_id\":2,\"x\":[1,2]}"),
                0L))
        .isEqualTo(TimeKey.of(17, 2, 3));
    assertThat(
            TimeKeyExtractors.json("t", "u", "d")
                .extract(null, utf8("{\"t\":1,\"u\":2,\"d\":3}"), 0L))
        .isEqualTo(TimeKey.of(1, 2, 3));
    assertThat(
            TimeKeyExtractors.jsonWithRecordTimestamp("u", "d")
                .extract(null, utf8("{\"u\":2,\"d\":3}"), 5L))
        .isEqualTo(TimeKey.of(5000, 2, 3));
    assertThatThrownBy(() -> json.extract(null, utf8("{\"ts_us\":1,\"user_id\":2}"), 0L))
        .hasMessage("the JSON value has no field device_id");
    assertThatThrownBy(
            () -> json.extract(null, utf8("{\"ts_us\":1.5,\"user_id\":2,\"device_id\":3}"), 0L))
        .hasMessage("field ts_us must be an integer, was VALUE_NUMBER_FLOAT");
    assertThatThrownBy(() -> json.extract(null, utf8("[1,2]"), 0L))
        .hasMessage("the value is not a JSON object");
    assertThatThrownBy(() -> json.extract(null, utf8("{\"ts_us\":"), 0L))
        .hasMessageStartingWith("the value is not valid JSON");
    assertThatThrownBy(() -> json.extract(null, null, 0L))
        .hasMessage("the value is null, so it has no field user_id");
  }
}
