package dev.depot.cli;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code depot verify DIR}: reads every record, which checks every checksum, and lists what is
 * wrong. Partial records are what a crash leaves behind, not corruption: they do not fail it.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Read every record and check its checksum; list corrupt and partial records.",
      "Exits 1 when any record is corrupt; partial records (torn tails left by a crash) do not"
          + " count as corruption."
    })
final class VerifyCommand implements Callable<Integer> {
  private final Io io;

  @Parameters(index = "0", paramLabel = "DIR", description = "The queue directory.")
  Path dir;

  VerifyCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() {
    long records = 0;
    long corrupt = 0;
    long partial = 0;
    int segments;
    try (DepotQueue queue = Queues.openReadOnly(dir)) {
      try (DepotCursor cursor = queue.stream()) {
        while (true) {
          DepotRecord record;
          try {
            record = cursor.next();
          } catch (DepotCorruptionException e) {
            corrupt++;
            io.stdout.println("corrupt: " + e.getMessage());
            continue;
          }
          if (record == null) {
            break;
          }
          if (record.complete()) {
            records++;
          } else {
            partial++;
            io.stdout.println(
                "partial record at "
                    + DepotIds.toString(record.id())
                    + " ("
                    + record.length()
                    + " bytes): torn tail left by a crash");
          }
        }
      }
      segments = queue.segments().size();
    }
    io.stdout.printf(
        "verified %d records in %d segment%s: %d corrupt, %d partial%n",
        records, segments, segments == 1 ? "" : "s", corrupt, partial);
    return corrupt > 0 ? DepotCli.EXIT_FAILURE : DepotCli.EXIT_OK;
  }
}
