package dev.depot.cli;

import dev.depot.store.queue.DepotQueue;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opening queues from command-line paths, with errors a user can act on. */
final class Queues {
  private Queues() {}

  /** Opens the queue in {@code dir} read-only; a missing directory or a file is a usage error. */
  static DepotQueue openReadOnly(Path dir) {
    if (!Files.exists(dir)) {
      throw CliException.usage("no such directory: " + dir);
    }
    if (!Files.isDirectory(dir)) {
      throw CliException.usage("not a directory: " + dir);
    }
    return DepotQueue.builder(dir).readOnly(true).build();
  }

  /** Refuses a path that exists but is not a directory, before a writer tries to create it. */
  static void checkWritableDirectory(Path dir) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw CliException.usage("not a directory: " + dir);
    }
  }
}
