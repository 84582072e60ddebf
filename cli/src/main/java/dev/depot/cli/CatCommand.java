package dev.depot.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.DepotCorruptionException;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
 *
 * <p>JSON is written by {@link JsonOutput} straight to standard output as the records are read:
 * bytes printed as text are checked to be UTF-8 and then copied, escaped, from the item, and base64
 * is encoded piece by piece, so a value of many megabytes is not first built as a string. A
 * record's key and value are decoded (and a registry consulted) before its line starts, so that an
 * error that ends the command never leaves half a line behind.
 */
@Command(
    name = "cat",
    mixinStandardHelpOptions = true,
    description = {
      "Print the records of a queue, oldest first.",
      "json: one object per line, {\"id\":..,\"segment\":..,\"position\":..,\"complete\":..,"
          + "\"length\":..,\"tag\":..,\"timestamp\":..,\"value\":\"..\"} (\"tag\" and"
          + " \"timestamp\" only for records that have them, \"value_base64\" for binary items).",
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
  Long from;

  @Option(
      names = "--from-time",
      paramLabel = "TIME",
      converter = Times.Converter.class,
      description =
          "Start at the first record whose timestamp is at or after TIME, then print every later"
              + " record: an ISO-8601 time like 2026-11-30T12:00:00Z (or with an offset, like"
              + " 2026-11-30T13:00:00+01:00), or milliseconds since the epoch. The sink connector"
              + " stores each Kafka record's timestamp; records without one never match.")
  Long fromTime;

  @Option(
      names = "--from-offset",
      paramLabel = "N",
      description =
          "Start at the first record whose tag is at least N, then print every later record: in a"
              + " queue the sink connector wrote, the first record at or after Kafka offset N.")
  Long fromOffset;

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

  private final JsonOutput.Utf8Check utf8 = new JsonOutput.Utf8Check();

  /** The JSON output while json format prints, else null. */
  private JsonGenerator json;

  CatCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() {
    if (limit != null && limit < 0) {
      throw CliException.usage("invalid value for option '--limit': must be >= 0, was " + limit);
    }
    int starts = (from != null ? 1 : 0) + (fromTime != null ? 1 : 0) + (fromOffset != null ? 1 : 0);
    if (starts > 1) {
      throw CliException.usage(
          "options '--from', '--from-time' and '--from-offset' cannot be combined: choose one");
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
    try (DepotQueue queue = Queues.openReadOnly(dir);
        DepotCursor cursor = open(queue);
        JsonGenerator out = format == Format.JSON ? JsonOutput.open(io.out) : null) {
      json = out;
      boolean envelopes = decodesEnvelopes();
      while (limit == null || printed < limit) {
        DepotRecord record;
        try {
          record = cursor.next();
        } catch (DepotCorruptionException e) {
          // The cursor has moved past the damage: report it and go on with the next record.
          failed++;
          error(e.getMessage());
          continue;
        }
        if (record == null) {
          break;
        }
        if (format == Format.RAW && !record.complete()) {
          error(
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
            error(
                "record "
                    + DepotIds.toString(record.id())
                    + " is not an envelope: "
                    + e.getMessage());
            continue;
          }
        }
        if (format == Format.RAW) {
          writeRaw(envelope == null ? record.item() : envelope.value());
        } else if (envelope == null) {
          writeItem(record);
        } else {
          writeEnvelope(record.id(), envelope);
        }
        printed++;
      }
    } catch (JsonProcessingException e) {
      // Not a failed write: the JSON was not well-formed, or broke one of Jackson's limits.
      throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to standard output: " + e.getMessage(), e);
    } finally {
      json = null;
    }
    if (format == Format.RAW) {
      flushRaw();
    }
    return failed > 0 ? DepotCli.EXIT_FAILURE : DepotCli.EXIT_OK;
  }

  /** A cursor at the start the options ask for. */
  private DepotCursor open(DepotQueue queue) {
    if (fromTime != null) {
      return queue.streamFromTimestamp(fromTime);
    }
    if (fromOffset != null) {
      return queue.streamFromTag(fromOffset);
    }
    return queue.stream(from == null ? 0 : from);
  }

  /** Reports on standard error, after the lines printed so far. */
  private void error(String message) {
    if (json != null) {
      try {
        json.flush();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write to standard output: " + e.getMessage(), e);
      }
    }
    io.error(message);
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

  /** A stored item's line: where it is, its length, its tag when it has one, and its bytes. */
  private void writeItem(DepotRecord record) throws IOException {
    byte[] item = record.item(); // a copy: take one
    WireDecoder.Decoded value = record.complete() ? decodeWire("value", item, record.id()) : null;
    writeId(record.id(), record.complete());
    json.writeNumberField("length", record.length());
    if (record.tag() != DepotRecord.NO_TAG) {
      json.writeNumberField("tag", record.tag());
    }
    if (record.timestamp() != DepotRecord.NO_TIMESTAMP) {
      json.writeNumberField("timestamp", record.timestamp());
    }
    writeKeyOrValue("value", item, value);
    json.writeEndObject();
    JsonOutput.endLine(json);
  }

  /** A decoded envelope's line: where its record is, then the Kafka record's fields. */
  private void writeEnvelope(long id, DepotEnvelope envelope) throws IOException {
    WireDecoder.Decoded key = decodeWire("key", envelope.key(), id);
    WireDecoder.Decoded value = decodeWire("value", envelope.value(), id);
    writeId(id, true);
    json.writeStringField("topic", envelope.topic());
    json.writeNumberField("partition", envelope.partition());
    json.writeNumberField("offset", envelope.offset());
    if (envelope.timestamp() == null) {
      json.writeNullField("timestamp");
    } else {
      json.writeNumberField("timestamp", envelope.timestamp().longValue());
    }
    json.writeStringField("timestamp_type", envelope.timestampType().name());
    writeKeyOrValue("key", envelope.key(), key);
    writeKeyOrValue("value", envelope.value(), value);
    json.writeArrayFieldStart("headers");
    for (DepotEnvelope.Header header : envelope.headers()) {
      json.writeStartObject();
      json.writeStringField("key", header.key());
      writeBytes("value", header.value());
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeEndObject();
    JsonOutput.endLine(json);
  }

  /**
   * Starts a line's object with {@code "id"}, {@code "segment"}, {@code "position"}, {@code
   * "complete"}.
   */
  private void writeId(long id, boolean complete) throws IOException {
    json.writeStartObject();
    json.writeNumberField("id", id);
    json.writeNumberField("segment", DepotIds.segment(id));
    json.writeNumberField("position", DepotIds.position(id));
    json.writeBooleanField("complete", complete);
  }

  /**
   * The datum in a key or value in the Confluent wire format when --registry-url is given, else
   * null; bytes with the wire header that do not decode are reported, and null.
   *
   * @throws CliException when the registry cannot give the schema
   */
  private WireDecoder.Decoded decodeWire(String name, byte[] bytes, long id) {
    if (wire == null || bytes == null) {
      return null;
    }
    try {
      return wire.decode(bytes, "record " + DepotIds.toString(id) + " " + name);
    } catch (WireDecoder.NotAvroException e) {
      failed++;
      error(e.getMessage());
      return null;
    }
  }

  /**
   * Writes a key or value: as {@code name_schema_id} and {@code name_avro} when it was decoded from
   * the wire format, else as {@link #writeBytes}.
   */
  private void writeKeyOrValue(String name, byte[] bytes, WireDecoder.Decoded decoded)
      throws IOException {
    if (decoded == null) {
      writeBytes(name, bytes);
      return;
    }
    json.writeNumberField(name + "_schema_id", decoded.schemaId());
    json.writeFieldName(name + "_avro");
    AvroJson.write(json, decoded.schema(), decoded.datum());
  }

  /**
   * Writes bytes as the field {@code name} (text), {@code name_base64} (per {@code --encoding}), or
   * {@code name: null} when there are none. Text is the bytes themselves when they are UTF-8; with
   * {@code --encoding utf8}, other bytes are decoded with U+FFFD for what is not UTF-8.
   */
  private void writeBytes(String name, byte[] bytes) throws IOException {
    if (bytes == null) {
      json.writeNullField(name);
    } else if (encoding != Encoding.BASE64 && utf8.isUtf8(bytes)) {
      json.writeFieldName(name);
      JsonOutput.writeUtf8(json, bytes);
    } else if (encoding == Encoding.UTF8) {
      json.writeStringField(name, new String(bytes, StandardCharsets.UTF_8));
    } else {
      json.writeFieldName(name + "_base64");
      json.writeBinary(bytes);
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
