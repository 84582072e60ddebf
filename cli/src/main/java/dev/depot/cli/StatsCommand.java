package dev.depot.cli;

import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.QueueStats;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code depot stats DIR}: {@link DepotQueue#stats()} as {@code name: value} lines. */
@Command(
    name = "stats",
    mixinStandardHelpOptions = true,
    description = {
      "Count items, partial and corrupt records and bytes, by reading every segment.",
      "Ids print as segment:position, or -1 when there is none."
    })
final class StatsCommand implements Callable<Integer> {
  private final Io io;

  @Parameters(index = "0", paramLabel = "DIR", description = "The queue directory.")
  Path dir;

  StatsCommand(Io io) {
    this.io = io;
  }

  @Override
  public Integer call() {
    QueueStats stats;
    try (DepotQueue queue = Queues.openReadOnly(dir)) {
      stats = queue.stats();
    }
    io.stdout.println("items: " + stats.items());
    io.stdout.println("partial_records: " + stats.partialRecords());
    io.stdout.println("corrupt_records: " + stats.corruptRecords());
    io.stdout.println("item_bytes: " + stats.itemBytes());
    io.stdout.println("disk_bytes: " + stats.diskBytes());
    io.stdout.println("segments: " + stats.segments());
    io.stdout.println("first_id: " + Ids.format(stats.firstId()));
    io.stdout.println("last_id: " + Ids.format(stats.lastId()));
    return DepotCli.EXIT_OK;
  }
}
