package dev.depot.store.queue;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Child process of {@link WriterLockIT}: opens the queue for writing, appends and syncs three
 * items, prints {@code holding <pid>}, and keeps the queue open until its standard input closes.
 */
public final class LockHolderMain {
  private LockHolderMain() {}

  public static void main(String[] args) throws IOException {
    try (DepotQueue queue = DepotQueue.open(Path.of(args[0]))) {
      for (int i = 0; i < 3; i++) {
        queue.append(Items.item(3, i, 50));
      }
      queue.sync();
      System.out.println("holding " + ProcessHandle.current().pid());
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait for the parent to close our stdin
      }
    }
    System.out.println("closed");
  }
}
