package dev.depot.cli;

import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotQueue.SegmentInfo;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code depot ls DIR}: the segment files, one aligned line each under a header. */
@Command(
    name = "ls",
    mixinStandardHelpOptions = true,
    description = "List the segment files: number, file name, bytes, last modified (UTC).")
final class LsCommand implements Callable<Integer> {
  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private static final String[] HEADER = {"segment", "file", "bytes", "last_modified"};
  private static final boolean[] RIGHT_ALIGNED = {true, false, true, false};

  private final Io io;

  @Parameters(index = "0", paramLabel = "DIR", description = "The queue directory.")
  Path dir;

  LsCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() {
    List<String[]> rows = new ArrayList<>();
    rows.add(HEADER);
    try (DepotQueue queue = Queues.openReadOnly(dir)) {
      for (SegmentInfo segment : queue.segments()) {
        rows.add(
            new String[] {
              Integer.toString(segment.number()),
              segment.file().getFileName().toString(),
              Long.toString(segment.bytes()),
              TIME.format(Instant.ofEpochMilli(segment.lastModifiedMillis()))
            });
      }
    }
    int[] widths = new int[HEADER.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder line = new StringBuilder();
    for (String[] row : rows) {
      line.setLength(0);
      for (int i = 0; i < row.length; i++) {
        if (i > 0) {
          line.append("  ");
        }
        String pad = " ".repeat(widths[i] - row[i].length());
        boolean last = i == row.length - 1;
        line.append(RIGHT_ALIGNED[i] ? pad : "").append(row[i]);
        line.append(RIGHT_ALIGNED[i] || last ? "" : pad);
      }
      io.stdout.println(line);
    }
    return DepotCli.EXIT_OK;
  }
}
