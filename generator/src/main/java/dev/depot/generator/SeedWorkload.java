package dev.depot.generator;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * The time-key seed workload: users x devices sampling at a fixed rate, each upload a batch of
 * consecutive keys of one device, devices taking turns in a shuffled round-robin. A share of the
 * batches is re-sent whole 1 to {@link #maxDelay()} batches later, and a share arrives late: after
 * the device's following batch. Deterministic for a seed; writes keys into caller arrays without
 * allocating. The benchmarks and the quickstart's generator both run it.
 *
 * <pre>{@code
 * SeedWorkload w = new SeedWorkload(42, 1000, 4, 10.0, 5000, 0.10, 0.0, 0, 1);
 * long[] micros = new long[w.batchKeys()], ids = new long[w.batchKeys()];
 * int n = w.next(micros, ids); // ids[i]: user id << 32 | device id
 * boolean repeat = w.lastWasResend();
 * }</pre>
 */
public final class SeedWorkload {
  /** The first reading's time: 2023-11-14T22:13:20Z in epoch microseconds. */
  public static final long EPOCH = 1_700_000_000_000_000L; // 2023-11-14T22:13:20Z

  /** How many batches later a re-sent or late batch comes at most, unless {@link #withDelay}. */
  public static final int DEFAULT_MAX_DELAY = 50;

  private final int users;
  private final int devicesPerUser;
  private final long periodMicros;
  private final int batchKeys;
  private final double resendRate;
  private final double lateRate;
  private final int thread;
  private final int threads;
  private final SplittableRandom random;
  private long jitterMicros;
  private int maxDelay = DEFAULT_MAX_DELAY;

  private final long[] next; // per device: the next key's micros
  private final int[] order;
  private int turn;
  private long batch;
  private boolean lastWasResend;

  /**
   * Batches to send again or late: {due batch number, device, first micros, 1 for a re-send or 0
   * for a late batch}, soonest first.
   */
  private final PriorityQueue<long[]> pending =
      new PriorityQueue<>(Comparator.comparingLong(e -> e[0]));

  /**
   * @param thread this generator's share of the devices: those whose index modulo {@code threads}
   *     is {@code thread}
   */
  public SeedWorkload(
      long seed,
      int users,
      int devicesPerUser,
      double hz,
      int batchKeys,
      double resendRate,
      double lateRate,
      int thread,
      int threads) {
    this.users = users;
    this.devicesPerUser = devicesPerUser;
    this.periodMicros = Math.round(1_000_000 / hz);
    this.batchKeys = batchKeys;
    this.resendRate = resendRate;
    this.lateRate = lateRate;
    this.thread = thread;
    this.threads = threads;
    this.random = new SplittableRandom(seed);
    int devices = users * devicesPerUser;
    next = new long[devices];
    for (int d = 0; d < devices; d++) {
      next[d] = EPOCH + random.nextLong(periodMicros); // devices are not in phase
    }
    int mine = 0;
    for (int d = thread; d < devices; d += threads) {
      mine++;
    }
    order = new int[mine];
    for (int i = 0, d = thread; d < devices; d += threads) {
      order[i++] = d;
    }
    shuffle();
  }

  /** Puts each reading up to {@code micros} after its tick (still in order within a device). */
  public SeedWorkload withJitter(long micros) {
    if (micros >= periodMicros) {
      throw new IllegalArgumentException("jitter must be below the period, was " + micros);
    }
    this.jitterMicros = micros;
    return this;
  }

  /**
   * Sends re-sent and late batches 1 to {@code maxBatches} batches later instead of 1 to {@value
   * #DEFAULT_MAX_DELAY}: a short run needs a short delay, or its re-sends fall due after its end.
   */
  public SeedWorkload withDelay(int maxBatches) {
    if (maxBatches < 1) {
      throw new IllegalArgumentException("the delay must be at least 1 batch, was " + maxBatches);
    }
    this.maxDelay = maxBatches;
    return this;
  }

  /** How many batches later a re-sent or late batch comes at most. */
  public int maxDelay() {
    return maxDelay;
  }

  public int batchKeys() {
    return batchKeys;
  }

  /**
   * Writes the next batch into {@code micros} and {@code ids} from 0; returns its size. A batch
   * chosen for a re-send is sent again 1 to {@link #maxDelay()} batches later; a batch chosen to be
   * late is held back while the device's following batch goes first, and sent 1 to {@link
   * #maxDelay()} batches later.
   */
  public int next(long[] micros, long[] ids) {
    batch++;
    long[] due = pending.peek();
    lastWasResend = false;
    if (due != null && due[0] <= batch) {
      pending.poll();
      lastWasResend = due[3] == 1;
      return fill((int) due[1], due[2], micros, ids);
    }
    int device = order[turn++];
    if (turn == order.length) {
      turn = 0;
      shuffle();
    }
    long from = advance(device);
    if (random.nextDouble() < lateRate) {
      pending.add(new long[] {batch + 1 + random.nextInt(maxDelay), device, from, 0});
      from = advance(device);
    }
    if (random.nextDouble() < resendRate) {
      pending.add(new long[] {batch + 1 + random.nextInt(maxDelay), device, from, 1});
    }
    return fill(device, from, micros, ids);
  }

  /**
   * True when the batch {@link #next} returned last repeats one sent before (every key of it is a
   * duplicate); false for a new batch, including a late one.
   */
  public boolean lastWasResend() {
    return lastWasResend;
  }

  private long advance(int device) {
    long from = next[device];
    next[device] += batchKeys * periodMicros;
    return from;
  }

  private int fill(int device, long from, long[] micros, long[] ids) {
    long id = ((long) (device / devicesPerUser) << 32) | (device % devicesPerUser);
    for (int i = 0; i < batchKeys; i++) {
      long tick = from + i * periodMicros;
      // the same offset every time this key is generated, so a re-sent batch repeats its keys
      micros[i] =
          jitterMicros == 0 ? tick : tick + Math.floorMod(mix(tick ^ (id * 31)), jitterMicros);
      ids[i] = id;
    }
    return batchKeys;
  }

  /** SplitMix64's finalizer: a well-spread hash, so jitter looks random but repeats per key. */
  private static long mix(long x) {
    long z = x + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private void shuffle() {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }

  @Override
  public String toString() {
    return users
        + " users x "
        + devicesPerUser
        + " devices at "
        + (1_000_000.0 / periodMicros)
        + " Hz, "
        + batchKeys
        + "-key batches, "
        + Math.round(resendRate * 100)
        + "% re-sent, "
        + Math.round(lateRate * 100)
        + "% late"
        + (threads > 1 ? " (share " + thread + " of " + threads + ")" : "");
  }
}
