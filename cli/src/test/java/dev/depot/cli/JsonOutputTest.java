package dev.depot.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonOutputTest {
  /** What writing {@code value} as a string, and as a field name, with {@link JsonOutput} gives. */
  private static String[] written(String value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator json = JsonOutput.open(out)) {
      json.writeString(value);
      JsonOutput.endLine(json);
      json.writeStartObject();
      json.writeNumberField(value, 1);
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    byte[] bytes = out.toByteArray();
    assertThat(DepotCliTest.isUtf8(bytes)).as("valid UTF-8").isTrue();
    String text = new String(bytes, UTF_8);
    int end = text.indexOf(System.lineSeparator());
    return new String[] {
      text.substring(0, end), text.substring(end + System.lineSeparator().length())
    };
  }

  /** The string a JSON reader gets back from {@link #written}. */
  private static String readBack(String[] written) throws IOException {
    try (JsonParser parser = new JsonFactory().createParser(written[0].getBytes(UTF_8))) {
      assertThat(parser.nextToken()).isEqualTo(JsonToken.VALUE_STRING);
      return parser.getText();
    }
  }

  @Test
  void escapesControlCharactersAsTheToolAlwaysDidAndNothingElse() {
    StringBuilder ascii = new StringBuilder();
    for (char c = 0; c < 0x80; c++) {
      ascii.append(c);
    }

    String[] written = written(ascii.toString());

    String expected =
        "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\u0008\\t\\n\\u000b"
            + "\\u000c\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016"
            + "\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"
            + " !\\\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`"
            + "abcdefghijklmnopqrstuvwxyz{|}~\u007f\"";
    assertThat(written[0]).isEqualTo(expected);
    assertThat(written[1]).isEqualTo("{" + expected + ":1}");
  }

  @Test
  void writesLoneSurrogatesAsEscapesAndPairsAsUtf8() throws IOException {
    String smiley = "\ud83d\ude00";
    String[][] cases = {
      {"\ud800", "\"\\ud800\""},
      {"a\udc00b", "\"a\\udc00b\""},
      {"x\ud83d", "\"x\\ud83d\""},
      {smiley, "\"" + smiley + "\""},
      {"\ud800" + smiley, "\"\\ud800" + smiley + "\""},
      {"\ude00\ud83d", "\"\\ude00\\ud83d\""},
      {"\ud83dx\ude00", "\"\\ud83dx\\ude00\""},
    };
    for (String[] c : cases) {
      String[] written = written(c[0]);

      assertThat(written[0]).as("string of %s", c[1]).isEqualTo(c[1]);
      assertThat(written[1]).as("field name %s", c[1]).isEqualTo("{" + c[1] + ":1}");
      // Jackson's parser takes unpaired escapes in strings (it refuses them in field names).
      assertThat(readBack(written)).isEqualTo(c[0]);
    }
  }

  @Test
  void writesAPairAsOneUtf8CharacterWhereverTheWritersBuffersSplitTheString() {
    String tail = "y".repeat(20);
    // Jackson writes strings in segments of 1000 chars from buffers of 8000 bytes: put the pair
    // across every segment boundary up to past the second buffer.
    for (int n = 0; n < 17_000; n++) {
      if (n % 1000 > 2 && n % 1000 < 998 && n % 8000 > 2 && n % 8000 < 7998 && n > 10) {
        continue;
      }
      String value = "x".repeat(n) + "\ud83d\ude00" + tail;

      String[] written = written(value);

      assertThat(written[0]).as("string, pair at %d", n).isEqualTo("\"" + value + "\"");
      assertThat(written[1]).as("field name, pair at %d", n).isEqualTo("{\"" + value + "\":1}");
    }
  }

  @Test
  void writeUtf8CopiesTheBytesEscapingOnlyWhatJsonNeeds() throws IOException {
    byte[] utf8 = "q\"\\/\b\f\u0000\u001f\u007f é \ud83d\ude00 \u2028".getBytes(UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    try (JsonGenerator json = JsonOutput.open(out)) {
      JsonOutput.writeUtf8(json, utf8);
    }

    assertThat(out.toString(UTF_8))
        .isEqualTo("\"q\\\"\\\\/\\u0008\\u000c\\u0000\\u001f\u007f é \ud83d\ude00 \u2028\"");
  }

  @Test
  void closingFlushesButLeavesTheStreamOpenAndUnfinishedValuesUnfinished() throws IOException {
    List<String> calls = new ArrayList<>();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    java.io.OutputStream out =
        new java.io.FilterOutputStream(bytes) {
          @Override
          public void close() {
            calls.add("close");
          }
        };

    try (JsonGenerator json = JsonOutput.open(out)) {
      json.writeStartObject();
      json.writeNumberField("a", 1);
    }

    assertThat(bytes.toString(UTF_8)).isEqualTo("{\"a\":1");
    assertThat(calls).isEmpty();
  }

  @Test
  void utf8CheckAgreesWithTheStrictDecoderAcrossItsBuffer() {
    JsonOutput.Utf8Check check = new JsonOutput.Utf8Check();
    String longText = "a".repeat(8191) + "\ud83d\ude00" + "é".repeat(9000) + "€";
    byte[] valid = longText.getBytes(UTF_8);
    byte[] badAtTheEnd = java.util.Arrays.copyOf(valid, valid.length + 1);
    badAtTheEnd[valid.length] = (byte) 0x80;
    byte[] cutShort = java.util.Arrays.copyOf(valid, valid.length - 1); // inside the €
    byte[] surrogate = "a".repeat(20_000).getBytes(UTF_8);
    surrogate[15_000] = (byte) 0xed;
    surrogate[15_001] = (byte) 0xa0;
    surrogate[15_002] = (byte) 0x80;

    assertThat(check.isUtf8(valid)).isTrue();
    assertThat(check.isUtf8(new byte[0])).isTrue();
    assertThat(check.isUtf8(badAtTheEnd)).isFalse();
    assertThat(check.isUtf8(cutShort)).isFalse();
    assertThat(check.isUtf8(surrogate)).isFalse();
    assertThat(check.isUtf8(valid)).as("after a failure, reset").isTrue();
  }
}
