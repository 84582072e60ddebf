package dev.depot.cli;

import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.DepotCorruptionException;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code depot cat DIR}: prints records, as JSON lines or as raw item bytes. A corrupt record is
 * reported on standard error and skipped; the exit code is then 1.
 *
 * <p>Items the sink connector stored as envelopes ({@link EnvelopeCodec}) are decoded when the
 * queue's {@value #FORMAT_FILE} file says {@code envelope}, or with {@code --decode envelope}: one
 * JSON line per Kafka record, with its topic, partition, offset, timestamp, key, value and headers.
 * A complete record that is not an envelope is then reported on standard error and skipped, and the
 * exit code is 1. Partial records (torn tails) are never decoded.
 *
 * <p>With {@code --registry-url}, keys and values in the Confluent wire format (magic byte 0,
 * 4-byte schema id, Avro binary) are decoded with their writer schema from that registry's
 * Confluent API ({@link WireDecoder}) and printed as JSON ({@link AvroJson}) in {@code key_avro}
 * and {@code value_avro}, after {@code key_schema_id} and {@code value_schema_id}. A registry that
 * cannot be reached or does not know an id ends the command with one error line; bytes with the
 * header that do not decode are reported, printed as without the option, and make the exit code 1.
 */
@Command(
    name = "cat",
    mixinStandardHelpOptions = true,
    description = {
      "Print the records of a queue, oldest first.",
      "json: one object per line, {\"id\":..,\"segment\":..,\"position\":..,\"complete\":..,"
          + "\"length\":..,\"tag\":..,\"value\":\"..\"} (\"tag\" only for tagged records,"
          + " \"value_base64\" for binary items).",
      "Decoded envelopes: {\"id\":..,\"segment\":..,\"position\":..,\"complete\":true,"
          + "\"topic\":..,\"partition\":..,\"offset\":..,\"timestamp\":..,"
          + "\"timestamp_type\":..,\"key\":..,\"value\":..,\"headers\":[{\"key\":..,"
          + "\"value\":..},..]}; \"key_base64\" and \"value_base64\" for binary bytes, null for"
          + " no timestamp, no key, a tombstone's value or a header without a value.",
      "With --registry-url, keys and values in the Confluent wire format print as"
          + " \"key_schema_id\":..,\"key_avro\":{..} and \"value_schema_id\":..,\"value_avro\":{..}:"
          + " the Avro datum as plain JSON (unions unwrapped, bytes and fixed as base64).",
      "raw: each item's bytes (a decoded envelope's value) followed by a newline; partial records"
          + " are skipped.",
      "Exits 1 when a record is corrupt or, when decoding, not an envelope, or a key or value"
          + " with the Confluent wire header does not decode; the other records are still"
          + " printed. A registry that cannot be reached or does not know a schema id stops"
          + " cat (exit 1)."
    })
final class CatCommand implements Callable<Integer> {
  /** The file in a queue directory that names the sink connector's item format. */
  static final String FORMAT_FILE = "depot.format";

  enum Format {
    JSON,
    RAW
  }

  enum Encoding {
    AUTO,
    UTF8,
    BASE64
  }

  enum Decode {
    AUTO,
    ENVELOPE,
    NONE
  }

  /** How often json output checks that standard output still takes bytes. */
  private static final int CHECK_EVERY = 1024;

  private final Io io;

  @Parameters(index = "0", paramLabel = "DIR", description = "The queue directory.")
  Path dir;

  @Option(
      names = "--from",
      paramLabel = "ID",
      converter = Ids.Converter.class,
      description =
          "Start at the first record whose id is at least ID: a decimal id or"
              + " segment:position (default: the oldest record).")
  long from;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "Print at most N records (default: all).")
  Long limit;

  @Option(names = "--format", paramLabel = "FORMAT", description = "json (default) or raw.")
  Format format = Format.JSON;

  @Option(
      names = "--encoding",
      paramLabel = "ENCODING",
      description =
          "For json, of values, keys and header values: auto (default; UTF-8 text, else base64"
              + " in \"value_base64\" or \"key_base64\"), utf8 (invalid bytes become U+FFFD)"
              + " or base64.")
  Encoding encoding = Encoding.AUTO;

  @Option(
      names = "--decode",
      paramLabel = "MODE",
      description =
          "auto (default): envelope when DIR holds a "
              + FORMAT_FILE
              + " file that says envelope (the sink connector writes one), else none."
              + " envelope: decode every complete record; those that are not envelopes are"
              + " reported and make the exit code 1. none: print the items as stored.")
  Decode decode = Decode.AUTO;

  @Option(
      names = "--registry-url",
      paramLabel = "URL",
      description =
          "Decode keys and values in the Confluent wire format (magic byte 0, 4-byte schema id,"
              + " Avro binary) with writer schemas from this Confluent-compatible schema registry"
              + " API, e.g. http://localhost:8081 (Confluent, Karapace) or"
              + " http://localhost:8080/apis/ccompat/v7 (Apicurio). Only reads from the registry."
              + " json format only.")
  String registryUrl;

  /** Decodes the wire format when --registry-url is given, else null. */
  private WireDecoder wire;

  /** Records reported on standard error: corrupt, not an envelope, or not decodable. */
  private long failed;

  private final CharsetDecoder strictUtf8 =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  CatCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() {
    if (limit != null && limit < 0) {
      throw CliException.usage("invalid value for option '--limit': must be >= 0, was " + limit);
    }
    if (registryUrl != null && format == Format.RAW) {
      throw CliException.usage("option '--registry-url' works with --format json only");
    }
    io.stdout.flush();
    if (registryUrl != null) {
      wire = WireDecoder.open(registryUrl);
    }
    try {
      return print();
    } finally {
      if (wire != null) {
        wire.close();
      }
    }
  }

  private int print() {
    long printed = 0;
    StringBuilder line = new StringBuilder();
    try (DepotQueue queue = Queues.openReadOnly(dir);
        DepotCursor cursor = queue.stream(from)) {
      boolean envelopes = decodesEnvelopes();
      while (limit == null || printed < limit) {
        DepotRecord record;
        try {
          record = cursor.next();
        } catch (DepotCorruptionException e) {
          // The cursor has moved past the damage: report it and go on with the next record.
          failed++;
          io.error(e.getMessage());
          continue;
        }
        if (record == null) {
          break;
        }
        if (format == Format.RAW && !record.complete()) {
          io.error(
              "skipped partial record at "
                  + DepotIds.toString(record.id())
                  + " ("
                  + record.length()
                  + " bytes): torn tail left by a crash");
          continue;
        }
        DepotEnvelope envelope = null;
        if (envelopes && record.complete()) {
          try {
            envelope = EnvelopeCodec.decode(record.item());
          } catch (IllegalArgumentException e) {
            failed++;
            io.error(
                "record "
                    + DepotIds.toString(record.id())
                    + " is not an envelope: "
                    + e.getMessage());
            continue;
          }
        }
        if (format == Format.RAW) {
          writeRaw(envelope == null ? record.item() : envelope.value());
        } else {
          line.setLength(0);
          io.stdout.println(
              envelope == null
                  ? itemJson(line, record)
                  : envelopeJson(line, record.id(), envelope));
          if ((printed + 1) % CHECK_EVERY == 0 && io.stdout.checkError()) {
            break;
          }
        }
        printed++;
      }
    }
    if (format == Format.RAW) {
      flushRaw();
    } else if (io.stdout.checkError()) {
      throw new CliException(DepotCli.EXIT_FAILURE, "cannot write to standard output");
    }
    return failed > 0 ? DepotCli.EXIT_FAILURE : DepotCli.EXIT_OK;
  }

  /**
   * Whether to decode complete records as envelopes: {@code --decode}, where auto follows the
   * queue's {@value #FORMAT_FILE} file (absent: not envelopes).
   */
  private boolean decodesEnvelopes() {
    if (decode != Decode.AUTO) {
      return decode == Decode.ENVELOPE;
    }
    Path file = dir.resolve(FORMAT_FILE);
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      String reason =
          e instanceof FileSystemException fs
              ? Objects.requireNonNullElse(fs.getReason(), e.getClass().getSimpleName())
              : e.getMessage();
      throw new CliException(
          DepotCli.EXIT_FAILURE,
          "cannot read " + file + ": " + reason + "; choose with option --decode envelope or none");
    }
    return new String(content, StandardCharsets.UTF_8).trim().equals("envelope");
  }

  /** A stored item: where it is, its length, its tag when it has one, and its bytes. */
  private StringBuilder itemJson(StringBuilder sb, DepotRecord record) {
    appendId(sb, record.id(), record.complete());
    sb.append(",\"length\":").append(record.length());
    if (record.tag() != DepotRecord.NO_TAG) {
      sb.append(",\"tag\":").append(record.tag());
    }
    if (record.complete()) {
      appendKeyOrValue(sb.append(','), "value", record.item(), record.id());
    } else {
      appendBytes(sb.append(','), "value", record.item());
    }
    return sb.append('}');
  }

  /** A decoded envelope: where its record is, then the Kafka record's fields. */
  private StringBuilder envelopeJson(StringBuilder sb, long id, DepotEnvelope envelope) {
    appendId(sb, id, true);
    Json.appendString(sb.append(",\"topic\":"), envelope.topic());
    sb.append(",\"partition\":").append(envelope.partition());
    sb.append(",\"offset\":").append(envelope.offset());
    sb.append(",\"timestamp\":");
    if (envelope.timestamp() == null) {
      sb.append("null");
    } else {
      sb.append(envelope.timestamp().longValue());
    }
    sb.append(",\"timestamp_type\":\"").append(envelope.timestampType().name()).append('"');
    appendKeyOrValue(sb.append(','), "key", envelope.key(), id);
    appendKeyOrValue(sb.append(','), "value", envelope.value(), id);
    sb.append(",\"headers\":[");
    List<DepotEnvelope.Header> headers = envelope.headers();
    for (int i = 0; i < headers.size(); i++) {
      DepotEnvelope.Header header = headers.get(i);
      sb.append(i == 0 ? "{\"key\":" : ",{\"key\":");
      Json.appendString(sb, header.key());
      appendBytes(sb.append(','), "value", header.value());
      sb.append('}');
    }
    return sb.append("]}");
  }

  /**
   * Opens the object with {@code "id"}, {@code "segment"}, {@code "position"}, {@code "complete"}.
   */
  private static void appendId(StringBuilder sb, long id, boolean complete) {
    sb.append("{\"id\":").append(id);
    sb.append(",\"segment\":").append(DepotIds.segment(id));
    sb.append(",\"position\":").append(DepotIds.position(id));
    sb.append(",\"complete\":").append(complete);
  }

  /**
   * Appends a key or value: decoded as {@code name_schema_id} and {@code name_avro} when it is in
   * the Confluent wire format and --registry-url is given, else as {@link #appendBytes}.
   */
  private void appendKeyOrValue(StringBuilder sb, String name, byte[] bytes, long id) {
    if (wire != null && bytes != null) {
      try {
        WireDecoder.Decoded decoded =
            wire.decode(bytes, "record " + DepotIds.toString(id) + " " + name);
        if (decoded != null) {
          sb.append('"').append(name).append("_schema_id\":").append(decoded.schemaId());
          sb.append(",\"").append(name).append("_avro\":");
          AvroJson.append(sb, decoded.schema(), decoded.datum());
          return;
        }
      } catch (WireDecoder.NotAvroException e) {
        failed++;
        io.error(e.getMessage());
      }
    }
    appendBytes(sb, name, bytes);
  }

  /**
   * Appends bytes as the field {@code name} (text), {@code name_base64} (per {@code --encoding}),
   * or {@code name: null} when there are none.
   */
  private void appendBytes(StringBuilder sb, String name, byte[] bytes) {
    sb.append('"').append(name);
    if (bytes == null) {
      sb.append("\":null");
      return;
    }
    String text = null;
    if (encoding == Encoding.UTF8) {
      text = new String(bytes, StandardCharsets.UTF_8);
    } else if (encoding == Encoding.AUTO) {
      text = decodeStrict(bytes);
    }
    if (text != null) {
      Json.appendString(sb.append("\":"), text);
    } else {
      sb.append("_base64\":\"").append(Base64.getEncoder().encodeToString(bytes)).append('"');
    }
  }

  /** The item as text when it is valid UTF-8, else null. */
  private String decodeStrict(byte[] item) {
    try {
      CharBuffer chars = strictUtf8.decode(ByteBuffer.wrap(item));
      return chars.toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** Writes the bytes, none for null (a tombstone), then a newline. */
  private void writeRaw(byte[] item) {
    try {
      if (item != null) {
        io.out.write(item);
      }
      io.out.write('\n');
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to standard output: " + e.getMessage(), e);
    }
  }

  private void flushRaw() {
    try {
      io.out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to standard output: " + e.getMessage(), e);
    }
  }
}
