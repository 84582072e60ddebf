package dev.depot.cli;

import static dev.depot.cli.DepotCliTest.run;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.cli.DepotCliTest.Result;
import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.DepotEnvelope.Header;
import dev.depot.envelope.DepotEnvelope.TimestampType;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue;
import dev.depot.testing.TestFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code depot cat} on queues laid out as the sink connector writes them: envelope items tagged
 * with their Kafka offsets, and a {@code depot.format} file naming the item format.
 */
class DepotCliEnvelopeTest {
  @TempDir Path root;

  /** Text key and value, headers with text, null and binary values. */
  private static final DepotEnvelope TEXT =
      new DepotEnvelope(
          "readings",
          2,
          40L,
          1_700_000_000_000L,
          TimestampType.CREATE_TIME,
          utf8("sensor-1"),
          utf8("{\"t\":21.5,\"unit\":\"°C\"}"),
          List.of(
              new Header("source", utf8("gw-7")),
              new Header("trace", null),
              new Header("sig", new byte[] {(byte) 0xff, 0x00, 'A'})));

  /** Binary key and value, no timestamp, no headers. */
  private static final DepotEnvelope BINARY =
      new DepotEnvelope(
          "readings",
          2,
          41L,
          null,
          TimestampType.NO_TIMESTAMP_TYPE,
          new byte[] {(byte) 0xc3, 0x28},
          new byte[] {0x00, (byte) 0x80, (byte) 0xff, '\n'},
          List.of());

  /** A tombstone: null value. */
  private static final DepotEnvelope TOMBSTONE =
      new DepotEnvelope(
          "readings",
          2,
          42L,
          1_700_000_000_123L,
          TimestampType.LOG_APPEND_TIME,
          utf8("sensor-1"),
          null,
          List.of(new Header("deleted-by", utf8("ops \"night\""))));

  /** No key and an empty value. */
  private static final DepotEnvelope NO_KEY =
      new DepotEnvelope(
          "readings", 2, 43L, 0L, TimestampType.CREATE_TIME, null, new byte[0], List.of());

  private static final List<DepotEnvelope> ALL = List.of(TEXT, BINARY, TOMBSTONE, NO_KEY);

  /** The fields after "complete" of each envelope of {@link #ALL}, with --encoding auto. */
  private static final List<String> AUTO_FIELDS =
      List.of(
          """
          "topic":"readings","partition":2,"offset":40,"timestamp":1700000000000,\
          "timestamp_type":"CREATE_TIME","key":"sensor-1",\
          "value":"{\\"t\\":21.5,\\"unit\\":\\"°C\\"}",\
          "headers":[{"key":"source","value":"gw-7"},{"key":"trace","value":null},\
          {"key":"sig","value_base64":"/wBB"}]}""",
          """
          "topic":"readings","partition":2,"offset":41,"timestamp":null,\
          "timestamp_type":"NO_TIMESTAMP_TYPE","key_base64":"wyg=","value_base64":"AID/Cg==",\
          "headers":[]}""",
          """
          "topic":"readings","partition":2,"offset":42,"timestamp":1700000000123,\
          "timestamp_type":"LOG_APPEND_TIME","key":"sensor-1","value":null,\
          "headers":[{"key":"deleted-by","value":"ops \\"night\\""}]}""",
          """
          "topic":"readings","partition":2,"offset":43,"timestamp":0,\
          "timestamp_type":"CREATE_TIME","key":null,"value":"","headers":[]}""");

  private static byte[] utf8(String text) {
    return text.getBytes(UTF_8);
  }

  /** A partition's queue as the connector lays it out: depot.path/topic/partition. */
  private Path queueDir() {
    return root.resolve("readings").resolve("2");
  }

  /** Appends each envelope tagged with its offset, as the connector does; returns the ids. */
  private static long[] writeEnvelopes(Path dir, List<DepotEnvelope> envelopes) {
    long[] ids = new long[envelopes.size()];
    try (DepotQueue queue = DepotQueue.open(dir)) {
      for (int i = 0; i < ids.length; i++) {
        DepotEnvelope envelope = envelopes.get(i);
        ids[i] = queue.append(EnvelopeCodec.encode(envelope), envelope.offset());
      }
      queue.sync();
    }
    return ids;
  }

  private static void writeFormat(Path dir, String content) throws IOException {
    Files.writeString(dir.resolve("depot.format"), content, UTF_8);
  }

  /** {"id":..,"segment":..,"position":..,"complete":true, */
  private static String start(long id) {
    return String.format(
        "{\"id\":%d,\"segment\":%d,\"position\":%d,\"complete\":true,",
        id, DepotIds.segment(id), DepotIds.position(id));
  }

  private static String envelopeLine(long id, String fields) {
    return start(id) + fields;
  }

  /** A stored item's line: length, tag, and the item's bytes in base64. */
  private static String taggedItemLine(long id, long tag, byte[] item) {
    return start(id)
        + "\"length\":"
        + item.length
        + ",\"tag\":"
        + tag
        + ",\"value_base64\":\""
        + Base64.getEncoder().encodeToString(item)
        + "\"}";
  }

  private static List<String> storedItemLines(long[] ids) {
    return List.of(
        taggedItemLine(ids[0], 40, EnvelopeCodec.encode(TEXT)),
        taggedItemLine(ids[1], 41, EnvelopeCodec.encode(BINARY)),
        taggedItemLine(ids[2], 42, EnvelopeCodec.encode(TOMBSTONE)),
        taggedItemLine(ids[3], 43, EnvelopeCodec.encode(NO_KEY)));
  }

  @Test
  void catAutoDecodesEnvelopesWhenDepotFormatSaysEnvelope() throws IOException {
    Path dir = queueDir();
    long[] ids = writeEnvelopes(dir, ALL);
    writeFormat(dir, "envelope\n");

    Result result = run("cat", dir.toString());

    assertThat(result.err()).isEmpty();
    assertThat(result.exitCode()).isZero();
    assertThat(result.outLines())
        .containsExactly(
            envelopeLine(ids[0], AUTO_FIELDS.get(0)),
            envelopeLine(ids[1], AUTO_FIELDS.get(1)),
            envelopeLine(ids[2], AUTO_FIELDS.get(2)),
            envelopeLine(ids[3], AUTO_FIELDS.get(3)));

    // Surrounding white space does not matter; --from and --limit work as for stored items.
    writeFormat(dir, "  envelope \r\n");
    Result second = run("cat", dir.toString(), "--from", DepotIds.toString(ids[1]), "--limit", "1");
    assertThat(second.exitCode()).isZero();
    assertThat(second.outLines()).containsExactly(envelopeLine(ids[1], AUTO_FIELDS.get(1)));
  }

  @Test
  void catAutoPrintsStoredItemsWithTheirTagsWhenDepotFormatIsMissingOrValue() throws IOException {
    Path dir = queueDir();
    long[] ids = writeEnvelopes(dir, ALL);

    Result missing = run("cat", dir.toString());

    assertThat(missing.err()).isEmpty();
    assertThat(missing.exitCode()).isZero();
    assertThat(missing.outLines()).containsExactlyElementsOf(storedItemLines(ids));

    writeFormat(dir, "value\n");
    Result value = run("cat", dir.toString());
    assertThat(value.exitCode()).isZero();
    assertThat(value.outLines()).containsExactlyElementsOf(storedItemLines(ids));
  }

  @Test
  void catDecodeNonePrintsEnvelopesAsStoredItems() throws IOException {
    Path dir = queueDir();
    long[] ids = writeEnvelopes(dir, ALL);
    writeFormat(dir, "envelope\n");

    Result result = run("cat", dir.toString(), "--decode", "none");

    assertThat(result.err()).isEmpty();
    assertThat(result.exitCode()).isZero();
    assertThat(result.outLines()).containsExactlyElementsOf(storedItemLines(ids));
  }

  @Test
  void catDecodeEnvelopeReportsRecordsThatAreNotEnvelopesGoesOnAndExitsOne() {
    Path dir = queueDir();
    long[] ids = new long[5];
    try (DepotQueue queue = DepotQueue.open(dir)) {
      ids[0] = queue.append(EnvelopeCodec.encode(TEXT), 40);
      ids[1] = queue.append(utf8("hello"));
      ids[2] = queue.append(new byte[0], 7);
      ids[3] = queue.append(EnvelopeCodec.encode(BINARY), 41);
      byte[] torn = EnvelopeCodec.encode(TOMBSTONE);
      ids[4] = queue.append(Arrays.copyOf(torn, 12), 42);
    }
    List<String> expectedErr =
        List.of(
            "depot: record "
                + DepotIds.toString(ids[1])
                + " is not an envelope: not a depot envelope: starts with 0x68 0x65, expected 0xde"
                + " 0x01",
            "depot: record "
                + DepotIds.toString(ids[2])
                + " is not an envelope: not a depot envelope: 0 bytes, expected 0xde 0x01",
            "depot: record "
                + DepotIds.toString(ids[4])
                + " is not an envelope: not a depot envelope: it ends early at byte 12");

    // No depot.format: --decode envelope alone decides.
    Result json = run("cat", dir.toString(), "--decode", "envelope");

    assertThat(json.exitCode()).isEqualTo(1);
    assertThat(json.outLines())
        .containsExactly(
            envelopeLine(ids[0], AUTO_FIELDS.get(0)), envelopeLine(ids[3], AUTO_FIELDS.get(1)));
    assertThat(json.errLines()).containsExactlyElementsOf(expectedErr);

    Result raw = run("cat", dir.toString(), "--decode", "envelope", "--format", "raw");

    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(TEXT.value());
    expected.write('\n');
    expected.writeBytes(BINARY.value());
    expected.write('\n');
    assertThat(raw.exitCode()).isEqualTo(1);
    assertThat(raw.stdout()).isEqualTo(expected.toByteArray());
    assertThat(raw.errLines()).containsExactlyElementsOf(expectedErr);
  }

  @Test
  void catRawWritesEachEnvelopesValueAndJustANewlineForATombstone() throws IOException {
    Path dir = queueDir();
    writeEnvelopes(dir, ALL);
    writeFormat(dir, "envelope\n");

    Result result = run("cat", dir.toString(), "--format", "raw");

    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(TEXT.value());
    expected.write('\n');
    expected.writeBytes(BINARY.value());
    expected.write('\n');
    expected.write('\n'); // the tombstone
    expected.write('\n'); // the empty value
    assertThat(result.err()).isEmpty();
    assertThat(result.exitCode()).isZero();
    assertThat(result.stdout()).isEqualTo(expected.toByteArray());
  }

  @Test
  void catEncodingOptionAppliesToEnvelopeKeysValuesAndHeaderValues() throws IOException {
    Path dir = queueDir();
    long[] ids = writeEnvelopes(dir, List.of(TEXT, BINARY, TOMBSTONE));
    writeFormat(dir, "envelope\n");

    Result base64 = run("cat", dir.toString(), "--encoding", "base64");

    assertThat(base64.exitCode()).isZero();
    assertThat(base64.outLines())
        .containsExactly(
            envelopeLine(
                ids[0],
                """
                "topic":"readings","partition":2,"offset":40,"timestamp":1700000000000,\
                "timestamp_type":"CREATE_TIME","key_base64":"c2Vuc29yLTE=",\
                "value_base64":"eyJ0IjoyMS41LCJ1bml0IjoiwrBDIn0=",\
                "headers":[{"key":"source","value_base64":"Z3ctNw=="},\
                {"key":"trace","value":null},{"key":"sig","value_base64":"/wBB"}]}"""),
            envelopeLine(
                ids[1],
                """
                "topic":"readings","partition":2,"offset":41,"timestamp":null,\
                "timestamp_type":"NO_TIMESTAMP_TYPE","key_base64":"wyg=",\
                "value_base64":"AID/Cg==","headers":[]}"""),
            envelopeLine(
                ids[2],
                """
                "topic":"readings","partition":2,"offset":42,"timestamp":1700000000123,\
                "timestamp_type":"LOG_APPEND_TIME","key_base64":"c2Vuc29yLTE=","value":null,\
                "headers":[{"key":"deleted-by","value_base64":"b3BzICJuaWdodCI="}]}"""));

    Result utf8 = run("cat", dir.toString(), "--encoding", "utf8");

    assertThat(utf8.exitCode()).isZero();
    assertThat(utf8.outLines())
        .containsExactly(
            envelopeLine(
                ids[0],
                """
                "topic":"readings","partition":2,"offset":40,"timestamp":1700000000000,\
                "timestamp_type":"CREATE_TIME","key":"sensor-1",\
                "value":"{\\"t\\":21.5,\\"unit\\":\\"°C\\"}",\
                "headers":[{"key":"source","value":"gw-7"},{"key":"trace","value":null},\
                {"key":"sig","value":"\ufffd\\u0000A"}]}"""),
            envelopeLine(
                ids[1],
                """
                "topic":"readings","partition":2,"offset":41,"timestamp":null,\
                "timestamp_type":"NO_TIMESTAMP_TYPE","key":"\ufffd(",\
                "value":"\\u0000\ufffd\ufffd\\n","headers":[]}"""),
            envelopeLine(ids[2], AUTO_FIELDS.get(2)));
  }

  @Test
  void catEscapesControlCharactersInTopicsAndHeaderKeysAsInValues() throws IOException {
    Path dir = queueDir();
    DepotEnvelope odd =
        new DepotEnvelope(
            "t\u0000\b\f\u001f\u007f \"é\"",
            0,
            7L,
            5L,
            TimestampType.CREATE_TIME,
            utf8("k\t\ud83d\ude00"),
            utf8("v\\"),
            List.of(new Header("h\n\r\u2028\ud83d\ude00", utf8("\u0001"))));
    long[] ids = writeEnvelopes(dir, List.of(odd));
    writeFormat(dir, "envelope\n");

    Result result = run("cat", dir.toString());

    String line =
        envelopeLine(
            ids[0],
            """
            "topic":"t\\u0000\\u0008\\u000c\\u001f\u007f \\"é\\"","partition":0,"offset":7,\
            "timestamp":5,"timestamp_type":"CREATE_TIME","key":"k\\t\ud83d\ude00",\
            "value":"v\\\\","headers":[{"key":"h\\n\\r\u2028\ud83d\ude00","value":"\\u0001"}]}""");
    assertThat(result.err()).isEmpty();
    assertThat(result.exitCode()).isZero();
    assertThat(result.stdout()).isEqualTo((line + System.lineSeparator()).getBytes(UTF_8));
  }

  @Test
  void catNeverDecodesAPartialRecord() throws IOException {
    Path dir = queueDir();
    long[] ids = writeEnvelopes(dir, List.of(TEXT, BINARY));
    writeFormat(dir, "envelope\n");
    try (FileChannel segment =
        FileChannel.open(TestFiles.segment(dir, 0), StandardOpenOption.WRITE)) {
      segment.truncate(segment.size() - 3); // BINARY's record loses its last three bytes
    }

    Result json = run("cat", dir.toString(), "--decode", "envelope");

    assertThat(json.err()).isEmpty();
    assertThat(json.exitCode()).isZero();
    assertThat(json.outLines()).hasSize(2);
    assertThat(json.outLines().get(0)).isEqualTo(envelopeLine(ids[0], AUTO_FIELDS.get(0)));
    String partial = json.outLines().get(1);
    assertThat(partial)
        .startsWith(
            String.format(
                "{\"id\":%d,\"segment\":0,\"position\":%d,\"complete\":false,\"length\":",
                ids[1], DepotIds.position(ids[1])))
        .contains("\"value_base64\":\"")
        .doesNotContain("\"topic\"", "\"tag\"");

    Result raw = run("cat", dir.toString(), "--format", "raw");
    assertThat(raw.exitCode()).isZero();
    assertThat(raw.stdout()).isEqualTo((new String(TEXT.value(), UTF_8) + "\n").getBytes(UTF_8));
    assertThat(raw.errLines()).hasSize(1);
    assertThat(raw.errLines().get(0))
        .startsWith("depot: skipped partial record at " + DepotIds.toString(ids[1]) + " (");
  }

  @Test
  void catWithAnUnreadableDepotFormatExitsOneUnlessDecodeIsGiven() throws IOException {
    Path dir = queueDir();
    long[] ids = writeEnvelopes(dir, List.of(TEXT));
    Files.createDirectory(dir.resolve("depot.format"));

    Result auto = run("cat", dir.toString());

    assertThat(auto.exitCode()).isEqualTo(1);
    assertThat(auto.out()).isEmpty();
    assertThat(auto.errLines()).hasSize(1);
    assertThat(auto.errLines().get(0))
        .startsWith("depot: cannot read " + dir.resolve("depot.format") + ": ")
        .endsWith("; choose with option --decode envelope or none");

    Result envelope = run("cat", dir.toString(), "--decode", "envelope");
    assertThat(envelope.exitCode()).isZero();
    assertThat(envelope.outLines()).containsExactly(envelopeLine(ids[0], AUTO_FIELDS.get(0)));
  }

  @Test
  void catRejectsAnUnknownDecodeModeAndItsHelpNamesTheOption() {
    Path dir = queueDir();
    writeEnvelopes(dir, List.of(TEXT));

    Result bad = run("cat", dir.toString(), "--decode", "avro");

    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.out()).isEmpty();
    assertThat(bad.errLines())
        .containsExactly(
            "depot: Invalid value for option '--decode': expected one of [AUTO, ENVELOPE, NONE]"
                + " (case-insensitive) but was 'avro' (see 'depot cat --help')");

    Result help = run("cat", "--help");
    assertThat(help.exitCode()).isZero();
    // picocli wraps at 80 columns, also after punctuation inside a word: compare without spaces.
    assertThat(help.out().replaceAll("\\s", ""))
        .contains("--decode=MODE", "holdsadepot.formatfile", "\"timestamp_type\":..")
        .contains("envelope:decodeeverycompleterecord", "none:printtheitemsasstored.");
  }
}
