package dev.depot.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depot.registry.ConfluentWire;
import dev.depot.store.timekey.TimeKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Batch records through the dedup processor and its store in a TopologyTestDriver, in JSON and in
 * Avro (Confluent wire format): forwarded values hold exactly the new readings, in order.
 */
class BatchDedupTest extends DedupTopologyTestBase {
  private static final long T0 = 1_764_590_400_000_000L; // 2025-12-01, epoch micros
  private static final ObjectMapper MAPPER = new ObjectMapper();

  static final Schema READING =
      SchemaBuilder.record("Reading")
          .fields()
          .requiredLong("ts_us")
          .requiredInt("user_id")
          .requiredInt("device_id")
          .requiredInt("hr")
          .endRecord();
  static final Schema UPLOAD =
      SchemaBuilder.record("Upload")
          .fields()
          .requiredString("gateway")
          .name("readings")
          .type()
          .array()
          .items(READING)
          .noDefault()
          .requiredLong("sent_us")
          .endRecord();
  private static final int SCHEMA_ID = 42;

  private void start(DedupProcessorSupplier<byte[], byte[]> dedup) {
    start(dedup, "uploads", "batch-test", T0);
  }

  private void startJson(ReadingFields fields) {
    start(Deduplicate.newReadings("dedup", TimeKeyBatchExtractors.json(fields)));
  }

  private void startAvro() {
    Map<Integer, Schema> registry = Map.of(SCHEMA_ID, UPLOAD);
    start(
        Deduplicate.newReadings(
            "dedup", TimeKeyBatchExtractors.avro(registry::get, ReadingFields.defaults())));
  }

  /** A reading of user 7: {@code {"ts_us":...,"device_id":d,"hr":h}}. */
  private record R(long micros, int device, int hr) {}

  private static byte[] jsonUpload(R... readings) {
    StringBuilder s = new StringBuilder("{\"user_id\": 7, \"readings\": [");
    for (int i = 0; i < readings.length; i++) {
      s.append(i == 0 ? "" : ", ")
          .append(
              String.format(
                  "{\"ts_us\":%d,\"device_id\":%d,\"hr\":%d,\"tags\":{\"a\":[1,2]}}",
                  readings[i].micros, readings[i].device, readings[i].hr));
    }
    return s.append("], \"sent\": \"now\"}").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static List<R> jsonReadings(byte[] value) throws IOException {
    JsonNode node = MAPPER.readTree(value);
    assertThat(node.get("user_id").asInt()).isEqualTo(7);
    assertThat(node.get("sent").asText()).isEqualTo("now");
    List<R> out = new ArrayList<>();
    for (JsonNode r : node.get("readings")) {
      assertThat(r.get("tags").get("a").get(1).asInt()).isEqualTo(2);
      out.add(new R(r.get("ts_us").asLong(), r.get("device_id").asInt(), r.get("hr").asInt()));
    }
    return out;
  }

  static byte[] avroUpload(R... readings) {
    GenericRecord upload = new GenericData.Record(UPLOAD);
    upload.put("gateway", "gw-1");
    List<GenericRecord> list = new ArrayList<>();
    for (R r : readings) {
      GenericRecord reading = new GenericData.Record(READING);
      reading.put("ts_us", r.micros);
      reading.put("user_id", 7);
      reading.put("device_id", r.device);
      reading.put("hr", r.hr);
      list.add(reading);
    }
    upload.put("readings", list);
    upload.put("sent_us", 123_456_789L);
    return ConfluentWire.encode(SCHEMA_ID, UPLOAD, upload);
  }

  private static List<R> avroReadings(byte[] value) throws IOException {
    assertThat(value[0]).isEqualTo((byte) 0);
    assertThat(ConfluentWire.schemaId(value)).isEqualTo(SCHEMA_ID);
    GenericRecord upload =
        new GenericDatumReader<GenericRecord>(UPLOAD)
            .read(null, DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
    assertThat(upload.get("gateway").toString()).isEqualTo("gw-1");
    assertThat(upload.get("sent_us")).isEqualTo(123_456_789L);
    List<R> out = new ArrayList<>();
    for (Object o : (List<?>) upload.get("readings")) {
      GenericRecord r = (GenericRecord) o;
      out.add(new R((Long) r.get("ts_us"), (Integer) r.get("device_id"), (Integer) r.get("hr")));
    }
    return out;
  }

  private static R r(long offsetMillis, int device) {
    return new R(T0 + offsetMillis * 1000, device, (int) (60 + offsetMillis % 40));
  }

  @Test
  void jsonBatchesForwardOnlyTheirNewReadingsInOrder() throws IOException {
    startJson(ReadingFields.defaults());
    RecordHeaders headers = new RecordHeaders();
    headers.add("source", "gw".getBytes(StandardCharsets.UTF_8));
    byte[] key = "7-1".getBytes(StandardCharsets.UTF_8);

    input.pipeInput(new TestRecord<>(key, jsonUpload(r(0, 1), r(100, 1), r(200, 1)), headers, 5L));
    // all new: the record itself
    TestRecord<byte[], byte[]> first = output.readRecord();
    assertThat(first.value()).isEqualTo(jsonUpload(r(0, 1), r(100, 1), r(200, 1)));

    // re-sent with one new reading in the middle (out of order), one repeated inside the batch
    input.pipeInput(
        new TestRecord<>(
            key, jsonUpload(r(200, 1), r(150, 1), r(0, 1), r(150, 1), r(300, 1)), headers, 9L));
    TestRecord<byte[], byte[]> second = output.readRecord();
    assertThat(jsonReadings(second.value())).containsExactly(r(150, 1), r(300, 1));
    assertThat(second.key()).isEqualTo(key);
    assertThat(second.timestamp()).isEqualTo(9L);
    assertThat(second.headers().lastHeader("source").value())
        .isEqualTo("gw".getBytes(StandardCharsets.UTF_8));

    // entirely old: dropped
    input.pipeInput(key, jsonUpload(r(300, 1), r(0, 1)));
    // same times, another device: new
    input.pipeInput(key, jsonUpload(r(300, 2), r(0, 2)));
    assertThat(jsonReadings(output.readValue())).containsExactly(r(300, 2), r(0, 2));
    assertThat(output.isEmpty()).isTrue();
  }

  @Test
  void aTopLevelJsonArrayIsABatchToo() throws IOException {
    startJson(ReadingFields.defaults().withArray(""));
    String batch =
        "[ {\"ts_us\":1,\"user_id\":1,\"device_id\":1} ,{\"ts_us\":2,\"user_id\":1,\"device_id\":1}"
            + " , {\"ts_us\":1,\"user_id\":1,\"device_id\":1}]";
    input.pipeInput(batch.getBytes(StandardCharsets.UTF_8));
    assertThat(new String(output.readValue(), StandardCharsets.UTF_8))
        .isEqualTo(
            "[{\"ts_us\":1,\"user_id\":1,\"device_id\":1},{\"ts_us\":2,\"user_id\":1,\"device_id\":1}]");
    input.pipeInput(
        "[{\"ts_us\":3,\"user_id\":1,\"device_id\":1},{\"ts_us\":2,\"user_id\":1,\"device_id\":1}]"
            .getBytes(StandardCharsets.UTF_8));
    assertThat(new String(output.readValue(), StandardCharsets.UTF_8))
        .isEqualTo("[{\"ts_us\":3,\"user_id\":1,\"device_id\":1}]");
    assertThat(output.isEmpty()).isTrue();
  }

  @Test
  void avroBatchesKeepTheirSchemaIdAndOtherFields() throws IOException {
    startAvro();
    byte[] first = avroUpload(r(0, 1), r(100, 1), r(100, 2));
    input.pipeInput(first);
    assertThat(output.readValue()).isEqualTo(first);

    input.pipeInput(avroUpload(r(100, 2), r(50, 1), r(100, 1), r(50, 1), r(-5_000, 3)));
    assertThat(avroReadings(output.readValue())).containsExactly(r(50, 1), r(-5_000, 3));

    input.pipeInput(avroUpload(r(0, 1), r(50, 1)));
    assertThat(output.isEmpty()).isTrue();
  }

  @Test
  void everyNewReadingIsForwardedOnceOverManyMixedBatches() throws IOException {
    startAvro();
    java.util.Random random = new java.util.Random(7);
    Set<R> seen = new HashSet<>();
    List<R> forwarded = new ArrayList<>();
    for (int b = 0; b < 300; b++) {
      int n = 1 + random.nextInt(40);
      R[] batch = new R[n];
      for (int i = 0; i < n; i++) {
        batch[i] = new R(T0 + random.nextInt(2_000) * 1000L, random.nextInt(4), 70);
      }
      input.pipeInput(avroUpload(batch));
      List<R> expected = new ArrayList<>();
      for (R reading : batch) {
        if (seen.add(reading)) {
          expected.add(reading);
        }
      }
      if (expected.isEmpty()) {
        assertThat(output.isEmpty()).isTrue();
      } else {
        List<R> got = avroReadings(output.readValue());
        assertThat(got).containsExactlyElementsOf(expected);
        forwarded.addAll(got);
      }
    }
    assertThat(forwarded).hasSize(seen.size());
  }

  @Test
  void theChangelogCarriesOneBlockPerForwardedBatchWithExactlyItsNewKeys() {
    startJson(ReadingFields.defaults());
    input.pipeInput(jsonUpload(r(0, 1), r(100, 1), r(200, 1)));
    input.pipeInput(jsonUpload(r(0, 1), r(100, 1)));
    input.pipeInput(jsonUpload(r(200, 1), r(250, 1), r(250, 2)));
    TestOutputTopic<byte[], byte[]> changelog =
        driver.createOutputTopic(
            "batch-test-dedup-changelog", new ByteArrayDeserializer(), new ByteArrayDeserializer());
    var records = changelog.readKeyValuesToList();
    assertThat(records).hasSize(2);
    assertThat(ChangelogBlocks.keys(records.get(0).key, records.get(0).value))
        .containsExactly(key(r(0, 1)), key(r(100, 1)), key(r(200, 1)));
    assertThat(ChangelogBlocks.keys(records.get(1).key, records.get(1).value))
        .containsExactly(key(r(250, 1)), key(r(250, 2)));
  }

  private static TimeKey key(R r) {
    return TimeKey.of(r.micros, 7, r.device);
  }

  @Test
  void stringIdsAreHashedAndTellDevicesApart() throws IOException {
    startJson(ReadingFields.defaults().withStringIds());
    String a =
        "{\"user_id\":\"alice\",\"readings\":[{\"ts_us\":5,\"device_id\":\"a4:c1:38:00:00:01\"}]}";
    String b =
        "{\"user_id\":\"alice\",\"readings\":[{\"ts_us\":5,\"device_id\":\"a4:c1:38:00:00:02\"}]}";
    input.pipeInput(a.getBytes(StandardCharsets.UTF_8));
    input.pipeInput(b.getBytes(StandardCharsets.UTF_8));
    input.pipeInput(a.getBytes(StandardCharsets.UTF_8));
    assertThat(output.readValuesToList()).hasSize(2);
  }

  @Test
  void malformedBatchesFailNamingThePositionAndTheSetting() {
    startJson(ReadingFields.defaults());
    assertThatThrownBy(
            () ->
                input.pipeInput(
                    "{\"user_id\":7,\"readings\":[{\"ts_us\":1,\"device_id\":1},{\"device_id\":2}]}"
                        .getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(StreamsException.class)
        .cause()
        .hasMessageContaining("topic uploads partition 0 offset 0")
        .hasMessageContaining("reading 1 has no field ts_us")
        .hasMessageContaining("dedup.bad.records=skip");
  }

  @Test
  void malformedBatchesAreSkippedWhenAskedAndNothingOfThemIsInserted() throws IOException {
    start(
        Deduplicate.newReadings(
                "dedup", TimeKeyBatchExtractors.<byte[]>json(ReadingFields.defaults()))
            .onBadRecord(BadRecordHandling.SKIP));
    byte[] bad =
        "{\"user_id\":7,\"readings\":[{\"ts_us\":1,\"device_id\":1},{\"ts_us\":\"x\",\"device_id\":1}]}"
            .getBytes(StandardCharsets.UTF_8);
    input.pipeInput(bad);
    input.pipeInput("not json".getBytes(StandardCharsets.UTF_8));
    input.pipeInput("[1,2]".getBytes(StandardCharsets.UTF_8));
    assertThat(output.isEmpty()).isTrue();
    byte[] good =
        "{\"user_id\":7,\"readings\":[{\"ts_us\":1,\"device_id\":1}]}"
            .getBytes(StandardCharsets.UTF_8);
    input.pipeInput(good);
    assertThat(output.readValue()).isEqualTo(good);
    assertThat(metric("bad-records-skipped-total")).isEqualTo(3.0);
    assertThat(metric("records-forwarded-total")).isEqualTo(1.0);
  }

  @Test
  void metricsCountReadingsAndRecords() {
    startJson(ReadingFields.defaults());
    input.pipeInput(jsonUpload(r(0, 1), r(100, 1)));
    input.pipeInput(jsonUpload(r(0, 1), r(100, 1), r(200, 1)));
    input.pipeInput(jsonUpload(r(0, 1)));
    assertThat(metric("keys-inserted-total")).isEqualTo(3.0);
    assertThat(metric("duplicates-dropped-total")).isEqualTo(3.0);
    assertThat(metric("records-forwarded-total")).isEqualTo(2.0);
    assertThat(metric("records-dropped-total")).isEqualTo(1.0);
  }

  private double metric(String name) {
    return driver.metrics().entrySet().stream()
        .filter(e -> e.getKey().name().equals(name))
        .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
        .sum();
  }
}
