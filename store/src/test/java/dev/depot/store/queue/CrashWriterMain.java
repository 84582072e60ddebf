package dev.depot.store.queue;

import java.nio.file.Path;

/**
 * Child process of {@link QueueCrashIT}: appends item after item (continuing after the last
 * complete one found), with its index as the tag and ten times it as the timestamp, syncs every
 * {@code syncEvery} items and prints {@code synced <id> <index>} after each sync returns, until it
 * is killed. With a fourth argument {@code writer} it appends through {@link ItemWriter}s (timed
 * in-place appends), every third item an array ({@code appendTimed}) instead.
 */
public final class CrashWriterMain {
  private CrashWriterMain() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    long seed = Long.parseLong(args[1]);
    int syncEvery = Integer.parseInt(args[2]);
    boolean writers = args.length > 3 && args[3].equals("writer");
    try (DepotQueue queue =
        DepotQueue.builder(dir)
            .segmentBytes(64 << 10)
            .writeBufferBytes(4096)
            .indexIntervalBytes(512)
            .build()) {
      long next = 0;
      long last = queue.lastId();
      if (last >= 0) {
        try (DepotCursor cursor = queue.stream(last)) {
          next = Items.indexOf(cursor.next().item()) + 1;
        }
      }
      System.out.println("ready " + next);
      for (long i = next; ; i++) {
        byte[] item = Items.item(seed, i, 200);
        long id;
        if (!writers || i % 3 == 2) {
          id = queue.appendTimed(item, i, 10 * i);
        } else {
          id = queue.append(item.length, target -> target.put(item), i, 10 * i);
        }
        if ((i + 1) % syncEvery == 0) {
          queue.sync();
          System.out.println("synced " + id + " " + i);
          System.out.flush();
        }
      }
    }
  }
}
