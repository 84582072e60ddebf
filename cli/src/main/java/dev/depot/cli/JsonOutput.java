package dev.depot.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The JSON the tool writes: Jackson's streaming generator, set up to print what the tool always
 * printed, and checks on the bytes it is given as text.
 *
 * <p>Output is compact UTF-8 (no spaces), one value per line: the caller ends each top-level value
 * with {@link #endLine}. In strings, quote and backslash are escaped, {@code \n}, {@code \r} and
 * {@code \t} take their short escapes, every other character below U+0020 ({@code \b} and {@code
 * \f} too) is a lower-case {@code \}{@code u00XX} escape; everything else, DEL and characters
 * beyond the BMP included, is written as its UTF-8 bytes. A Java string can hold a lone surrogate,
 * which UTF-8 cannot encode: it is written as a {@code \}{@code uXXXX} escape, so that the output
 * stays valid UTF-8 and nothing is lost (RFC 8259 allows such escapes; some readers refuse them,
 * Jackson's parser in field names). Nesting is not limited, unlike Jackson's default of 1000
 * levels: an Avro datum is as deep as its schema makes it.
 *
 * <p>The generator does not close the stream it writes to, nor finish values left open by an error.
 * A generator is not thread-safe; {@link Utf8Check} neither.
 */
final class JsonOutput {
  private static final JsonFactory FACTORY =
      new JsonFactoryBuilder()
          .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
          .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
          .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
          .disable(StreamWriteFeature.AUTO_CLOSE_CONTENT)
          .characterEscapes(new ControlEscapes())
          .rootValueSeparator((String) null)
          .streamWriteConstraints(
              StreamWriteConstraints.builder().maxNestingDepth(Integer.MAX_VALUE).build())
          .build();

  private static final String LINE_END = System.lineSeparator();

  private JsonOutput() {}

  /** A generator writing UTF-8 JSON to {@code out}; closing it flushes but does not close out. */
  static JsonGenerator open(OutputStream out) throws IOException {
    return FACTORY.createGenerator(out, JsonEncoding.UTF8);
  }

  /** Ends the line of a top-level value, as {@code println} did: the platform's line separator. */
  static void endLine(JsonGenerator json) throws IOException {
    json.writeRaw(LINE_END);
  }

  /**
   * Writes bytes known to be well-formed UTF-8 (see {@link Utf8Check}) as a JSON string, escaped as
   * any string, streamed from the array without decoding it.
   */
  static void writeUtf8(JsonGenerator json, byte[] utf8) throws IOException {
    json.writeUTF8String(utf8, 0, utf8.length);
  }

  /**
   * Tells well-formed UTF-8 from other bytes as {@code String} decoding rules it (no overlong
   * forms, no encoded surrogates, nothing above U+10FFFF), decoding in pieces into one small buffer
   * rather than into a string as long as the bytes.
   */
  static final class Utf8Check {
    private final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final CharBuffer scratch = CharBuffer.allocate(8192);

    boolean isUtf8(byte[] bytes) {
      decoder.reset();
      ByteBuffer in = ByteBuffer.wrap(bytes);
      CoderResult result;
      do {
        scratch.clear();
        result = decoder.decode(in, scratch, true);
      } while (result.isOverflow());
      if (result.isError()) {
        return false;
      }
      scratch.clear();
      return !decoder.flush(scratch).isError();
    }
  }

  /**
   * JSON's standard escapes, but {@code \b} and {@code \f} as {@code \}{@code u0008} and {@code
   * \}{@code u000c}, as the tool printed them before it wrote through Jackson.
   */
  private static final class ControlEscapes extends CharacterEscapes {
    private static final long serialVersionUID = 1L;

    private final int[] ascii = standardAsciiEscapesForJSON();

    ControlEscapes() {
      ascii['\b'] = ESCAPE_STANDARD;
      ascii['\f'] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
      return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
      return null; // only the ASCII table above: no character beyond it is escaped
    }
  }
}
