package dev.depot.bench;

import dev.depot.generator.SeedWorkload;
import java.util.Arrays;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A fleet whose readings reach the set through gateways, generated ahead of time into flat arrays
 * so that a bench times the inserts alone.
 *
 * <p>Users x devices sampling at a fixed period, each reading jittered by up to {@code jitter}
 * microseconds either side of its tick (pseudo-random but the same each time the reading is
 * generated, so a re-sent batch repeats its keys). Half of the devices upload their own readings in
 * batches of 200-1,000 consecutive readings, in the order they were taken (so not sorted when the
 * jitter exceeds half the period). The other half sit behind gateways of 10 devices; a gateway
 * uploads 20-300 ticks of all its devices in one batch (200-3,000 keys), interleaved in time order.
 * Uploaders take turns by the time they have reached, so the fleet moves forward together. 10 % of
 * batches are re-sent 1 to 50 batches later; 5 % are held back and sent 1 to 50 batches later.
 *
 * <p>With {@code backfill}, every 10th batch is followed by a backfill batch: a device that was
 * offline uploads 50-400 readings from 2 to 20 minutes in the past, so old segments are touched.
 */
final class GatewayWorkload {
  private static final int GATEWAY_DEVICES = 10;

  final long[] micros;
  final long[] ids;

  /** Batch {@code b} is {@code [batchStart[b], batchStart[b + 1])}. */
  final int[] batchStart;

  final int batches;
  final int devices;
  private final String description;

  private final long[] base;
  private final long[] period;
  private final long jitter;

  private final int devicesPerUser;
  private final boolean jitterShareOfPeriod;

  private GatewayWorkload(
      long seed,
      int users,
      int devicesPerUser,
      long[] periods,
      long jitter,
      boolean jitterShareOfPeriod,
      long gatewayWindow,
      long keys,
      boolean backfill) {
    SplittableRandom random = new SplittableRandom(seed);
    this.devices = users * devicesPerUser;
    this.devicesPerUser = devicesPerUser;
    this.jitter = jitter;
    this.jitterShareOfPeriod = jitterShareOfPeriod;
    this.period = periods;
    this.base = new long[devices];
    for (int d = 0; d < devices; d++) {
      base[d] = SeedWorkload.EPOCH + random.nextLong(period[d]);
    }
    int capacity = (int) keys + 100_000;
    micros = new long[capacity];
    ids = new long[capacity];
    int[] starts = new int[1024];
    // Uploaders: devices 0, 2, 4, ... alone; the odd ones in gateways of 10.
    int alone = (devices + 1) / 2;
    int gateways = (devices / 2 + GATEWAY_DEVICES - 1) / GATEWAY_DEVICES;
    long[] cursor = new long[alone + gateways]; // micros since the fleet's start
    PriorityQueue<long[]> turn = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
    for (int u = 0; u < cursor.length; u++) {
      cursor[u] = random.nextLong(100_000);
      turn.add(new long[] {cursor[u], u});
    }
    PriorityQueue<long[]> pending = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
    int n = 0;
    int b = 0;
    while (n < keys) {
      if (b + 2 >= starts.length) {
        starts = Arrays.copyOf(starts, starts.length * 2);
      }
      starts[b] = n;
      long[] due = pending.peek();
      long[] batch;
      if (due != null && due[0] <= b) {
        pending.poll();
        batch = due;
      } else if (backfill && b % 10 == 9) {
        // a device that was offline: 50-400 readings from 10 to 60 s before the fleet's time
        int d = random.nextInt(devices);
        int count = 50 + random.nextInt(351);
        long from = Math.max(0, turn.peek()[0] - 10_000_000 - random.nextLong(50_000_000));
        batch = new long[] {0, -1, d, from, count * period[d]};
      } else {
        long[] up = turn.poll();
        int u = (int) up[1];
        if (u < alone) {
          int d = 2 * u;
          long window = Math.min(10_000_000, (200 + random.nextInt(801)) * period[d]);
          batch = new long[] {0, -1, d, cursor[u], window};
          cursor[u] += window;
        } else {
          long gateway = u - alone;
          long window = gatewayWindow / 15 + random.nextLong(gatewayWindow - gatewayWindow / 15);
          batch = new long[] {0, gateway, 1 + 2 * GATEWAY_DEVICES * gateway, cursor[u], window};
          cursor[u] += window;
        }
        up[0] = cursor[u];
        turn.add(up);
        boolean late = random.nextDouble() < 0.05;
        if (late || random.nextDouble() < 0.10) {
          long[] again = batch.clone();
          again[0] = b + 1 + random.nextInt(50);
          pending.add(again);
        }
        if (late) {
          continue; // nothing sent this turn; the batch comes later
        }
      }
      n = emit(batch[1], (int) batch[2], batch[3], batch[4], n);
      if (n > starts[b]) {
        b++;
      }
    }
    starts[b] = n;
    this.batches = b;
    this.batchStart = Arrays.copyOf(starts, b + 1);
    this.description =
        users
            + " users x "
            + devicesPerUser
            + " devices, jitter +-"
            + jitter
            + " us"
            + (jitterShareOfPeriod ? " (at most 10 % of the period)" : "")
            + ", half behind gateways of "
            + GATEWAY_DEVICES
            + (backfill ? ", a backfill batch after every 10th" : "")
            + ": "
            + n
            + " keys in "
            + b
            + " batches";
  }

  /**
   * 200 users x 3 devices at 1 kHz, +-1 ms jitter; devices alone upload 200-1,000 readings,
   * gateways 20-300 ms of their 10 devices.
   */
  static GatewayWorkload gateways(long seed, long keys) {
    long[] periods = new long[600];
    Arrays.fill(periods, 1000);
    return new GatewayWorkload(seed, 200, 3, periods, 1000, false, 300_000, keys, false);
  }

  /**
   * 500 users x 5 devices: 10 % at 250 Hz, 30 % at 50 Hz, 60 % at 1 Hz (about 100,000 readings a
   * second), jitter up to 1 ms but at most 10 % of the period; gateways upload 0.2-3 s of their
   * devices; a backfill batch from a device that was offline after every 10th batch.
   */
  static GatewayWorkload pressure(long seed, long keys) {
    SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
    long[] periods = new long[2500];
    for (int d = 0; d < periods.length; d++) {
      int r = random.nextInt(10);
      periods[d] = r == 0 ? 4_000 : r < 4 ? 20_000 : 1_000_000;
    }
    return new GatewayWorkload(seed, 500, 5, periods, 1000, true, 3_000_000, keys, true);
  }

  int keys() {
    return batchStart[batches];
  }

  /**
   * Writes the readings of {@code [from, from + window)} (micros since the fleet's start) of device
   * {@code first} alone ({@code gateway < 0}) or of its gateway's devices in time order, at {@code
   * n}; returns the new end.
   */
  private int emit(long gateway, int first, long from, long window, int n) {
    int start = n;
    int members = gateway < 0 ? 1 : GATEWAY_DEVICES;
    long origin = Long.MAX_VALUE;
    for (int k = 0; k < members && first + 2 * k < devices; k++) {
      int d = first + 2 * k;
      long id = id(d);
      long p = period[d];
      origin = Math.min(origin, base[d] + (from / p) * p - 2 * jitter - p);
      for (long tick = (from + p - 1) / p; tick * p < from + window; tick++) {
        micros[n] = reading(d, tick); // in the order the device took them
        ids[n++] = gateway < 0 ? id : k;
      }
    }
    if (gateway >= 0) {
      // a gateway sends in time order
      long[] packed = new long[n - start];
      for (int i = start; i < n; i++) {
        packed[i - start] = ((micros[i] - origin) << 4) | ids[i];
      }
      Arrays.sort(packed);
      for (int i = start; i < n; i++) {
        long v = packed[i - start];
        micros[i] = (v >>> 4) + origin;
        ids[i] = id(first + 2 * (int) (v & 15));
      }
    }
    return n;
  }

  private long reading(int device, long tick) {
    long spread = jitterShareOfPeriod ? Math.min(jitter, period[device] / 10) : jitter;
    long offset = Math.floorMod(mix(tick * 0x9E3779B97F4A7C15L ^ device), 2 * spread + 1) - spread;
    return base[device] + tick * period[device] + offset;
  }

  private long id(int device) {
    return ((long) (device / devicesPerUser) << 32) | (device % devicesPerUser);
  }

  private static long mix(long x) {
    long z = x + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
    z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
    return z ^ (z >>> 33);
  }

  @Override
  public String toString() {
    return description;
  }
}
