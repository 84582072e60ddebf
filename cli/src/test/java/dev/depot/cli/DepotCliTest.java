package dev.depot.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.testing.TestFiles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the {@code depot} commands in-process through picocli, against queues written with {@link
 * DepotQueue}, capturing standard output and standard error.
 */
class DepotCliTest {
  @TempDir Path root;

  /** What one run of the tool produced. */
  record Result(int exitCode, byte[] stdout, String err) {
    String out() {
      return new String(stdout, UTF_8);
    }

    List<String> outLines() {
      return out().lines().toList();
    }

    List<String> errLines() {
      return err.lines().toList();
    }
  }

  static Result run(String... args) {
    return runWithInput(new byte[0], args);
  }

  static Result runWithInput(byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = DepotCli.run(new ByteArrayInputStream(stdin), out, err, args);
    return new Result(code, out.toByteArray(), err.toString(UTF_8));
  }

  private static long[] write(Path dir, long segmentBytes, byte[]... items) {
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(segmentBytes).build()) {
      return queue.appendAll(Arrays.asList(items));
    }
  }

  private static long[] write(Path dir, String... items) {
    byte[][] bytes = new byte[items.length][];
    for (int i = 0; i < items.length; i++) {
      bytes[i] = items[i].getBytes(UTF_8);
    }
    return write(dir, DepotQueue.DEFAULT_SEGMENT_BYTES, bytes);
  }

  private static String jsonLine(long id, boolean complete, int length, String valueField) {
    return String.format(
        "{\"id\":%d,\"segment\":%d,\"position\":%d,\"complete\":%s,\"length\":%d,%s}",
        id, DepotIds.segment(id), DepotIds.position(id), complete, length, valueField);
  }

  private static void truncate(Path file, long bytesShort) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(channel.size() - bytesShort);
    }
  }

  private static void flipBit(Path file, long position) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(position);
      int b = raf.read();
      raf.seek(position);
      raf.write(b ^ 0x01);
    }
  }

  /**
   * A usage or path error: exactly one stderr line, the prefix, no stack trace, nothing on stdout.
   */
  private static void assertOneLineError(Result result, int exitCode, String expectedStart) {
    assertThat(result.exitCode()).isEqualTo(exitCode);
    assertThat(result.errLines()).hasSize(1);
    assertThat(result.errLines().get(0)).startsWith("depot: ").startsWith(expectedStart);
    assertThat(result.err()).doesNotContain("\tat ").doesNotContain("Exception");
    assertThat(result.out()).isEmpty();
  }

  // ---- ls ----

  @Test
  void lsPrintsOneAlignedLinePerSegmentUnderAHeader() throws IOException {
    Path dir = root.resolve("q");
    byte[][] items = new byte[10][];
    for (int i = 0; i < items.length; i++) {
      items[i] = new byte[1000];
      Arrays.fill(items[i], (byte) ('a' + i));
    }
    write(dir, 4096, items); // 4 items of 1012 frame bytes fill a 4096-byte segment

    Result result = run("ls", dir.toString());

    assertThat(result.exitCode()).isZero();
    assertThat(result.err()).isEmpty();
    List<String> lines = result.outLines();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0).split(" +"))
        .containsExactly("segment", "file", "bytes", "last_modified");
    for (int segment = 0; segment < 3; segment++) {
      Path file = TestFiles.segment(dir, segment);
      String modified =
          LsCommand.TIME.format(Instant.ofEpochMilli(Files.getLastModifiedTime(file).toMillis()));
      assertThat(lines.get(segment + 1).trim().split(" +"))
          .containsExactly(
              Integer.toString(segment),
              file.getFileName().toString(),
              Long.toString(Files.size(file)),
              modified);
      assertThat(modified).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    }
    // Aligned: every column starts at the same offset on every line.
    for (String column : List.of("0000000000.seg", "0000000001.seg", "0000000002.seg")) {
      int row = Integer.parseInt(column.substring(9, 10)) + 1;
      assertThat(lines.get(row).indexOf(column)).isEqualTo(lines.get(0).indexOf("file"));
    }
    int timeColumn = lines.get(0).indexOf("last_modified");
    for (String line : lines.subList(1, 4)) {
      assertThat(line.substring(timeColumn)).matches("\\d{4}-.*Z");
    }
    // Numbers are right-aligned: the bytes column ends where its header ends.
    int bytesEnd = lines.get(0).indexOf("bytes") + "bytes".length();
    assertThat(lines.get(3).substring(0, bytesEnd))
        .endsWith(Long.toString(Files.size(TestFiles.segment(dir, 2))));
  }

  // ---- cat ----

  @Test
  void catPrintsJsonLinesWithEscapedUtf8Values() {
    Path dir = root.resolve("q");
    String tricky = "tab\there \"q\" back\\slash\nnew\r\u0001\u001f end";
    long[] ids = write(dir, "hello", tricky, "héllo €", "");

    Result result = run("cat", dir.toString());

    assertThat(result.exitCode()).isZero();
    assertThat(result.err()).isEmpty();
    assertThat(result.outLines())
        .containsExactly(
            jsonLine(ids[0], true, 5, "\"value\":\"hello\""),
            jsonLine(
                ids[1],
                true,
                tricky.length(),
                "\"value\":\"tab\\there \\\"q\\\" back\\\\slash\\nnew\\r\\u0001\\u001f end\""),
            jsonLine(ids[2], true, "héllo €".getBytes(UTF_8).length, "\"value\":\"héllo €\""),
            jsonLine(ids[3], true, 0, "\"value\":\"\""));
    assertThat(ids[0]).isEqualTo(DepotIds.of(0, 16));
  }

  @Test
  void catPrintsBinaryItemsAsBase64AndHonoursTheEncodingOption() {
    Path dir = root.resolve("q");
    byte[] binary = {(byte) 0xff, 0x00, 'A'};
    long[] ids = write(dir, DepotQueue.DEFAULT_SEGMENT_BYTES, binary, "hello".getBytes(UTF_8));

    Result auto = run("cat", dir.toString());
    assertThat(auto.exitCode()).isZero();
    assertThat(auto.outLines())
        .containsExactly(
            jsonLine(ids[0], true, 3, "\"value_base64\":\"/wBB\""),
            jsonLine(ids[1], true, 5, "\"value\":\"hello\""));

    Result utf8 = run("cat", dir.toString(), "--encoding", "utf8");
    assertThat(utf8.exitCode()).isZero();
    assertThat(utf8.outLines())
        .containsExactly(
            jsonLine(ids[0], true, 3, "\"value\":\"\ufffd\\u0000A\""),
            jsonLine(ids[1], true, 5, "\"value\":\"hello\""));

    Result base64 = run("cat", dir.toString(), "--encoding", "base64");
    assertThat(base64.exitCode()).isZero();
    assertThat(base64.outLines())
        .containsExactly(
            jsonLine(ids[0], true, 3, "\"value_base64\":\"/wBB\""),
            jsonLine(ids[1], true, 5, "\"value_base64\":\"aGVsbG8=\""));
  }

  @Test
  void catEscapesEveryControlCharacterAndPrintsOtherTextAsItsUtf8Bytes() {
    Path dir = root.resolve("q");
    StringBuilder controls = new StringBuilder();
    for (char c = 0; c < 0x20; c++) {
      controls.append(c);
    }
    String text = controls + "\u007f \" \\ / é € \ud83d\ude00 \u2028\u2029 \ufeff end";
    long[] ids = write(dir, text);

    Result result = run("cat", dir.toString());

    // The exact bytes: \n, \r and \t as short escapes, every other control character (\b and \f
    // too) as a lower-case \\u00XX escape, DEL, U+2028/9 and the non-BMP smiley as UTF-8 as is.
    String value =
        "\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u0008\\t\\n\\u000b"
            + "\\u000c\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016"
            + "\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"
            + "\u007f \\\" \\\\ / é € \ud83d\ude00 \u2028\u2029 \ufeff end";
    String line =
        jsonLine(ids[0], true, text.getBytes(UTF_8).length, "\"value\":\"" + value + "\"");
    assertThat(result.exitCode()).isZero();
    assertThat(result.err()).isEmpty();
    assertThat(result.stdout()).isEqualTo((line + System.lineSeparator()).getBytes(UTF_8));
  }

  @Test
  void catPrintsBytesThatAreNotValidUtf8AsBase64AndAsReplacementCharactersWithUtf8() {
    Path dir = root.resolve("q");
    byte[][] invalid = {
      {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // a lone high surrogate, U+D800, encoded
      {(byte) 0xed, (byte) 0xb0, (byte) 0x80}, // a lone low surrogate, U+DC00, encoded
      {'a', (byte) 0xc0, (byte) 0x80}, // overlong NUL
      {'a', (byte) 0xe2, (byte) 0x82}, // cut short at the end
      {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
      {(byte) 0x80, 'b'}, // a continuation byte first
      {'"', (byte) 0xff, '\n'}
    };
    byte[] smiley = {(byte) 0xf0, (byte) 0x9f, (byte) 0x98, (byte) 0x80, 0x1f};
    byte[][] items = Arrays.copyOf(invalid, invalid.length + 1);
    items[invalid.length] = smiley;
    long[] ids = write(dir, DepotQueue.DEFAULT_SEGMENT_BYTES, items);

    Result auto = run("cat", dir.toString());
    Result utf8 = run("cat", dir.toString(), "--encoding", "utf8");

    List<String> expectedAuto = new ArrayList<>();
    List<String> expectedUtf8 = new ArrayList<>();
    for (int i = 0; i < invalid.length; i++) {
      String base64 = Base64.getEncoder().encodeToString(invalid[i]);
      expectedAuto.add(
          jsonLine(ids[i], true, invalid[i].length, "\"value_base64\":\"" + base64 + "\""));
    }
    expectedAuto.add(jsonLine(ids[7], true, 5, "\"value\":\"\ud83d\ude00\\u001f\""));
    assertThat(auto.exitCode()).isZero();
    assertThat(auto.outLines()).containsExactlyElementsOf(expectedAuto);

    // With utf8, each malformed sequence becomes U+FFFD as Java's decoder replaces it.
    expectedUtf8.add(jsonLine(ids[0], true, 3, "\"value\":\"\ufffd\""));
    expectedUtf8.add(jsonLine(ids[1], true, 3, "\"value\":\"\ufffd\""));
    expectedUtf8.add(jsonLine(ids[2], true, 3, "\"value\":\"a\ufffd\ufffd\""));
    expectedUtf8.add(jsonLine(ids[3], true, 3, "\"value\":\"a\ufffd\""));
    expectedUtf8.add(jsonLine(ids[4], true, 4, "\"value\":\"\ufffd\ufffd\ufffd\ufffd\""));
    expectedUtf8.add(jsonLine(ids[5], true, 2, "\"value\":\"\ufffdb\""));
    expectedUtf8.add(jsonLine(ids[6], true, 3, "\"value\":\"\\\"\ufffd\\n\""));
    expectedUtf8.add(expectedAuto.get(7));
    assertThat(utf8.exitCode()).isZero();
    assertThat(utf8.outLines()).containsExactlyElementsOf(expectedUtf8);
    assertThat(isUtf8(auto.stdout())).isTrue();
    assertThat(isUtf8(utf8.stdout())).isTrue();
  }

  @Test
  void catPrintsFiveMebibyteValuesWholeAndExact() {
    Path dir = root.resolve("q");
    // Multi-byte characters and escapes at every offset modulo 7, so that they straddle any
    // buffer boundary of the writer.
    String unit = "aé€\ud83d\ude00\"\n";
    String text = unit.repeat(5 * 1024 * 1024 / unit.getBytes(UTF_8).length);
    byte[] binary = new byte[5 * 1024 * 1024];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) (i * 31 + (i >> 9));
    }
    long[] ids = write(dir, DepotQueue.DEFAULT_SEGMENT_BYTES, text.getBytes(UTF_8), binary);

    Result result = run("cat", dir.toString());

    String escaped = "aé€\ud83d\ude00\\\"\\n".repeat(text.length() / unit.length());
    String expected =
        jsonLine(ids[0], true, text.getBytes(UTF_8).length, "\"value\":\"" + escaped + "\"")
            + System.lineSeparator()
            + jsonLine(
                ids[1],
                true,
                binary.length,
                "\"value_base64\":\"" + Base64.getEncoder().encodeToString(binary) + "\"")
            + System.lineSeparator();
    assertThat(result.exitCode()).isZero();
    assertThat(result.err()).isEmpty();
    assertThat(Arrays.equals(result.stdout(), expected.getBytes(UTF_8)))
        .as("the output is the expected line for each value, byte for byte")
        .isTrue();
  }

  @Test
  void catWritesFiveMebibyteValuesWithoutCopyingThemIntoStrings() {
    Path dir = root.resolve("q");
    byte[] text = ("é" + "a".repeat(5 * 1024 * 1024)).getBytes(UTF_8);
    byte[] binary = new byte[5 * 1024 * 1024];
    Arrays.fill(binary, (byte) 0xff);
    write(dir, DepotQueue.DEFAULT_SEGMENT_BYTES, text, binary);
    String[] raw = {"cat", dir.toString(), "--format", "raw"};
    String[] json = {"cat", dir.toString()};
    allocatedBy(raw); // loads the classes both need
    allocatedBy(json);

    long rawBytes = allocatedBy(raw);
    long jsonBytes = allocatedBy(json);

    // Both read the same 10 MiB of items; JSON on top of that only takes buffers. Decoding the
    // text to a string, or base64 into one, would take 10 MiB or more on its own.
    assertThat(jsonBytes - rawBytes).isLessThan(2 * 1024 * 1024);
  }

  @Test
  void catStopsWithOneErrorLineWhenStandardOutputFails() {
    Path dir = root.resolve("q");
    write(dir, "x".repeat(100_000), "y".repeat(100_000));
    List<Integer> writes = new ArrayList<>();
    OutputStream closedPipe =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            writes.add(len);
            throw new IOException("Broken pipe");
          }
        };
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code =
        DepotCli.run(new ByteArrayInputStream(new byte[0]), closedPipe, err, "cat", dir.toString());

    assertThat(code).isEqualTo(1);
    assertThat(err.toString(UTF_8))
        .isEqualTo("depot: cannot write to standard output: Broken pipe" + System.lineSeparator());
    assertThat(writes).as("the first failed write ends cat").hasSizeLessThanOrEqualTo(2);
  }

  /** The bytes this thread allocates running the tool, its output thrown away. */
  private static long allocatedBy(String... args) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(thread);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        DepotCli.run(
            new ByteArrayInputStream(new byte[0]), OutputStream.nullOutputStream(), err, args);
    long allocated = threads.getThreadAllocatedBytes(thread) - before;
    assertThat(err.toString(UTF_8)).isEmpty();
    assertThat(code).isZero();
    return allocated;
  }

  /** Whether the bytes are well-formed UTF-8: JSON text must be. */
  static boolean isUtf8(byte[] bytes) {
    try {
      UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  @Test
  void catFromAcceptsDecimalAndSegmentPositionIds() {
    Path dir = root.resolve("q");
    byte[][] items = new byte[9][];
    for (int i = 0; i < items.length; i++) {
      items[i] = ("item-" + i + "-" + "x".repeat(1500)).getBytes(UTF_8);
    }
    long[] ids = write(dir, 4096, items); // two items per segment: ids in segments 0 to 4
    long start = ids[5];
    assertThat(DepotIds.segment(start)).isEqualTo(2);

    Result decimal = run("cat", dir.toString(), "--from", Long.toString(start));
    Result readable = run("cat", dir.toString(), "--from", DepotIds.toString(start));

    assertThat(decimal.exitCode()).isZero();
    assertThat(readable.exitCode()).isZero();
    assertThat(decimal.outLines()).hasSize(4);
    assertThat(decimal.outLines().get(0)).startsWith("{\"id\":" + start + ",\"segment\":2,");
    assertThat(decimal.outLines().get(0)).contains("\"value\":\"item-5-");
    assertThat(readable.out()).isEqualTo(decimal.out());

    // An id between two records starts at the next one.
    Result between =
        run(
            "cat",
            dir.toString(),
            "--from",
            DepotIds.segment(start) + ":" + (DepotIds.position(start) + 1));
    assertThat(between.exitCode()).isZero();
    assertThat(between.outLines()).hasSize(3);
    assertThat(between.outLines().get(0)).startsWith("{\"id\":" + ids[6] + ",");
  }

  @Test
  void catFromTimeAndFromOffsetStartAtTheFirstRecordAtOrAfterThem() {
    Path dir = root.resolve("q");
    long start = Instant.parse("2026-11-30T11:00:00Z").toEpochMilli();
    long[] ids = new long[120];
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      for (int i = 0; i < ids.length; i++) {
        // one record a minute, Kafka offsets 100, 102, ...; record 7 has no timestamp
        String item = "item-" + i + "-" + "x".repeat(60);
        ids[i] =
            i == 7
                ? queue.append(item.getBytes(UTF_8), 100 + 2 * i)
                : queue.appendTimed(item.getBytes(UTF_8), 100 + 2 * i, start + 60_000L * i);
      }
    }
    Result noon = run("cat", dir.toString(), "--from-time", "2026-11-30T12:00:00Z");
    assertThat(noon.exitCode()).isZero();
    assertThat(noon.outLines()).hasSize(60);
    assertThat(noon.outLines().get(0))
        .startsWith("{\"id\":" + ids[60] + ",")
        .contains("\"tag\":220,\"timestamp\":" + (start + 3_600_000L) + ",")
        .contains("\"value\":\"item-60-");
    // the same time with an offset, as epoch milliseconds, and a millisecond earlier
    assertThat(run("cat", dir.toString(), "--from-time", "2026-11-30T13:00:00+01:00").out())
        .isEqualTo(noon.out());
    assertThat(run("cat", dir.toString(), "--from-time", Long.toString(start + 3_600_000L)).out())
        .isEqualTo(noon.out());
    assertThat(
            run("cat", dir.toString(), "--from-time", Long.toString(start + 3_599_999L)).outLines())
        .hasSize(60);
    // between two records: the later one; a record without a timestamp never matches
    assertThat(
            run("cat", dir.toString(), "--from-time", "2026-11-30T11:06:30Z", "--limit", "1")
                .outLines())
        .singleElement(as(STRING))
        .startsWith("{\"id\":" + ids[8] + ",");
    assertThat(run("cat", dir.toString(), "--from-time", "2026-12-01T00:00:00Z").out()).isEmpty();

    Result offset = run("cat", dir.toString(), "--from-offset", "113", "--limit", "2");
    assertThat(offset.exitCode()).isZero();
    assertThat(offset.outLines()).hasSize(2);
    assertThat(offset.outLines().get(0))
        .startsWith("{\"id\":" + ids[7] + ",")
        .contains("\"tag\":114,\"value\"");
    assertThat(run("cat", dir.toString(), "--from-offset", "0").outLines()).hasSize(120);
    assertThat(run("cat", dir.toString(), "--from-offset", "339").out()).isEmpty();
  }

  @Test
  void catLimitStopsAfterNRecords() {
    Path dir = root.resolve("q");
    long[] ids = write(dir, "a", "b", "c", "d", "e");

    Result two = run("cat", dir.toString(), "--limit", "2");
    Result fromThird =
        run("cat", dir.toString(), "--from", DepotIds.toString(ids[2]), "--limit", "1");
    Result none = run("cat", dir.toString(), "--limit", "0");

    assertThat(two.exitCode()).isZero();
    assertThat(two.outLines())
        .containsExactly(
            jsonLine(ids[0], true, 1, "\"value\":\"a\""),
            jsonLine(ids[1], true, 1, "\"value\":\"b\""));
    assertThat(fromThird.outLines()).containsExactly(jsonLine(ids[2], true, 1, "\"value\":\"c\""));
    assertThat(none.exitCode()).isZero();
    assertThat(none.out()).isEmpty();
  }

  @Test
  void catRawWritesItemBytesEachFollowedByANewline() {
    Path dir = root.resolve("q");
    byte[] binary = {0, (byte) 0x80, (byte) 0xff, '\r'};
    write(dir, DepotQueue.DEFAULT_SEGMENT_BYTES, "héllo".getBytes(UTF_8), binary, new byte[0]);

    Result result = run("cat", dir.toString(), "--format", "raw");

    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes("héllo".getBytes(UTF_8));
    expected.write('\n');
    expected.writeBytes(binary);
    expected.write('\n');
    expected.write('\n');
    assertThat(result.exitCode()).isZero();
    assertThat(result.err()).isEmpty();
    assertThat(result.stdout()).isEqualTo(expected.toByteArray());
  }

  @Test
  void catShowsTheTornTailOfATruncatedSegmentAsAPartialRecord() throws IOException {
    Path dir = root.resolve("q");
    long[] ids = write(dir, "one", "two", "three");
    truncate(TestFiles.segment(dir, 0), 2); // "three" loses its last two bytes

    Result json = run("cat", dir.toString());

    assertThat(json.exitCode()).isZero();
    assertThat(json.err()).isEmpty();
    assertThat(json.outLines())
        .containsExactly(
            jsonLine(ids[0], true, 3, "\"value\":\"one\""),
            jsonLine(ids[1], true, 3, "\"value\":\"two\""),
            jsonLine(ids[2], false, 3, "\"value\":\"thr\""));

    Result raw = run("cat", dir.toString(), "--format", "raw");
    assertThat(raw.exitCode()).isZero();
    assertThat(raw.out()).isEqualTo("one\ntwo\n");
    assertThat(raw.errLines())
        .containsExactly(
            "depot: skipped partial record at "
                + DepotIds.toString(ids[2])
                + " (3 bytes): torn tail left by a crash");
  }

  @Test
  void catReportsACorruptRecordOnStderrAndGoesOnThenExitsOne() throws IOException {
    Path dir = root.resolve("q");
    long[] ids = write(dir, "first", "middle", "last");
    long damaged = DepotIds.position(ids[1]);
    flipBit(TestFiles.segment(dir, 0), damaged + 12 + 2); // a payload byte of "middle"

    Result result = run("cat", dir.toString());

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.outLines())
        .containsExactly(
            jsonLine(ids[0], true, 5, "\"value\":\"first\""),
            jsonLine(ids[2], true, 4, "\"value\":\"last\""));
    assertThat(result.errLines()).hasSize(1);
    assertThat(result.errLines().get(0))
        .startsWith(
            "depot: corrupt data in "
                + TestFiles.segment(dir, 0).toAbsolutePath()
                + " at position "
                + damaged
                + ": record checksum mismatch");
  }

  // ---- verify ----

  @Test
  void verifyExitsZeroForACleanQueue() {
    Path dir = root.resolve("q");
    byte[][] items = new byte[10][];
    for (int i = 0; i < items.length; i++) {
      items[i] = new byte[1000];
    }
    write(dir, 4096, items);

    Result result = run("verify", dir.toString());

    assertThat(result.exitCode()).isZero();
    assertThat(result.err()).isEmpty();
    assertThat(result.outLines())
        .containsExactly("verified 10 records in 3 segments: 0 corrupt, 0 partial");
  }

  @Test
  void verifyExitsOneNamingFileAndPositionWhenAPayloadBitFlipped() throws IOException {
    Path dir = root.resolve("q");
    long[] ids = write(dir, "first", "middle", "last");
    long damaged = DepotIds.position(ids[1]);
    flipBit(TestFiles.segment(dir, 0), damaged + 12);

    Result result = run("verify", dir.toString());

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.outLines()).hasSize(2);
    assertThat(result.outLines().get(0))
        .startsWith(
            "corrupt: corrupt data in "
                + TestFiles.segment(dir, 0).toAbsolutePath()
                + " at position "
                + damaged
                + ": record checksum mismatch (expected checksum 0x");
    assertThat(result.outLines().get(1))
        .isEqualTo("verified 2 records in 1 segment: 1 corrupt, 0 partial");
  }

  @Test
  void verifyExitsZeroForATornTailAndReportsThePartialRecord() throws IOException {
    Path dir = root.resolve("q");
    long[] ids = write(dir, "one", "two", "three");
    truncate(TestFiles.segment(dir, 0), 4);

    Result result = run("verify", dir.toString());

    assertThat(result.exitCode()).isZero();
    assertThat(result.outLines())
        .containsExactly(
            "partial record at "
                + DepotIds.toString(ids[2])
                + " (1 bytes): torn tail left by a crash",
            "verified 2 records in 1 segment: 0 corrupt, 1 partial");
  }

  // ---- stats ----

  @Test
  void statsPrintsNameValueLines() throws IOException {
    Path dir = root.resolve("q");
    long[] ids = write(dir, "a", "bb", "ccc");

    Result result = run("stats", dir.toString());

    assertThat(result.exitCode()).isZero();
    assertThat(result.outLines())
        .containsExactly(
            "items: 3",
            "partial_records: 0",
            "corrupt_records: 0",
            "item_bytes: 6",
            "disk_bytes: " + Files.size(TestFiles.segment(dir, 0)),
            "segments: 1",
            "first_id: 0:16",
            "last_id: " + DepotIds.toString(ids[2]));
    assertThat(Files.size(TestFiles.segment(dir, 0))).isEqualTo(16 + 3 * 12 + 6);
  }

  @Test
  void statsCountsPartialAndCorruptRecordsAndPrintsMinusOneForAnEmptyQueue() throws IOException {
    Path dir = root.resolve("q");
    long[] ids = write(dir, "first", "middle", "third", "torn");
    flipBit(TestFiles.segment(dir, 0), DepotIds.position(ids[1]) + 13);
    truncate(TestFiles.segment(dir, 0), 1);

    Result result = run("stats", dir.toString());
    assertThat(result.exitCode()).isZero();
    assertThat(result.outLines())
        .contains(
            "items: 2",
            "partial_records: 1",
            "corrupt_records: 1",
            "item_bytes: 10",
            "first_id: " + DepotIds.toString(ids[0]),
            "last_id: " + DepotIds.toString(ids[2]));

    Path empty = root.resolve("empty");
    write(empty);
    assertThat(run("stats", empty.toString()).outLines())
        .containsExactly(
            "items: 0",
            "partial_records: 0",
            "corrupt_records: 0",
            "item_bytes: 0",
            "disk_bytes: 16",
            "segments: 1",
            "first_id: -1",
            "last_id: -1");
  }

  // ---- append ----

  @Test
  void appendStoresEachLineOfStdinAsOneItem() {
    Path dir = root.resolve("new").resolve("q");
    ByteArrayOutputStream input = new ByteArrayOutputStream();
    input.writeBytes("alpha\r\n\nbéta\n".getBytes(UTF_8));
    input.writeBytes(new byte[] {(byte) 0xff, 'x', '\n'});
    input.writeBytes("no newline at the end".getBytes(UTF_8));

    Result result = runWithInput(input.toByteArray(), "append", dir.toString());

    List<byte[]> items = readAll(dir);
    assertThat(result.exitCode()).isZero();
    assertThat(result.err()).isEmpty();
    assertThat(items)
        .containsExactly(
            "alpha".getBytes(UTF_8),
            new byte[0],
            "béta".getBytes(UTF_8),
            new byte[] {(byte) 0xff, 'x'},
            "no newline at the end".getBytes(UTF_8));
    assertThat(result.outLines())
        .containsExactly("appended 5 items, last id " + DepotIds.toString(lastId(dir)));
  }

  @Test
  void appendWritesManyLinesInBatchesAcrossSegments() {
    Path dir = root.resolve("q");
    StringBuilder input = new StringBuilder();
    int lines = 2 * AppendCommand.BATCH + 500;
    for (int i = 0; i < lines; i++) {
      input.append("line ").append(i).append('\n');
    }

    Result result =
        runWithInput(
            input.toString().getBytes(UTF_8), "append", dir.toString(), "--segment-bytes", "4096");

    assertThat(result.exitCode()).isZero();
    List<byte[]> items = readAll(dir);
    assertThat(items).hasSize(lines);
    for (int i = 0; i < lines; i++) {
      assertThat(new String(items.get(i), UTF_8)).isEqualTo("line " + i);
    }
    long last = lastId(dir);
    assertThat(DepotIds.segment(last)).isGreaterThan(5);
    assertThat(result.outLines())
        .containsExactly("appended " + lines + " items, last id " + DepotIds.toString(last));

    Result again = runWithInput("one more\n".getBytes(UTF_8), "append", dir.toString());
    assertThat(again.exitCode()).isZero();
    assertThat(readAll(dir)).hasSize(lines + 1);
  }

  @Test
  void appendOfALineTooLargeForASegmentKeepsTheLinesBeforeItAndNamesTheLine() {
    Path dir = root.resolve("q");
    String input = "one\ntwo\n" + "x".repeat(5000) + "\nfour\n";

    Result result =
        runWithInput(input.getBytes(UTF_8), "append", dir.toString(), "--segment-bytes", "4096");

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.errLines()).hasSize(1);
    assertThat(result.errLines().get(0))
        .startsWith("depot: line 3: item of 5000 bytes is larger than 4052 bytes")
        .endsWith("the 2 lines before it were appended");
    assertThat(readAll(dir)).containsExactly("one".getBytes(UTF_8), "two".getBytes(UTF_8));
  }

  @Test
  void appendToAQueueLockedByAWriterFailsWithOneClearLine() {
    Path dir = root.resolve("q");
    try (DepotQueue writer = DepotQueue.open(dir)) {
      writer.append("held".getBytes(UTF_8));

      Result result = runWithInput("blocked\n".getBytes(UTF_8), "append", dir.toString());

      assertOneLineError(result, 1, "depot: depot queue " + dir.toAbsolutePath());
      assertThat(result.err()).contains("is already open for writing");
    }
    assertThat(readAll(dir)).containsExactly("held".getBytes(UTF_8));
  }

  // ---- errors ----

  @Test
  void aMissingDirectoryExitsTwoWithOneLineAndNoStackTrace() {
    Path missing = root.resolve("missing");
    for (String command : List.of("ls", "cat", "verify", "stats")) {
      Result result = run(command, missing.toString());
      assertOneLineError(result, 2, "depot: no such directory: " + missing);
      assertThat(result.err()).doesNotContain("at ");
    }
    assertThat(missing).doesNotExist();
  }

  @Test
  void aFileInsteadOfADirectoryExitsTwo() throws IOException {
    Path file = Files.writeString(root.resolve("plain.txt"), "not a queue\n");
    for (String command : List.of("ls", "cat", "verify", "stats", "append")) {
      Result result = run(command, file.toString());
      assertOneLineError(result, 2, "depot: not a directory: " + file);
    }
    assertThat(Files.readString(file)).isEqualTo("not a queue\n");
  }

  @Test
  void badOptionValuesExitTwoWithOneLine() {
    Path dir = root.resolve("q");
    write(dir, "a");

    assertOneLineError(
        run("cat", dir.toString(), "--limit", "-5"),
        2,
        "depot: invalid value for option '--limit': must be >= 0, was -5");
    assertOneLineError(
        run("cat", dir.toString(), "--from", "soon"),
        2,
        "depot: Invalid value for option '--from': 'soon' is not an id: use a decimal id or"
            + " segment:position, like 0:16");
    assertOneLineError(
        run("cat", dir.toString(), "--from", "-1:16"),
        2,
        "depot: Invalid value for option '--from': segment must be >= 0, was -1");
    assertOneLineError(
        run("cat", dir.toString(), "--from-time", "soon"),
        2,
        "depot: Invalid value for option '--from-time': 'soon' is not a time: use an ISO-8601"
            + " time like 2026-11-30T12:00:00Z or 2026-11-30T13:00:00+01:00, or milliseconds"
            + " since the epoch");
    assertOneLineError(
        run("cat", dir.toString(), "--from-offset", "ten"),
        2,
        "depot: Invalid value for option '--from-offset': 'ten' is not a long");
    assertOneLineError(
        run("cat", dir.toString(), "--from", "0", "--from-offset", "10"),
        2,
        "depot: options '--from', '--from-time' and '--from-offset' cannot be combined: choose"
            + " one");
    assertOneLineError(
        run("cat", dir.toString(), "--format", "xml"),
        2,
        "depot: Invalid value for option '--format'");
    assertOneLineError(
        runWithInput("x\n".getBytes(UTF_8), "append", dir.toString(), "--segment-bytes", "12"),
        2,
        "depot: invalid value for option '--segment-bytes': segmentBytes must be between 4096 and"
            + " 4294967295, was 12");
    assertOneLineError(run("cat"), 2, "depot: Missing required parameter: 'DIR'");
    assertOneLineError(run("frobnicate"), 2, "depot: Unmatched argument");
    assertOneLineError(run(), 2, "depot: missing command: one of ls, cat, verify, stats, append");
    assertThat(readAll(dir)).hasSize(1);
  }

  @Test
  void helpAndVersionPrintToStdoutAndExitZero() {
    Result help = run("--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.out()).startsWith("Usage: depot ").contains("cat", "verify", "append");

    Result catHelp = run("cat", "--help");
    assertThat(catHelp.exitCode()).isZero();
    assertThat(catHelp.out()).contains("--from=ID", "--limit=N", "--format", "--encoding");

    Result version = run("--version");
    assertThat(version.exitCode()).isZero();
    assertThat(version.outLines()).containsExactly("depot dev");
  }

  // ---- reading back ----

  private static List<byte[]> readAll(Path dir) {
    List<byte[]> items = new ArrayList<>();
    try (DepotQueue queue = DepotQueue.builder(dir).readOnly(true).build();
        DepotCursor cursor = queue.stream()) {
      DepotRecord record;
      while ((record = cursor.next()) != null) {
        assertThat(record.complete()).isTrue();
        items.add(record.item());
      }
    }
    return items;
  }

  private static long lastId(Path dir) {
    try (DepotQueue queue = DepotQueue.builder(dir).readOnly(true).build()) {
      return queue.lastId();
    }
  }
}
