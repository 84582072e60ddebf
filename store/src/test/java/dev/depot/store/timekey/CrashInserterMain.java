package dev.depot.store.timekey;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Child process of {@link TimeKeyCrashIT}: inserts batch after batch into a set with a small memory
 * limit (so that segments are evicted between checkpoints), prints {@code inserted <b>} after batch
 * {@code b} returns and {@code checkpoint <b>} after a checkpoint that followed batch {@code b}
 * returns, until it is killed. Arguments: directory, checkpoint every n batches, devices (20: a
 * segment fits the limit; 400: a segment is larger than the limit, so its devices' streams are
 * evicted and read back one by one).
 */
public final class CrashInserterMain {
  static final int DEVICES = 20;
  static final int MANY_DEVICES = 400;
  static final int KEYS = 200;

  private CrashInserterMain() {}

  /**
   * Batch {@code b}: the next 200 keys of device {@code b % 20} at 10 Hz; every 7th re-sends b-5.
   */
  static List<TimeKey> batch(int b) {
    return batch(b, DEVICES);
  }

  /** Batch {@code b} of a fleet of {@code devices}. */
  static List<TimeKey> batch(int b, int devices) {
    if (b % 7 == 6 && b >= 5) {
      return batch(b - 5, devices);
    }
    int device = b % devices;
    int round = b / devices;
    List<TimeKey> keys = new ArrayList<>(KEYS);
    long start = Workload.EPOCH + (long) round * KEYS * 100_000;
    for (int i = 0; i < KEYS; i++) {
      keys.add(TimeKey.of(start + i * 100_000L + (i * 37 + b) % 900, 5, device));
    }
    return keys;
  }

  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    int checkpointEvery = Integer.parseInt(args[1]);
    int devices = args.length > 2 ? Integer.parseInt(args[2]) : DEVICES;
    try (TimeKeyStreamSet set =
        TimeKeyStreamSet.builder()
            .directory(dir)
            .segmentInterval(Duration.ofMinutes(1))
            .memoryLimit(64 << 10)
            .build()) {
      for (int b = 0; ; b++) {
        set.insert(batch(b, devices));
        System.out.println("inserted " + b);
        if (b % checkpointEvery == checkpointEvery - 1) {
          set.checkpoint();
          System.out.println("checkpoint " + b);
        }
        System.out.flush();
      }
    }
  }
}
