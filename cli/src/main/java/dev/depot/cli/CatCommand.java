package dev.depot.cli;

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
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code depot cat DIR}: prints records, as JSON lines or as raw item bytes. A corrupt record is
 * reported on standard error and skipped; the exit code is then 1.
 */
@Command(
    name = "cat",
    mixinStandardHelpOptions = true,
    description = {
      "Print the records of a queue, oldest first.",
      "json: one object per line, {\"id\":..,\"segment\":..,\"position\":..,\"complete\":..,"
          + "\"length\":..,\"value\":\"..\"} (\"value_base64\" for binary items).",
      "raw: each item's bytes followed by a newline; partial records are skipped."
    })
final class CatCommand implements Callable<Integer> {
  enum Format {
    JSON,
    RAW
  }

  enum Encoding {
    AUTO,
    UTF8,
    BASE64
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
          "For json: auto (default; UTF-8 text, else base64 in \"value_base64\"),"
              + " utf8 (invalid bytes become U+FFFD) or base64.")
  Encoding encoding = Encoding.AUTO;

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
    io.stdout.flush();
    long printed = 0;
    long corrupt = 0;
    StringBuilder line = new StringBuilder();
    try (DepotQueue queue = Queues.openReadOnly(dir);
        DepotCursor cursor = queue.stream(from)) {
      while (limit == null || printed < limit) {
        DepotRecord record;
        try {
          record = cursor.next();
        } catch (DepotCorruptionException e) {
          // The cursor has moved past the damage: report it and go on with the next record.
          corrupt++;
          io.error(e.getMessage());
          continue;
        }
        if (record == null) {
          break;
        }
        if (format == Format.RAW) {
          if (!record.complete()) {
            io.error(
                "skipped partial record at "
                    + DepotIds.toString(record.id())
                    + " ("
                    + record.length()
                    + " bytes): torn tail left by a crash");
            continue;
          }
          writeRaw(record.item());
        } else {
          line.setLength(0);
          io.stdout.println(json(line, record));
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
    return corrupt > 0 ? DepotCli.EXIT_FAILURE : DepotCli.EXIT_OK;
  }

  private StringBuilder json(StringBuilder sb, DepotRecord record) {
    long id = record.id();
    byte[] item = record.item();
    sb.append("{\"id\":").append(id);
    sb.append(",\"segment\":").append(DepotIds.segment(id));
    sb.append(",\"position\":").append(DepotIds.position(id));
    sb.append(",\"complete\":").append(record.complete());
    sb.append(",\"length\":").append(record.length());
    String text = null;
    if (encoding == Encoding.UTF8) {
      text = new String(item, StandardCharsets.UTF_8);
    } else if (encoding == Encoding.AUTO) {
      text = decodeStrict(item);
    }
    if (text != null) {
      Json.appendString(sb.append(",\"value\":"), text);
    } else {
      sb.append(",\"value_base64\":\"").append(Base64.getEncoder().encodeToString(item));
      sb.append('"');
    }
    return sb.append('}');
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

  private void writeRaw(byte[] item) {
    try {
      io.out.write(item);
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
