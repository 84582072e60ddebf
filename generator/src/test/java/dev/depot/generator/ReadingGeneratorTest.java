package dev.depot.generator;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.depot.generator.ReadingGenerator.Layout;
import dev.depot.generator.ReadingGenerator.ValueEncoder;
import dev.depot.registry.ConfluentWire;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReadingGeneratorTest {
  private static final int SCHEMA_ID = 42;

  /** One decoded reading. */
  private record Reading(long micros, int user, int device, int hr) {}

  /** One record the generator sent. */
  private record Sent(String key, long timestampMillis, byte[] value, int readings) {}

  @Test
  void registersTheReadingSchemaUnderTopicValueThroughTheConfluentApi() throws Exception {
    assertThat(registeredSchema(Layout.READING)).isEqualTo(ReadingGenerator.SCHEMA);
  }

  @Test
  void registersTheBatchSchemaInTheBatchLayout() throws Exception {
    Schema batch = registeredSchema(Layout.BATCH);

    assertThat(batch).isEqualTo(ReadingGenerator.BATCH_SCHEMA);
    assertThat(batch.getFullName()).isEqualTo("dev.depot.quickstart.ReadingBatch");
    assertThat(batch.getFields())
        .extracting(Schema.Field::name)
        .containsExactly("user_id", "device_id", "readings");
    assertThat(batch.getField("readings").schema().getElementType())
        .isEqualTo(ReadingGenerator.SCHEMA);
  }

  @Test
  void avroValuesAreTheWireHeaderAndPlainAvroBinary() throws Exception {
    ValueEncoder encoder = ValueEncoder.avro(SCHEMA_ID);
    encoder.reading(1, 1, 1); // the encoder reuses its buffers: the second value must stand alone
    byte[] value = encoder.reading(1_700_000_000_000_000L, 12, 3);

    assertThat(ConfluentWire.schemaId(value)).isEqualTo(SCHEMA_ID);
    BinaryDecoder decoder =
        DecoderFactory.get()
            .binaryDecoder(
                value, ConfluentWire.HEADER_BYTES, value.length - ConfluentWire.HEADER_BYTES, null);
    GenericRecord reading =
        new GenericDatumReader<GenericRecord>(ReadingGenerator.SCHEMA).read(null, decoder);
    assertThat(decoder.isEnd()).isTrue();
    assertThat(reading.get("ts_us")).isEqualTo(1_700_000_000_000_000L);
    assertThat(reading.get("user_id")).isEqualTo(12);
    assertThat(reading.get("device_id")).isEqualTo(3);
    assertThat(reading.get("hr"))
        .isEqualTo(ReadingGenerator.heartRate(1_700_000_000_000_000L, 12, 3));
  }

  @Test
  void aJsonBatchIsTheUploadAroundAnArrayOfReadings() throws Exception {
    long[] micros = {1_700_000_000_000_000L, 1_700_000_000_100_000L, 99};
    byte[] value = ValueEncoder.json().batch(12, 3, micros, 2);

    int hr0 = ReadingGenerator.heartRate(micros[0], 12, 3);
    int hr1 = ReadingGenerator.heartRate(micros[1], 12, 3);
    assertThat(new String(value, UTF_8))
        .isEqualTo(
            "{\"user_id\":12,\"device_id\":3,\"readings\":["
                + "{\"ts_us\":1700000000000000,\"user_id\":12,\"device_id\":3,\"hr\":"
                + hr0
                + "},{\"ts_us\":1700000000100000,\"user_id\":12,\"device_id\":3,\"hr\":"
                + hr1
                + "}]}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"avro", "json"})
  void batchRecordsDecodeToExactlyTheReadingsOfTheWorkload(String format) throws Exception {
    ReadingGenerator generator = new ReadingGenerator("readings", 20_000, 0.1, 500, Layout.BATCH);
    List<Sent> sent = new ArrayList<>();
    long readings = run(generator, format, sent);

    assertThat(readings).isEqualTo(20_000);
    assertThat(sent).as("one record per upload of 500").hasSize(40);
    List<Reading> decoded = new ArrayList<>();
    for (Sent record : sent) {
      List<Reading> upload = decodeBatch(record.value(), format);
      assertThat(upload).hasSize(record.readings());
      Reading last = upload.get(upload.size() - 1);
      assertThat(record.key()).isEqualTo(last.user() + "-" + last.device());
      assertThat(record.timestampMillis()).isEqualTo(last.micros() / 1000);
      decoded.addAll(upload);
    }
    assertThat(decoded).containsExactlyElementsOf(workloadReadings(generator, 20_000, 500, 0.1));
  }

  @ParameterizedTest
  @ValueSource(strings = {"avro", "json"})
  void reSentUploadsAreExactRepeatsOfAnEarlierRecord(String format) throws Exception {
    ReadingGenerator generator = new ReadingGenerator("readings", 60_000, 0.3, 200, Layout.BATCH);
    List<Sent> sent = new ArrayList<>();
    run(generator, format, sent);

    Set<Reading> seen = new HashSet<>();
    Set<String> earlier = new HashSet<>();
    long repeatedRecords = 0;
    long repeatedReadings = 0;
    for (Sent record : sent) {
      List<Reading> upload = decodeBatch(record.value(), format);
      String bytes = record.key() + " " + Arrays.toString(record.value());
      if (seen.containsAll(upload)) {
        repeatedRecords++;
        repeatedReadings += upload.size();
        assertThat(earlier).as("a re-sent upload repeats a record's key and value").contains(bytes);
      } else {
        assertThat(upload.stream().filter(seen::contains))
            .as("a new upload holds only new readings")
            .isEmpty();
      }
      seen.addAll(upload);
      earlier.add(bytes);
    }
    assertThat(repeatedRecords).isPositive().isEqualTo(generator.duplicateRecords());
    assertThat(repeatedReadings).isEqualTo(generator.duplicates());
  }

  @Test
  void theReadingLayoutSendsOneRecordPerReadingOfTheSameWorkload() throws Exception {
    ReadingGenerator generator = new ReadingGenerator("readings", 3_000, 0.2, 100, Layout.READING);
    List<Sent> sent = new ArrayList<>();
    run(generator, "avro", sent);

    assertThat(sent).hasSize(3_000);
    GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(ReadingGenerator.SCHEMA);
    List<Reading> decoded = new ArrayList<>();
    for (Sent record : sent) {
      assertThat(record.readings()).isEqualTo(1);
      Reading r = reading(readAvro(reader, record.value()));
      assertThat(record.key()).isEqualTo(r.user() + "-" + r.device());
      decoded.add(r);
    }
    assertThat(decoded).containsExactlyElementsOf(workloadReadings(generator, 3_000, 100, 0.2));
    assertThat(generator.duplicateRecords()).isEqualTo(generator.duplicates()).isPositive();
  }

  @Test
  void theLastUploadIsCutSoThatRecordsCountsReadings() throws Exception {
    ReadingGenerator generator = new ReadingGenerator("readings", 1_250, 0, 500, Layout.BATCH);
    List<Sent> sent = new ArrayList<>();
    assertThat(run(generator, "json", sent)).isEqualTo(1_250);

    assertThat(sent).extracting(Sent::readings).containsExactly(500, 500, 250);
    assertThat(decodeBatch(sent.get(2).value(), "json")).hasSize(250);
  }

  @Test
  void theReSendDelayIsAnEighthOfTheRunBetweenOneAndFiftyUploads() {
    assertThat(ReadingGenerator.resendDelay(1)).isEqualTo(1);
    assertThat(ReadingGenerator.resendDelay(15)).isEqualTo(1);
    assertThat(ReadingGenerator.resendDelay(40)).isEqualTo(5);
    assertThat(ReadingGenerator.resendDelay(400)).isEqualTo(50);
    assertThat(ReadingGenerator.resendDelay(2_000_000)).isEqualTo(50);
  }

  @ParameterizedTest
  @ValueSource(ints = {20_000, 12_000, 30_000, 200_000})
  void everyQuickstartSizedRunSendsDuplicatesThatAreDueBeforeItEnds(int records) {
    for (int batch : new int[] {100, 200, 500}) {
      ReadingGenerator generator =
          new ReadingGenerator("readings", records, 0.1, batch, Layout.BATCH);
      generator.generate(ValueEncoder.json(), () -> false, (key, ts, value, n) -> {});
      assertThat(generator.duplicateRecords())
          .as("re-sent uploads in %,d readings of %d-reading uploads", records, batch)
          .isPositive();
    }
  }

  @Test
  void layoutsParseAsTheDedupApplicationNamesThem() {
    assertThat(Layout.parse("batch")).isEqualTo(Layout.BATCH);
    assertThat(Layout.parse("READING")).isEqualTo(Layout.READING);
    assertThat(Layout.BATCH.configValue()).isEqualTo("batch");
    assertThat(Layout.READING.configValue()).isEqualTo("reading");
    assertThatThrownBy(() -> Layout.parse("rows"))
        .hasMessage("--layout must be batch or reading, was rows");
  }

  /** The readings the generator's workload holds, shifted as the generator shifts them. */
  private static List<Reading> workloadReadings(
      ReadingGenerator generator, long records, int batch, double rate) {
    SeedWorkload workload =
        new SeedWorkload(42, 1000, 4, 10.0, batch, rate, 0, 0, 1)
            .withDelay(ReadingGenerator.resendDelay((records + batch - 1) / batch));
    long[] micros = new long[batch];
    long[] ids = new long[batch];
    List<Reading> readings = new ArrayList<>();
    while (readings.size() < records) {
      int n = (int) Math.min(workload.next(micros, ids), records - readings.size());
      for (int i = 0; i < n; i++) {
        long t = micros[i] + generator.shiftMicros();
        int user = (int) (ids[i] >>> 32);
        int device = (int) ids[i];
        readings.add(new Reading(t, user, device, ReadingGenerator.heartRate(t, user, device)));
      }
    }
    return readings;
  }

  private static long run(ReadingGenerator generator, String format, List<Sent> sent) {
    ValueEncoder values =
        format.equals("avro") ? ValueEncoder.avro(SCHEMA_ID) : ValueEncoder.json();
    return generator.generate(
        values, () -> false, (key, ts, value, n) -> sent.add(new Sent(key, ts, value, n)));
  }

  private static List<Reading> decodeBatch(byte[] value, String format) throws IOException {
    List<Reading> readings = new ArrayList<>();
    if (format.equals("avro")) {
      GenericRecord batch =
          readAvro(new GenericDatumReader<>(ReadingGenerator.BATCH_SCHEMA), value);
      for (Object r : (List<?>) batch.get("readings")) {
        Reading reading = reading((GenericRecord) r);
        assertThat(batch.get("user_id")).isEqualTo(reading.user());
        assertThat(batch.get("device_id")).isEqualTo(reading.device());
        readings.add(reading);
      }
      return readings;
    }
    JsonNode batch = new ObjectMapper().readTree(value);
    assertThat(batch.size()).isEqualTo(3);
    for (JsonNode r : batch.get("readings")) {
      assertThat(r.size()).isEqualTo(4);
      Reading reading =
          new Reading(
              r.get("ts_us").asLong(),
              r.get("user_id").asInt(),
              r.get("device_id").asInt(),
              r.get("hr").asInt());
      assertThat(batch.get("user_id").asInt()).isEqualTo(reading.user());
      assertThat(batch.get("device_id").asInt()).isEqualTo(reading.device());
      readings.add(reading);
    }
    return readings;
  }

  private static GenericRecord readAvro(GenericDatumReader<GenericRecord> reader, byte[] value)
      throws IOException {
    assertThat(ConfluentWire.schemaId(value)).isEqualTo(SCHEMA_ID);
    BinaryDecoder decoder =
        DecoderFactory.get()
            .binaryDecoder(
                value, ConfluentWire.HEADER_BYTES, value.length - ConfluentWire.HEADER_BYTES, null);
    GenericRecord record = reader.read(null, decoder);
    assertThat(decoder.isEnd()).as("nothing after the record").isTrue();
    return record;
  }

  private static Reading reading(GenericRecord r) {
    return new Reading(
        (Long) r.get("ts_us"),
        (Integer) r.get("user_id"),
        (Integer) r.get("device_id"),
        (Integer) r.get("hr"));
  }

  /** The schema the generator registers for {@code layout}, through a stub Confluent API. */
  private static Schema registeredSchema(Layout layout) throws Exception {
    List<String> requests = new CopyOnWriteArrayList<>();
    List<String> bodies = new CopyOnWriteArrayList<>();
    HttpServer registry =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    registry.createContext(
        "/",
        exchange -> {
          try (exchange) {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath());
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), UTF_8));
            byte[] body =
                (exchange.getRequestMethod().equals("POST") ? "{\"id\":42}" : "[]").getBytes(UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    registry.start();
    try {
      String url = "http://127.0.0.1:" + registry.getAddress().getPort() + "/apis/ccompat/v7/";
      int id = new ReadingGenerator("sensor-readings", 10, 0, 5, layout).registerSchema(url);

      assertThat(id).isEqualTo(42);
      assertThat(requests)
          .containsExactly(
              "GET /apis/ccompat/v7/subjects",
              "POST /apis/ccompat/v7/subjects/sensor-readings-value/versions");
      String schema = new ObjectMapper().readTree(bodies.get(1)).get("schema").asText();
      return new Schema.Parser().parse(schema);
    } finally {
      registry.stop(0);
    }
  }
}
