package dev.depot.demo.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.generator.ReadingGenerator;
import dev.depot.registry.ConfluentWire;
import dev.depot.store.queue.DepotQueue;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DepotWatchTest {
  private static final String RAW = "readings";
  private static final String UNIQUE = "readings-unique";
  private static final long T = 1_700_000_000_000_000L;

  @TempDir Path dir;

  /** A JSON upload of device 1-0 with readings at T + the given tenths of a second. */
  private static byte[] upload(int... ticks) {
    StringBuilder json = new StringBuilder("{\"user_id\":1,\"device_id\":0,\"readings\":[");
    for (int i = 0; i < ticks.length; i++) {
      json.append(i > 0 ? "," : "")
          .append("{\"ts_us\":")
          .append(T + ticks[i] * 100_000L)
          .append(",\"user_id\":1,\"device_id\":0,\"hr\":60}");
    }
    return json.append("]}").toString().getBytes(UTF_8);
  }

  @Test
  void matchesEachRawRecordsNewReadingsAndCountsTrimmedRecords() {
    write(RAW, 0, upload(1, 2, 3), upload(1, 2, 3), upload(3, 4));
    write(UNIQUE, 0, upload(1, 2, 3), upload(4));

    DepotWatch.Verification v = verify(null);

    assertThat(v.problems()).isEmpty();
    assertThat(v.records()).isEqualTo(Map.of(RAW, 3L, UNIQUE, 2L));
    assertThat(v.readings()).isEqualTo(Map.of(RAW, 8L, UNIQUE, 4L));
    assertThat(v.distinctReadings()).isEqualTo(4);
    assertThat(v.trimmed()).isEqualTo(1);
    assertThat(v.recordsRead()).isEqualTo(5);
  }

  @Test
  void aLostNewReadingIsAProblem() {
    write(RAW, 0, upload(1, 2, 3), upload(3, 4));
    write(UNIQUE, 0, upload(1, 2, 3));

    assertThat(verify(null).problems())
        .containsExactly(UNIQUE + "-0 ends before the 1 new readings of " + RAW + "-0 offset 1");
  }

  @Test
  void aForwardedRepeatIsAProblem() {
    write(RAW, 0, upload(1, 2), upload(1, 2), upload(5));
    write(UNIQUE, 0, upload(1, 2), upload(1, 2), upload(5));

    assertThat(verify(null).problems())
        .containsExactly(
            UNIQUE
                + "-0 offset 1 holds 2 readings that are not the 1 new readings of "
                + RAW
                + "-0 offset 2 under its key",
            UNIQUE + "-0 holds 1 records beyond the new readings of " + RAW + "-0");
  }

  @Test
  void aRecordOfTheWrongKeyIsAProblem() {
    write(RAW, 0, upload(1));
    writeKeyed(UNIQUE, 0, "2-0", upload(1));

    assertThat(verify(null).problems())
        .containsExactly(
            UNIQUE
                + "-0 offset 0 holds 1 readings that are not the 1 new readings of "
                + RAW
                + "-0 offset 0 under its key");
  }

  @Test
  void readingsMissingTheirIdsTakeThemFromTheRecordAroundTheArray() {
    byte[] lean =
        ("{\"user_id\":1,\"device_id\":0,\"readings\":[{\"ts_us\":"
                + (T + 100_000)
                + "},{\"ts_us\":"
                + (T + 200_000)
                + "}]}")
            .getBytes(UTF_8);
    write(RAW, 0, upload(1, 2));
    write(UNIQUE, 0, lean);

    DepotWatch.Verification v = verify(null);
    assertThat(v.problems()).isEmpty();
    assertThat(v.readings()).isEqualTo(Map.of(RAW, 2L, UNIQUE, 2L));
  }

  @Test
  void avroValuesDecodeWithTheSchemaTheirIdNames() throws IOException {
    write(RAW, 1, avroUpload(7, 1, 2, 3), avroUpload(7, 2, 3), avroUpload(7, 3, 4));
    write(UNIQUE, 1, avroUpload(7, 1, 2, 3), avroUpload(7, 4));
    List<Integer> asked = new ArrayList<>();

    DepotWatch.Verification v =
        DepotWatch.verify(
            dir.resolve("depot"),
            RAW,
            UNIQUE,
            id -> {
              asked.add(id);
              return ReadingGenerator.BATCH_SCHEMA;
            },
            dir.resolve("scratch"));

    assertThat(v.problems()).isEmpty();
    assertThat(v.readings()).isEqualTo(Map.of(RAW, 7L, UNIQUE, 4L));
    assertThat(v.trimmed()).isEqualTo(1);
    assertThat(asked).as("each schema id looked up once").containsExactly(7);
  }

  private DepotWatch.Verification verify(Function<Integer, Schema> schemas) {
    return DepotWatch.verify(dir.resolve("depot"), RAW, UNIQUE, schemas, dir.resolve("scratch"));
  }

  private void write(String topic, int partition, byte[]... values) {
    writeKeyed(topic, partition, "1-0", values);
  }

  private void writeKeyed(String topic, int partition, String key, byte[]... values) {
    Path queueDir = dir.resolve("depot").resolve(topic).resolve(Integer.toString(partition));
    try (DepotQueue queue = DepotQueue.builder(queueDir).build()) {
      for (int offset = 0; offset < values.length; offset++) {
        queue.append(
            EnvelopeCodec.encode(
                new DepotEnvelope(
                    topic,
                    partition,
                    offset,
                    T / 1000,
                    DepotEnvelope.TimestampType.CREATE_TIME,
                    key.getBytes(UTF_8),
                    values[offset],
                    List.of())),
            offset);
      }
    }
  }

  private static byte[] avroUpload(int schemaId, int... ticks) throws IOException {
    List<GenericRecord> readings = new ArrayList<>();
    for (int tick : ticks) {
      GenericRecord r = new GenericData.Record(ReadingGenerator.SCHEMA);
      r.put("ts_us", T + tick * 100_000L);
      r.put("user_id", 1);
      r.put("device_id", 0);
      r.put("hr", 60);
      readings.add(r);
    }
    GenericRecord batch = new GenericData.Record(ReadingGenerator.BATCH_SCHEMA);
    batch.put("user_id", 1);
    batch.put("device_id", 0);
    batch.put("readings", readings);
    return ConfluentWire.encode(schemaId, ReadingGenerator.BATCH_SCHEMA, batch);
  }
}
