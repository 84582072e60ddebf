package dev.depot.store.timekey;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Jittered devices behind gateways: {@code devices} devices at a fixed period, each reading up to
 * {@code jitter} micros either side of its tick (the same offset each time it is generated). A
 * batch is either one device's next readings in the order they were taken (not sorted when the
 * jitter exceeds half the period) or a gateway's window of several devices in time order. Some
 * batches are re-sent, some held back and sent late. Deterministic for a seed.
 */
final class Gateways {
  private final SplittableRandom random;
  private final int devices;
  private final long period;
  private final long jitter;
  private final long start;
  private final long[] next; // next tick per device
  private final List<List<TimeKey>> sent = new ArrayList<>();
  private final List<List<TimeKey>> heldBack = new ArrayList<>();

  Gateways(long seed, int devices, long period, long jitter, long start) {
    this.random = new SplittableRandom(seed);
    this.devices = devices;
    this.period = period;
    this.jitter = jitter;
    this.start = start;
    this.next = new long[devices];
  }

  TimeKey reading(int device, long tick) {
    long h = (tick * 0x9E3779B97F4A7C15L) ^ (device * 0xC2B2AE3D27D4EB4FL);
    h ^= h >>> 31;
    long offset = Math.floorMod(h * 0xBF58476D1CE4E5B9L, 2 * jitter + 1) - jitter;
    return TimeKey.of(start + device * 7919L + tick * period + offset, 1 + device / 3, device % 3);
  }

  List<TimeKey> next() {
    int choice = random.nextInt(100);
    if (choice < 10 && !sent.isEmpty()) {
      return sent.get(random.nextInt(sent.size()));
    }
    if (choice < 15 && !heldBack.isEmpty()) {
      return heldBack.remove(random.nextInt(heldBack.size()));
    }
    List<TimeKey> batch = new ArrayList<>();
    if (random.nextBoolean()) {
      int device = random.nextInt(devices);
      int count = 1 + random.nextInt(300);
      for (int i = 0; i < count; i++) {
        batch.add(reading(device, next[device]++));
      }
    } else {
      int first = random.nextInt(devices);
      int members = 1 + random.nextInt(Math.min(10, devices));
      int ticks = 1 + random.nextInt(60);
      for (int m = 0; m < members; m++) {
        int device = (first + m) % devices;
        for (int i = 0; i < ticks; i++) {
          batch.add(reading(device, next[device]++));
        }
      }
      batch.sort(null); // a gateway forwards in time order
    }
    if (choice < 20) {
      heldBack.add(batch);
      return List.of();
    }
    sent.add(batch);
    if (sent.size() > 100) {
      sent.remove(0);
    }
    return batch;
  }

  List<List<TimeKey>> drainHeldBack() {
    List<List<TimeKey>> late = new ArrayList<>(heldBack);
    heldBack.clear();
    return late;
  }
}
