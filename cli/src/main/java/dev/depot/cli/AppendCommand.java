package dev.depot.cli;

import dev.depot.store.queue.DepotQueue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code depot append DIR}: appends each line of standard input as one item, then syncs. Lines end
 * at {@code \n} (a {@code \r} before it is dropped too); their bytes are stored as they are.
 */
@Command(
    name = "append",
    mixinStandardHelpOptions = true,
    description = {
      "Append each line of standard input (UTF-8, without its line end) as one item, then sync.",
      "Creates the directory when it does not exist. Takes the writer lock."
    })
final class AppendCommand implements Callable<Integer> {
  static final int BATCH = 1000;

  private final Io io;

  @Parameters(index = "0", paramLabel = "DIR", description = "The queue directory.")
  Path dir;

  @Option(
      names = "--segment-bytes",
      paramLabel = "N",
      description = "Segment size for new segments, 4096 to 4294967295 (default 256 MiB).")
  Long segmentBytes;

  AppendCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() {
    Queues.checkWritableDirectory(dir);
    DepotQueue.Builder builder = DepotQueue.builder(dir);
    if (segmentBytes != null) {
      try {
        builder.segmentBytes(segmentBytes);
      } catch (IllegalArgumentException e) {
        throw CliException.usage("invalid value for option '--segment-bytes': " + e.getMessage());
      }
    }
    long appended = 0;
    long lastId = -1;
    try (DepotQueue queue = builder.build()) {
      Lines lines = new Lines(io.in);
      List<byte[]> batch = new ArrayList<>(BATCH);
      byte[] line;
      do {
        line = lines.next();
        if (line != null) {
          batch.add(line);
        }
        if (batch.size() == BATCH || (line == null && !batch.isEmpty())) {
          long[] ids = appendBatch(queue, batch, appended);
          appended += ids.length;
          lastId = ids[ids.length - 1];
          batch.clear();
        }
      } while (line != null);
      queue.sync();
    }
    io.stdout.println("appended " + appended + " items, last id " + Ids.format(lastId));
    return DepotCli.EXIT_OK;
  }

  /**
   * Appends a batch. {@code appendAll} appends nothing when one item is too large: then append one
   * by one up to that item, so that the error can name its line and everything before it is kept.
   */
  private static long[] appendBatch(DepotQueue queue, List<byte[]> batch, long before) {
    try {
      return queue.appendAll(batch);
    } catch (IllegalArgumentException tooLarge) {
      for (int i = 0; i < batch.size(); i++) {
        try {
          queue.append(batch.get(i));
        } catch (IllegalArgumentException e) {
          queue.sync();
          throw new CliException(
              DepotCli.EXIT_FAILURE,
              "line "
                  + (before + i + 1)
                  + ": "
                  + e.getMessage()
                  + " (option --segment-bytes); the "
                  + (before + i)
                  + " lines before it were appended");
        }
      }
      throw tooLarge;
    }
  }

  /** Splits a byte stream into lines without decoding it, so that any byte survives. */
  static final class Lines {
    private final InputStream in;
    private final byte[] buf = new byte[1 << 16];
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private int pos;
    private int len;
    private boolean eof;

    Lines(InputStream in) {
      this.in = in;
    }

    /** The next line without its {@code \n} or {@code \r\n}, or null at the end of input. */
    byte[] next() {
      line.reset();
      while (true) {
        if (pos == len) {
          if (eof || !fill()) {
            return line.size() > 0 ? line.toByteArray() : null;
          }
        }
        int start = pos;
        while (pos < len && buf[pos] != '\n') {
          pos++;
        }
        line.write(buf, start, pos - start);
        if (pos < len) {
          pos++; // the '\n'
          byte[] bytes = line.toByteArray();
          int n = bytes.length;
          if (n > 0 && bytes[n - 1] == '\r') {
            byte[] trimmed = new byte[n - 1];
            System.arraycopy(bytes, 0, trimmed, 0, n - 1);
            return trimmed;
          }
          return bytes;
        }
      }
    }

    private boolean fill() {
      try {
        int n = in.read(buf);
        if (n < 0) {
          eof = true;
          return false;
        }
        pos = 0;
        len = n;
        return true;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read standard input: " + e.getMessage(), e);
      }
    }
  }
}
