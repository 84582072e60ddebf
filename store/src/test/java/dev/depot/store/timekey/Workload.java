package dev.depot.store.timekey;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batches of readings like devices upload them: mostly the next keys of one device's stream, with
 * re-sent batches, batches held back and sent late, repeats inside a batch, batches mixing devices,
 * reversed batches, and streams whose keys fall exactly on segment boundaries. Deterministic for a
 * seed.
 */
final class Workload {
  static final long EPOCH = 1_700_000_000_000_000L;

  private static final class Device {
    final int user;
    final int device;
    final long period;
    final long jitter;
    long next;

    Device(int user, int device, long period, long jitter, long start) {
      this.user = user;
      this.device = device;
      this.period = period;
      this.jitter = jitter;
      this.next = start;
    }
  }

  private final SplittableRandom random;
  private final List<Device> devices = new ArrayList<>();
  private final List<List<TimeKey>> sent = new ArrayList<>();
  private final List<List<TimeKey>> heldBack = new ArrayList<>();
  private final int maxBatch;
  private final long maxSpan;

  /**
   * @param interval the set's segment interval: some devices sample at a divisor of it, starting on
   *     a boundary, so that keys land exactly on segment starts
   */
  Workload(long seed, int users, int devicesPerUser, long interval, int maxBatch) {
    this.random = new SplittableRandom(seed);
    this.maxBatch = maxBatch;
    this.maxSpan = 2 * interval; // a batch covers at most two segments' worth of a device's time
    for (int u = 0; u < users; u++) {
      for (int d = 0; d < devicesPerUser; d++) {
        int kind = random.nextInt(4);
        long period =
            switch (kind) {
              case 0 -> 100_000; // 10 Hz, regular
              case 1 -> 1_000; // 1 kHz, jittery
              case 2 -> interval / 4; // lands on every segment boundary
              default -> 10_000_000; // 0.1 Hz
            };
        long jitter = kind == 1 ? 300 : 0;
        long start = kind == 2 ? EPOCH : EPOCH + random.nextLong(1_000_000);
        devices.add(new Device(1000 + u, d, period, jitter, start));
      }
    }
  }

  /** The next batch to insert. */
  List<TimeKey> next() {
    int choice = random.nextInt(100);
    if (choice < 8 && !sent.isEmpty()) {
      return resend();
    }
    if (choice < 12 && !heldBack.isEmpty()) {
      List<TimeKey> late = heldBack.remove(random.nextInt(heldBack.size()));
      sent.add(late);
      return late;
    }
    List<TimeKey> batch;
    if (choice < 18) {
      batch = mixed();
    } else {
      batch = fresh(devices.get(random.nextInt(devices.size())), 1 + random.nextInt(maxBatch));
    }
    if (choice >= 18 && choice < 22) {
      heldBack.add(batch); // arrives later, out of order
      return fresh(devices.get(random.nextInt(devices.size())), 1 + random.nextInt(maxBatch));
    }
    if (choice >= 22 && choice < 26) {
      batch = withRepeats(batch);
    } else if (choice >= 26 && choice < 28) {
      batch = new ArrayList<>(batch);
      Collections.reverse(batch);
    }
    sent.add(batch);
    if (sent.size() > 200) {
      sent.remove(0);
    }
    return batch;
  }

  /** Batches held back so far, sent now: the workload's late arrivals. */
  List<List<TimeKey>> drainHeldBack() {
    List<List<TimeKey>> late = new ArrayList<>(heldBack);
    heldBack.clear();
    return late;
  }

  private List<TimeKey> fresh(Device device, int wanted) {
    int count = (int) Math.max(1, Math.min(wanted, maxSpan / device.period));
    List<TimeKey> batch = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long t = device.next + (device.jitter == 0 ? 0 : random.nextLong(device.jitter));
      batch.add(TimeKey.of(t, device.user, device.device));
      device.next += device.period;
    }
    return batch;
  }

  private List<TimeKey> resend() {
    List<TimeKey> old = sent.get(random.nextInt(sent.size()));
    if (random.nextBoolean()) {
      return old; // the whole batch again
    }
    int from = random.nextInt(old.size());
    int to = from + 1 + random.nextInt(old.size() - from);
    List<TimeKey> part = new ArrayList<>(old.subList(from, to));
    part.addAll(fresh(devices.get(random.nextInt(devices.size())), random.nextInt(10)));
    return part;
  }

  private List<TimeKey> mixed() {
    List<TimeKey> batch = new ArrayList<>();
    for (int d = 0; d < 3; d++) {
      batch.addAll(fresh(devices.get(random.nextInt(devices.size())), 1 + random.nextInt(20)));
    }
    Collections.shuffle(batch, new java.util.Random(random.nextLong()));
    return batch;
  }

  private List<TimeKey> withRepeats(List<TimeKey> batch) {
    List<TimeKey> out = new ArrayList<>(batch);
    for (int r = 1 + random.nextInt(5); r > 0; r--) {
      out.add(random.nextInt(out.size() + 1), batch.get(random.nextInt(batch.size())));
    }
    return out;
  }
}
