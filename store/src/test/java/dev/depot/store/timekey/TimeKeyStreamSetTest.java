package dev.depot.store.timekey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.DepotException;
import dev.depot.store.DepotLockedException;
import dev.depot.testing.TestFiles;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimeKeyStreamSetTest {
  /** The size of a version 2 segment file's header ({@code SegmentFile}). */
  private static final int HEADER_V2_BYTES = 64;

  private static final long SECOND = 1_000_000;

  @TempDir Path dir;

  private TimeKeyStreamSet open(Duration interval, long memoryLimit, Duration retention) {
    TimeKeyStreamSet.Builder builder =
        TimeKeyStreamSet.builder()
            .directory(dir)
            .segmentInterval(interval)
            .memoryLimit(memoryLimit);
    if (retention != null) {
      builder.retention(retention);
    }
    return builder.build();
  }

  private static List<TimeKey> run(int user, int device, long from, long step, int count) {
    List<TimeKey> keys = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      keys.add(TimeKey.of(from + i * step, user, device));
    }
    return keys;
  }

  private static boolean[] all(int n, boolean value) {
    boolean[] out = new boolean[n];
    Arrays.fill(out, value);
    return out;
  }

  @Test
  void answersNewForAContinuingStreamAndDuplicateForAResentBatch() {
    try (TimeKeyStreamSet set = open(Duration.ofHours(1), MemoryLimit.LOW, null)) {
      List<TimeKey> first = run(1, 2, Workload.EPOCH, 100_000, 5000);
      List<TimeKey> second = run(1, 2, Workload.EPOCH + 500 * SECOND, 100_000, 5000);
      assertThat(set.insert(first)).containsExactly(all(5000, true));
      assertThat(set.insert(second)).containsExactly(all(5000, true));
      assertThat(set.insert(first)).containsExactly(all(5000, false));
      assertThat(set.contains(first.get(17))).isTrue();
      assertThat(set.contains(TimeKey.of(first.get(17).micros() + 1, 1, 2))).isFalse();
      assertThat(set.contains(TimeKey.of(first.get(17).micros(), 1, 3))).isFalse();
      TimeKeyStats stats = set.stats();
      assertThat(stats.keys()).isEqualTo(10_000);
      assertThat(stats.segmentsInMemory()).isEqualTo(1);
      assertThat(stats.newestMicros()).isEqualTo(second.get(4999).micros());
      // a regular 10 Hz stream is about one bit per key in memory
      assertThat(stats.bytesInMemory()).isLessThan(10_000);
    }
  }

  @Test
  void aRepeatInsideABatchIsADuplicateAfterItsFirstOccurrence() {
    try (TimeKeyStreamSet set = open(Duration.ofHours(1), MemoryLimit.LOW, null)) {
      TimeKey a = TimeKey.of(Workload.EPOCH + 5, 1, 1);
      TimeKey b = TimeKey.of(Workload.EPOCH + 3, 1, 1);
      TimeKey c = TimeKey.of(Workload.EPOCH + 3, 1, 2);
      assertThat(set.insert(List.of(a, b, a, c, b, b, c)))
          .containsExactly(true, true, false, true, false, false, false);
      assertThat(set.insert(List.of(b, TimeKey.of(Workload.EPOCH + 4, 1, 1), a)))
          .containsExactly(false, true, false);
    }
  }

  @Test
  void theArrayVariantWritesAnswersAtTheSameIndexesAndCountsNewKeys() {
    try (TimeKeyStreamSet set = open(Duration.ofHours(1), MemoryLimit.LOW, null)) {
      long[] micros = {0, Workload.EPOCH, Workload.EPOCH + 1, Workload.EPOCH, 0};
      long[] ids = {0, 7, 7, 7, 0};
      boolean[] isNew = new boolean[5];
      assertThat(set.insert(micros, ids, 1, 3, isNew)).isEqualTo(2);
      assertThat(isNew).containsExactly(false, true, true, false, false);
    }
  }

  @Test
  void keysBeforeAndAround1970AreStoredInFloorDividedSegmentsAndSurviveReopen() throws Exception {
    long[] edges = {
      Long.MIN_VALUE,
      Long.MIN_VALUE + 1,
      -10 * SECOND - 1,
      -10 * SECOND,
      -10 * SECOND + 1,
      -1,
      0,
      1,
      10 * SECOND - 1,
      10 * SECOND,
      -86_400L * SECOND * 365 * 300, // 300 years before 1970
      Long.MAX_VALUE - 1,
      Long.MAX_VALUE
    };
    Oracle oracle = new Oracle(10 * SECOND, -1);
    List<TimeKey> keys = new ArrayList<>();
    for (long t : edges) {
      keys.add(TimeKey.of(t, 1, 1));
      keys.add(TimeKey.of(t, -1, -1));
    }
    // a jittery stream across 1970, in one batch
    Random random = new Random(3);
    for (int i = 0; i < 3000; i++) {
      keys.add(TimeKey.of(-150 * SECOND + i * 100_000L + random.nextInt(1000), 2, 9));
    }
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(10), 64 << 10, null)) {
      assertThat(set.insert(keys)).containsExactly(oracle.insert(keys));
      assertThat(set.insert(keys)).containsExactly(all(keys.size(), false));
      assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
      assertThat(set.stats().newestMicros()).isEqualTo(Long.MAX_VALUE);
      assertThat(set.contains(TimeKey.of(-2, 1, 1))).isFalse();
      assertThat(set.contains(TimeKey.of(-1, 1, 1))).isTrue();
      set.checkpoint();
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .contains(
              "-9223372036854775808.tks",
              "-0000000000010000000.tks",
              "0000000000000000000.tks",
              "-0000000000150000000.tks",
              "9223372036850000000.tks");
    }
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(10), 64 << 10, null)) {
      assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
      for (TimeKey key : keys) {
        assertThat(set.contains(key)).as("%s", key).isTrue();
        TimeKey next = TimeKey.of(key.micros() + 1, key.id());
        assertThat(set.contains(next)).isEqualTo(oracle.keys.contains(next));
      }
      // expiry uses the same floor division: segments before -10 s go, [-10 s, 0) stays
      set.expireBefore(-5 * SECOND);
      oracle.expireBefore(-5 * SECOND);
      assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
      assertThat(set.contains(TimeKey.of(-10 * SECOND, 1, 1))).isTrue();
      assertThat(set.contains(TimeKey.of(-10 * SECOND - 1, 1, 1))).isFalse();
      assertThat(set.insert(List.of(TimeKey.of(Long.MIN_VALUE, 1, 1)))).containsExactly(true);
      assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
    }
  }

  @Test
  void retentionBehindKeysBefore1970DropsTheRightSegments() {
    Oracle oracle = new Oracle(10 * SECOND, 30 * SECOND);
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(10), 1 << 20, Duration.ofSeconds(30))) {
      for (int b = 0; b < 40; b++) {
        List<TimeKey> batch = run(4, b % 3, -200 * SECOND + b * 5 * SECOND, 250_000, 20);
        assertThat(set.insert(batch)).as("batch %d", b).containsExactly(oracle.insert(batch));
        assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
      }
    }
  }

  @Test
  void everyAnswerMatchesAHashSetThroughEvictionCheckpointsAndReopen() {
    Duration interval = Duration.ofSeconds(10);
    Oracle oracle = new Oracle(10 * SECOND, -1);
    Workload workload = new Workload(11, 12, 3, 10 * SECOND, 400);
    long evictions = 0;
    long loads = 0;
    TimeKeyStreamSet set = open(interval, 128 << 10, null);
    try {
      for (int step = 0; step < 3000; step++) {
        List<TimeKey> batch = workload.next();
        assertThat(set.insert(batch)).as("batch %d", step).containsExactly(oracle.insert(batch));
        if (step % 500 == 499) {
          set.checkpoint();
        }
        if (step % 1000 == 999) {
          TimeKeyStats stats = set.stats();
          evictions += stats.evictions();
          loads += stats.loads();
          assertThat(stats.keys()).isEqualTo(oracle.keys.size());
          assertThat(stats.peakBytesInMemory()).isLessThanOrEqualTo((128 << 10) * 11 / 10);
          set.close();
          set = open(interval, 128 << 10, null);
          assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
        }
      }
      for (List<TimeKey> late : workload.drainHeldBack()) {
        assertThat(set.insert(late)).containsExactly(oracle.insert(late));
      }
      Random random = new Random(1);
      List<TimeKey> all = new ArrayList<>(oracle.keys);
      for (int i = 0; i < 2000; i++) {
        TimeKey key = all.get(random.nextInt(all.size()));
        assertThat(set.contains(key)).isTrue();
        TimeKey near = TimeKey.of(key.micros() + 1 + random.nextInt(50), key.id());
        assertThat(set.contains(near)).isEqualTo(oracle.keys.contains(near));
      }
    } finally {
      set.close();
    }
    assertThat(evictions).as("the workload outgrew the memory limit").isPositive();
    assertThat(loads).as("evicted segments were read back").isPositive();
  }

  /**
   * The timestamp of reading {@code i} of device {@code device}: devices 0-7 at 10 Hz with +-1 ms
   * jitter, 8-11 at exactly 10 Hz, 12-15 irregular (gaps of 1 us to about a second).
   */
  private static long mixedReading(long[][] irregular, int device, int i) {
    long tick = 1_700_000_000_000_000L + i * 100_000L;
    if (device < 8) {
      return tick + new SplittableRandom(device * 1_000_003L + i).nextInt(2001) - 1000;
    } else if (device < 12) {
      return tick;
    }
    return irregular[device - 12][i];
  }

  @Test
  void jitteredRegularAndIrregularStreamsMatchAHashSetThroughLateKeysEvictionAndReopen() {
    Duration interval = Duration.ofSeconds(10);
    Oracle oracle = new Oracle(10 * SECOND, -1);
    Random random = new Random(7);
    int readings = 6000;
    long[][] irregular = new long[4][readings];
    for (long[] stream : irregular) {
      long t = 1_700_000_000_000_000L;
      for (int i = 0; i < readings; i++) {
        t += 1 + (random.nextInt(4) == 0 ? random.nextInt(1_000_000) : random.nextInt(300));
        stream[i] = t;
      }
    }
    List<TimeKey> heldBack = new ArrayList<>();
    TimeKeyStreamSet set = open(interval, 64 << 10, null);
    long evictions = 0;
    try {
      for (int from = 0; from < readings; from += 50) {
        List<TimeKey> batch = new ArrayList<>();
        for (int device = 0; device < 16; device++) {
          for (int i = from; i < from + 50; i++) {
            TimeKey key = TimeKey.of(mixedReading(irregular, device, i), 1, device);
            // one key in 40 arrives late; one in 100 twice
            if (random.nextInt(40) == 0) {
              heldBack.add(key);
            } else {
              batch.add(key);
              if (random.nextInt(100) == 0) {
                batch.add(key);
              }
            }
          }
        }
        assertThat(set.insert(batch)).as("from %d", from).containsExactly(oracle.insert(batch));
        if (from % 1000 == 950) {
          List<TimeKey> late = new ArrayList<>(heldBack);
          heldBack.clear();
          assertThat(set.insert(late)).containsExactly(oracle.insert(late));
          set.checkpoint();
        }
        if (from % 3000 == 2950) {
          evictions += set.stats().evictions();
          set.close();
          set = open(interval, 64 << 10, null);
          assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
        }
      }
      assertThat(set.insert(heldBack)).containsExactly(oracle.insert(heldBack));
      assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
      for (int probe = 0; probe < 4000; probe++) {
        int device = random.nextInt(16);
        long t = mixedReading(irregular, device, random.nextInt(readings)) + random.nextInt(3) - 1;
        TimeKey key = TimeKey.of(t, 1, device);
        assertThat(set.contains(key)).as("%s", key).isEqualTo(oracle.keys.contains(key));
      }
    } finally {
      set.close();
    }
    assertThat(evictions).as("the streams outgrew the memory limit").isPositive();
  }

  @Test
  void aMillisecondOfJitterCostsAtMostOneAndAHalfBytesAKeyOnDisk() {
    TimeKeyStreamSet set = open(Duration.ofMinutes(10), 64 << 20, null);
    try {
      for (int from = 0; from < 6000; from += 500) {
        List<TimeKey> batch = new ArrayList<>();
        for (int device = 0; device < 8; device++) {
          for (int i = from; i < from + 500; i++) {
            batch.add(TimeKey.of(mixedReading(null, device, i), 1, device));
          }
        }
        set.insert(batch);
      }
      set.checkpoint();
      TimeKeyStats stats = set.stats();
      assertThat(stats.keys()).isEqualTo(8 * 6000);
      assertThat((double) stats.bytesOnDisk() / stats.keys()).isLessThanOrEqualTo(1.5);
    } finally {
      set.close();
    }
  }

  @Test
  void jitteredGatewayBatchesMatchAHashSetThroughResendsLateBatchesAndReopen() {
    Duration interval = Duration.ofSeconds(2);
    Oracle oracle = new Oracle(2 * SECOND, -1);
    // 1 kHz with +-1 ms jitter: readings of one device arrive out of time order
    Gateways gateways = new Gateways(5, 30, 1000, 1000, -3 * SECOND);
    TimeKeyStreamSet set = open(interval, 256 << 10, null);
    try {
      for (int step = 0; step < 4000; step++) {
        List<TimeKey> batch = gateways.next();
        assertThat(set.insert(batch)).as("batch %d", step).containsExactly(oracle.insert(batch));
        if (step % 1000 == 999) {
          assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
          set.close();
          set = open(interval, 256 << 10, null);
        }
      }
      for (List<TimeKey> late : gateways.drainHeldBack()) {
        assertThat(set.insert(late)).containsExactly(oracle.insert(late));
      }
      assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
      assertThat(set.stats().peakBytesInMemory()).isLessThanOrEqualTo((256 << 10) * 11 / 10);
      Random random = new Random(2);
      for (int i = 0; i < 3000; i++) {
        TimeKey key = gateways.reading(random.nextInt(30), random.nextInt(20_000));
        assertThat(set.contains(key)).as("%s", key).isEqualTo(oracle.keys.contains(key));
      }
    } finally {
      set.close();
    }
  }

  @Test
  void twoThreadsInsertingGatewayBatchesOfSharedDevicesAnswerEachKeyNewOnce() throws Exception {
    Gateways gateways = new Gateways(8, 40, 1000, 1000, Workload.EPOCH);
    List<List<TimeKey>> batches = new ArrayList<>();
    java.util.Set<TimeKey> distinct = new java.util.HashSet<>();
    for (int b = 0; b < 3000; b++) {
      List<TimeKey> batch = gateways.next();
      batches.add(batch);
      distinct.addAll(batch);
    }
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(5), MemoryLimit.LOW, null)) {
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<Long>> results = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  long news = 0;
                  for (int b = thread; b < batches.size(); b += 2) {
                    for (boolean isNew : set.insert(batches.get(b))) {
                      news += isNew ? 1 : 0;
                    }
                  }
                  return news;
                }));
      }
      long totalNew = results.get(0).get(2, TimeUnit.MINUTES) + results.get(1).get();
      pool.shutdown();
      assertThat(totalNew).isEqualTo(distinct.size());
      assertThat(set.stats().keys()).isEqualTo(distinct.size());
      for (TimeKey key : distinct) {
        assertThat(set.contains(key)).isTrue();
      }
      for (int d = 0; d < 40; d++) {
        TimeKey absent = TimeKey.of(gateways.reading(d, 7).micros() + 1, 1 + d / 3, d % 3);
        assertThat(set.contains(absent)).isEqualTo(distinct.contains(absent));
      }
    }
  }

  @Test
  void aWorkloadTenTimesTheMemoryLimitRunsToTheEndWithinIt() {
    long limit = 256 << 10;
    long minute = 60 * SECOND;
    Oracle oracle = new Oracle(2 * minute, -1);
    Random random = new Random(21);
    int devices = 40;
    long[] next = new long[devices];
    Arrays.fill(next, Workload.EPOCH);
    List<List<TimeKey>> sent = new ArrayList<>();
    try (TimeKeyStreamSet set = open(Duration.ofMinutes(2), limit, null)) {
      for (int b = 0; b < 3000; b++) {
        List<TimeKey> batch;
        if (b % 50 == 49) {
          batch = sent.get(random.nextInt(sent.size())); // re-sent long after: its segment is cold
        } else {
          int device = b % devices;
          batch = new ArrayList<>();
          for (int i = 0; i < 500; i++) {
            batch.add(TimeKey.of(next[device] + random.nextInt(2000), 7, device)); // jittery 10 Hz
            next[device] += 100_000;
          }
          sent.add(batch);
        }
        assertThat(set.insert(batch)).as("batch %d", b).containsExactly(oracle.insert(batch));
        assertThat(set.stats().bytesInMemory()).isLessThanOrEqualTo(limit * 11 / 10);
      }
      TimeKeyStats stats = set.stats();
      assertThat(stats.keys()).isEqualTo(oracle.keys.size());
      // the data is many times the limit, yet memory never went above it by more than 10 %
      set.checkpoint();
      assertThat(set.stats().segmentsOnDisk()).isGreaterThan(20);
      assertThat(stats.peakBytesInMemory()).isLessThanOrEqualTo(limit * 11 / 10);
      assertThat(stats.evictions()).isGreaterThan(10);
      assertThat(stats.loads()).isPositive();
      assertThat(oracle.keys.size() * 2L).as("about 2 bytes a key").isGreaterThan(10 * limit);
    }
  }

  /**
   * Online devices (gateway and device batches, jittered, re-sent and late) and offline devices
   * that upload old readings from time to time, with a memory limit below one segment: every answer
   * matches a HashSet through evictions, checkpoints of partly resident segments and reopens, and
   * memory never goes more than 10 % over the limit.
   */
  @Test
  void aMemoryLimitBelowOneSegmentKeepsEveryAnswerExactThroughBackfillsCheckpointsAndReopen() {
    long limit = 64 << 10;
    Duration interval = Duration.ofSeconds(30);
    Oracle oracle = new Oracle(30 * SECOND, -1);
    int online = 200;
    int offline = 60;
    // 100 Hz, +-2 ms: about 2 bytes a key, so a segment of the online devices is several times
    // the limit
    Gateways gateways = new Gateways(31, online, 10_000, 2_000, Workload.EPOCH);
    Random random = new Random(32);
    long evictions = 0;
    long loads = 0;
    int backfills = 0;
    TimeKeyStreamSet set = open(interval, limit, null);
    try {
      for (int step = 0; step < 2500; step++) {
        List<TimeKey> batch;
        if (step % 8 == 7) {
          // an offline device uploads readings from anywhere in the past so far
          int device = online + random.nextInt(offline);
          long newestTick =
              oracle.newest == Long.MIN_VALUE ? 1 : (oracle.newest - Workload.EPOCH) / 10_000;
          long from = random.nextInt((int) Math.max(1, newestTick));
          batch = new ArrayList<>();
          for (int i = 0, n = 20 + random.nextInt(400); i < n; i++) {
            batch.add(gateways.reading(device, from + i));
          }
          backfills++;
        } else {
          batch = gateways.next();
        }

        assertThat(set.insert(batch)).as("batch %d", step).containsExactly(oracle.insert(batch));
        if (step % 300 == 299) {
          set.checkpoint();
        }
        if (step % 800 == 799) {
          TimeKeyStats stats = set.stats();
          evictions += stats.evictions();
          loads += stats.loads();
          assertThat(stats.keys()).isEqualTo(oracle.keys.size());
          assertThat(stats.peakBytesInMemory()).isLessThanOrEqualTo(limit * 11 / 10);
          set.close();
          set = open(interval, limit, null);
        }
      }
      for (List<TimeKey> late : gateways.drainHeldBack()) {
        assertThat(set.insert(late)).containsExactly(oracle.insert(late));
      }
      TimeKeyStats stats = set.stats();
      evictions += stats.evictions();
      loads += stats.loads();
      assertThat(stats.keys()).isEqualTo(oracle.keys.size());
      assertThat(stats.peakBytesInMemory()).isLessThanOrEqualTo(limit * 11 / 10);
      List<TimeKey> all = new ArrayList<>(oracle.keys);
      for (int i = 0; i < 3000; i++) {
        TimeKey key = all.get(random.nextInt(all.size()));
        assertThat(set.contains(key)).as("%s", key).isTrue();
        TimeKey near = TimeKey.of(key.micros() + 1 + random.nextInt(3000), key.id());
        assertThat(set.contains(near)).as("%s", near).isEqualTo(oracle.keys.contains(near));
      }
      assertThat(set.stats().peakBytesInMemory()).isLessThanOrEqualTo(limit * 11 / 10);
    } finally {
      set.close();
    }
    long segments = (oracle.newest - Workload.EPOCH) / (30 * SECOND) + 1;
    assertThat(oracle.keys.size() * 2L / segments)
        .as("bytes of one segment, about 2 a key")
        .isGreaterThan(2 * limit);
    assertThat(backfills).isPositive();
    assertThat(evictions).isGreaterThan(1000);
    assertThat(loads).isPositive();
  }

  /**
   * Once a segment of 200 devices is out of memory, a late batch of one of its devices reads that
   * device's stream alone: one load, and memory grows by a few KiB, not by the segment.
   */
  @Test
  void aLateBatchIntoAnEvictedSegmentReadsOnlyItsDevicesStream() {
    long limit = 256 << 10;
    Oracle oracle = new Oracle(10 * SECOND, -1);
    Gateways gateways = new Gateways(41, 200, 10_000, 2_000, Workload.EPOCH);
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(10), limit, null)) {
      // 200 devices x 6,000 ticks of 10 ms: six segments, each larger than the limit
      for (int tick = 0; tick < 6000; tick += 500) {
        for (int device = 0; device < 200; device++) {
          List<TimeKey> batch = new ArrayList<>();
          for (int i = 0; i < 500; i++) {
            batch.add(gateways.reading(device, tick + i));
          }
          assertThat(set.insert(batch)).containsExactly(oracle.insert(batch));
        }
      }
      set.checkpoint();
      TimeKeyStats before = set.stats();
      assertThat(before.segmentsInMemory()).isLessThan(6);
      // device 7 re-sends 100 readings of the first segment and adds 100 it had not sent
      List<TimeKey> late = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        late.add(gateways.reading(7, 300 + i));
        late.add(TimeKey.of(gateways.reading(7, 300 + i).micros() + 1, 1 + 7 / 3, 7 % 3));
      }
      assertThat(set.insert(late)).containsExactly(oracle.insert(late));
      TimeKeyStats after = set.stats();
      assertThat(after.loads() - before.loads()).isEqualTo(1);
      assertThat(after.bytesInMemory() - before.bytesInMemory()).isLessThan(8 << 10);
      assertThat(after.keys()).isEqualTo(oracle.keys.size());
      assertThat(after.peakBytesInMemory()).isLessThanOrEqualTo(limit * 11 / 10);
      for (TimeKey key : late) {
        assertThat(set.contains(key)).isTrue();
      }
    }
  }

  /** A directory written with format version 1 reads back, and changed segments become v2. */
  @Test
  void readsVersion1SegmentFilesAndRewritesChangedOnesAsVersion2() throws Exception {
    Path golden = Path.of("src/test/resources/timekey-v1");
    try (Stream<Path> files = Files.list(golden)) {
      for (Path file : files.toList()) {
        Files.copy(file, dir.resolve(file.getFileName()));
      }
    }
    long epoch = 1_700_000_000_000_000L;
    List<TimeKey> written = new ArrayList<>();
    for (int d = 0; d < 6; d++) {
      for (int i = 0; i < 2500; i++) {
        written.add(TimeKey.of(epoch + d * 7 + i * (10_000L + d), 1 + d / 3, d % 3));
      }
    }
    Path first = dir.resolve("0001700000000000000.tks");
    Path third = dir.resolve("0001700000020000000.tks");
    assertThat(Files.readAllBytes(first)[4]).isEqualTo((byte) 1);
    List<TimeKey> added = run(1, 0, epoch + 5, 10_000, 100); // between device 0's keys
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(10), 64 << 10, null)) {
      assertThat(set.stats().keys()).isEqualTo(15_000);
      for (TimeKey key : written) {
        assertThat(set.contains(key)).as("%s", key).isTrue();
        assertThat(set.contains(TimeKey.of(key.micros() + 1, key.id()))).isFalse();
      }
      assertThat(set.insert(written.subList(0, 500))).containsOnly(false);
      assertThat(set.insert(added)).containsOnly(true);
    }
    assertThat(Files.readAllBytes(first)[4]).as("changed: version 2").isEqualTo((byte) 2);
    assertThat(Files.readAllBytes(third)[4]).as("unchanged: still version 1").isEqualTo((byte) 1);
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(10), 64 << 10, null)) {
      assertThat(set.stats().keys()).isEqualTo(15_100);
      for (TimeKey key : written) {
        assertThat(set.contains(key)).isTrue();
      }
      for (TimeKey key : added) {
        assertThat(set.contains(key)).isTrue();
      }
    }
  }

  @Test
  void mutatedSegmentFilesRaiseCorruptionOrReadBackExactly() throws Exception {
    List<TimeKey> keys = new ArrayList<>();
    try (TimeKeyStreamSet set = open(Duration.ofHours(1), MemoryLimit.LOW, null)) {
      for (int device = 0; device < 5; device++) {
        List<TimeKey> run = run(3, device, Workload.EPOCH + device * 7, 1000 + device, 3000);
        keys.addAll(run);
        set.insert(run);
      }
    }
    Path file = TestFiles.timeKeySegment(dir, Workload.EPOCH - Workload.EPOCH % 3_600_000_000L);
    byte[] original = Files.readAllBytes(file);
    Random random = new Random(8);
    int detected = 0;
    for (int round = 0; round < 150; round++) {
      byte[] mutated = original.clone();
      if (round % 10 == 9) {
        mutated = Arrays.copyOf(original, random.nextInt(original.length));
      } else {
        for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
          int at = random.nextInt(mutated.length);
          mutated[at] ^= (byte) (1 << random.nextInt(8));
        }
      }
      Files.write(file, mutated);
      try (TimeKeyStreamSet set = TimeKeyStreamSet.builder().directory(dir).build()) {
        for (int probe = 0; probe < 20; probe++) {
          // every device at least once: a stream's chunk is checked when it is read
          int device = probe < 5 ? probe : random.nextInt(5);
          TimeKey key = keys.get(device * 3000 + random.nextInt(3000));
          assertThat(set.contains(key)).isTrue();
          assertThat(set.contains(TimeKey.of(key.micros() + 1, 99, 99))).isFalse();
        }
      } catch (DepotCorruptionException e) {
        assertThat(e.file()).isEqualTo(file.toAbsolutePath());
        detected++;
      }
    }
    assertThat(detected).isEqualTo(150); // every byte of the file is under a checksum
    Files.write(file, original);
  }

  @Test
  void anInsertThatCannotMakeRoomFailsBeforeChangingAnythingAndWorksOnceTheDiskDoes()
      throws Exception {
    long limit = 64 << 10;
    Oracle oracle = new Oracle(60 * SECOND, -1);
    try (TimeKeyStreamSet set = open(Duration.ofMinutes(1), limit, null)) {
      // Jittery keys, one minute per batch: each batch fills a segment of about 12 KiB.
      Random random = new Random(4);
      List<List<TimeKey>> batches = new ArrayList<>();
      for (int b = 0; b < 40; b++) {
        List<TimeKey> batch = new ArrayList<>();
        for (int i = 0; i < 6000; i++) {
          batch.add(
              TimeKey.of(
                  Workload.EPOCH + b * 60 * SECOND + i * 10_000L + random.nextInt(5000), 2, 2));
        }
        batches.add(batch);
      }
      // Writing fails: the spill log eviction appends to, and every temporary name a checkpoint
      // writes a segment file under, are taken by directories.
      List<Path> blockers = new ArrayList<>();
      blockers.add(dir.resolve("spill.tku"));
      for (int b = 0; b < 40; b++) {
        blockers.add(
            dir.resolve(
                TestFiles.timeKeySegmentName(
                        Workload.EPOCH - Workload.EPOCH % (60 * SECOND) + b * 60 * SECOND)
                    + ".tmp"));
      }
      for (Path blocker : blockers) {
        Files.createDirectories(blocker.resolve("in-the-way"));
      }
      int b = 0;
      DepotException failure = null;
      for (; b < batches.size(); b++) {
        try {
          set.insert(batches.get(b));
        } catch (DepotException e) {
          failure = e;
          break;
        }
        oracle.insert(batches.get(b));
      }
      assertThat(failure).as("eviction could not write a segment").isNotNull();
      assertThat(failure.getMessage()).contains(".tku");
      // the failed call inserted nothing
      assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
      for (TimeKey key : batches.get(b)) {
        assertThat(set.contains(key)).isFalse();
      }
      for (Path blocker : blockers) {
        Files.delete(blocker.resolve("in-the-way"));
        Files.delete(blocker);
      }
      for (; b < batches.size(); b++) {
        assertThat(set.insert(batches.get(b))).containsExactly(oracle.insert(batches.get(b)));
      }
      assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
      assertThat(set.stats().peakBytesInMemory()).isGreaterThan(limit); // it did run over
    }
  }

  @Test
  void retentionDropsWholeSegmentsBehindTheNewestKeyAndChangesOnReopen() {
    Duration interval = Duration.ofSeconds(10);
    Oracle oracle = new Oracle(10 * SECOND, 60 * SECOND);
    Workload workload = new Workload(12, 6, 2, 10 * SECOND, 300);
    try (TimeKeyStreamSet set = open(interval, 1 << 20, Duration.ofSeconds(60))) {
      for (int step = 0; step < 1500; step++) {
        List<TimeKey> batch = workload.next();
        assertThat(set.insert(batch)).as("batch %d", step).containsExactly(oracle.insert(batch));
      }
      for (List<TimeKey> late : workload.drainHeldBack()) {
        assertThat(set.insert(late)).containsExactly(oracle.insert(late));
      }
      assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
      assertThat(set.stats().segmentsInMemory() + set.stats().segmentsOnDisk())
          .isLessThanOrEqualTo(8);
    }
    // a shorter retention on reopen applies at once, with no rebuild
    Oracle shorter = new Oracle(10 * SECOND, 20 * SECOND);
    shorter.keys.addAll(oracle.keys);
    shorter.newest = oracle.newest;
    shorter.expireBefore(oracle.newest - 20 * SECOND);
    try (TimeKeyStreamSet set = open(interval, 1 << 20, Duration.ofSeconds(20))) {
      assertThat(set.stats().keys()).isEqualTo(shorter.keys.size()).isLessThan(oracle.keys.size());
      for (TimeKey key : oracle.keys) {
        assertThat(set.contains(key)).isEqualTo(shorter.keys.contains(key));
      }
    }
  }

  @Test
  void expireBeforeDropsWholeSegmentsAndForgetsTheirTime() throws Exception {
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(10), MemoryLimit.LOW, null)) {
      List<TimeKey> old = run(1, 1, Workload.EPOCH, SECOND, 25); // segments 0, 10 and 20 s
      set.insert(old);
      set.checkpoint();
      assertThat(set.stats().segmentsOnDisk()).isEqualTo(3);
      assertThat(set.expireBefore(Workload.EPOCH + 15 * SECOND)).isEqualTo(1);
      assertThat(set.contains(old.get(3))).isFalse();
      assertThat(set.contains(old.get(12))).isTrue();
      assertThat(set.stats().keys()).isEqualTo(15);
      assertThat(set.stats().segmentsOnDisk()).isEqualTo(2);
      // dropped time is forgotten: answered new, not stored
      assertThat(set.insert(List.of(old.get(3), old.get(3)))).containsExactly(true, true);
      assertThat(set.stats().keys()).isEqualTo(15);
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files.filter(p -> p.toString().endsWith(".tks"))).hasSize(2);
      }
    }
  }

  @Test
  void concurrentInsertersAgreeOnWhoInsertedEachKeyFirst() throws Exception {
    int threads = 4;
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(30), MemoryLimit.LOW, null)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<Long>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  long news = 0;
                  Random random = new Random(thread);
                  for (int b = 0; b < 400; b++) {
                    // devices 0..7 are shared by all threads, so batches collide
                    int device = random.nextInt(8);
                    long from = Workload.EPOCH + random.nextInt(300) * 1000L * 10;
                    for (boolean isNew : set.insert(run(1, device, from, 1000, 50))) {
                      news += isNew ? 1 : 0;
                    }
                  }
                  return news;
                }));
      }
      long totalNew = 0;
      for (Future<Long> f : results) {
        totalNew += f.get(2, TimeUnit.MINUTES);
      }
      pool.shutdown();
      assertThat(totalNew).isEqualTo(set.stats().keys());
      // every key inserted by anyone is there, each answered new exactly once
      long distinct = 0;
      for (int device = 0; device < 8; device++) {
        for (long t = 0; t < 300 * 10 + 50; t++) {
          if (set.contains(TimeKey.of(Workload.EPOCH + t * 1000, 1, device))) {
            distinct++;
          }
        }
      }
      assertThat(distinct).isEqualTo(totalNew);
    }
  }

  @Test
  void reopeningAfterCloseGivesExactlyTheSameSet() {
    Oracle oracle = new Oracle(10 * SECOND, -1);
    Workload workload = new Workload(13, 5, 2, 10 * SECOND, 200);
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(10), MemoryLimit.LOW, null)) {
      for (int i = 0; i < 500; i++) {
        List<TimeKey> batch = workload.next();
        set.insert(batch);
        oracle.insert(batch);
      }
    }
    try (TimeKeyStreamSet set = TimeKeyStreamSet.builder().directory(dir).build()) {
      assertThat(set.stats().keys()).isEqualTo(oracle.keys.size());
      List<TimeKey> all = new ArrayList<>(oracle.keys);
      assertThat(set.insert(all)).containsExactly(all(all.size(), false));
    }
  }

  @Test
  void aDifferentSegmentIntervalOnReopenIsRefusedNamingBoth() {
    try (TimeKeyStreamSet set = open(Duration.ofMinutes(10), MemoryLimit.LOW, null)) {
      set.insert(List.of(TimeKey.of(Workload.EPOCH, 1, 1)));
    }
    assertThatThrownBy(() -> open(Duration.ofHours(1), MemoryLimit.LOW, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "segmentInterval PT1H does not match PT10M, the interval the time-key set in "
                + dir.toAbsolutePath()
                + " was created with; set segmentInterval to that or leave it unset");
    try (TimeKeyStreamSet set = TimeKeyStreamSet.builder().directory(dir).build()) {
      assertThat(set.contains(TimeKey.of(Workload.EPOCH, 1, 1))).isTrue();
    }
  }

  @Test
  void aSecondOpenOfTheSameDirectoryIsRefused() {
    try (TimeKeyStreamSet set = open(Duration.ofHours(1), MemoryLimit.LOW, null)) {
      assertThatThrownBy(() -> open(Duration.ofHours(1), MemoryLimit.LOW, null))
          .isInstanceOf(DepotLockedException.class)
          .hasMessageContaining("already open for writing in this process");
      assertThat(set.stats().keys()).isZero();
    }
  }

  @Test
  void aCorruptSegmentFileRaisesAnExceptionNamingIt() throws Exception {
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(10), MemoryLimit.LOW, null)) {
      set.insert(run(1, 1, Workload.EPOCH, 1000, 20_000)); // two segments
    }
    Path first = TestFiles.timeKeySegment(dir, Workload.EPOCH);
    Path second = TestFiles.timeKeySegment(dir, Workload.EPOCH + 10 * SECOND);
    // a damaged chunk (the stream's keys, right after the 64-byte header) is found when read
    try (RandomAccessFile f = new RandomAccessFile(first.toFile(), "rw")) {
      f.seek(64 + 40);
      int b = f.read();
      f.seek(64 + 40);
      f.write(b ^ 0x40);
    }
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(10), MemoryLimit.LOW, null)) {
      assertThat(set.contains(TimeKey.of(Workload.EPOCH + 10 * SECOND, 1, 1))).isTrue();
      assertThatThrownBy(() -> set.contains(TimeKey.of(Workload.EPOCH, 1, 1)))
          .isInstanceOf(DepotCorruptionException.class)
          .hasMessageContaining(first.toAbsolutePath().toString());
    }
    // a damaged header is found on open
    try (RandomAccessFile f = new RandomAccessFile(second.toFile(), "rw")) {
      f.seek(30);
      f.write(0x7F);
    }
    assertThatThrownBy(() -> open(Duration.ofSeconds(10), MemoryLimit.LOW, null))
        .isInstanceOf(DepotCorruptionException.class)
        .hasMessageContaining(second.toAbsolutePath().toString())
        .hasMessageContaining("segment header checksum mismatch");
  }

  @Test
  void aDamagedPageTableIsRefusedOnOpenNamingTheFile() throws Exception {
    try (TimeKeyStreamSet set = open(Duration.ofSeconds(10), MemoryLimit.LOW, null)) {
      set.insert(run(1, 1, Workload.EPOCH, 1000, 5000));
    }
    Path file = TestFiles.timeKeySegment(dir, Workload.EPOCH);
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 3] ^= 0x10; // the page table ends the file
    Files.write(file, bytes);
    assertThatThrownBy(() -> open(Duration.ofSeconds(10), MemoryLimit.LOW, null))
        .isInstanceOf(DepotCorruptionException.class)
        .hasMessageContaining(file.toAbsolutePath().toString())
        .hasMessageContaining("page table checksum mismatch");
  }

  @Test
  void aTemporarySetDeletesItsDirectoryOnClose() {
    Path where;
    try (TimeKeyStreamSet set = TimeKeyStreamSet.builder().build()) {
      where = set.directory();
      assertThat(set.insert(List.of(TimeKey.of(1, 1, 1)))).containsExactly(true);
      assertThat(where).isDirectory();
    }
    assertThat(where).doesNotExist();
  }

  @Test
  void builderRejectsBadSettingsNamingThem() {
    assertThatThrownBy(() -> TimeKeyStreamSet.builder().memoryLimit(1000))
        .hasMessage("memoryLimit must be between 65536 and 1099511627776 bytes, was 1000");
    assertThatThrownBy(() -> TimeKeyStreamSet.builder().segmentInterval(Duration.ofNanos(5)))
        .hasMessage("segmentInterval must be between 1 ms and 366 days, was PT0.000000005S");
    assertThatThrownBy(() -> TimeKeyStreamSet.builder().retention(Duration.ZERO))
        .hasMessage("retention must be positive, was PT0S");
  }

  @Test
  void verifyReadsEverySegmentOnDiskAndNamesADamagedOne(@TempDir Path dir) throws Exception {
    try (TimeKeyStreamSet set =
        TimeKeyStreamSet.builder().directory(dir).segmentInterval(Duration.ofSeconds(1)).build()) {
      for (int s = 0; s < 5; s++) {
        set.insert(
            List.of(TimeKey.of(s * 1_000_000L + 7, 1, 1), TimeKey.of(s * 1_000_000L + 9, 1, 2)));
      }
    }
    try (TimeKeyStreamSet set = TimeKeyStreamSet.builder().directory(dir).build()) {
      set.verify(); // all whole
    }
    Path victim;
    try (var files = Files.list(dir)) {
      victim =
          files
              .filter(f -> f.toString().endsWith(".tks"))
              .sorted()
              .skip(2)
              .findFirst()
              .orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(victim);
    bytes[HEADER_V2_BYTES + 1] ^= 0x21; // in the first chunk: found when read, not on open
    Files.write(victim, bytes);
    try (TimeKeyStreamSet set = TimeKeyStreamSet.builder().directory(dir).build()) {
      assertThatThrownBy(set::verify)
          .isInstanceOf(DepotCorruptionException.class)
          .hasMessageContaining(victim.getFileName().toString());
    }
  }

  @Test
  void theSegmentIntervalIsTheOneTheDirectoryWasCreatedWith(@TempDir Path dir) {
    try (TimeKeyStreamSet set = TimeKeyStreamSet.builder().directory(dir).build()) {
      assertThat(set.segmentInterval()).isEqualTo(TimeKeyStreamSet.DEFAULT_SEGMENT_INTERVAL);
    }
    Path other = dir.resolve("two-hours");
    try (TimeKeyStreamSet set =
        TimeKeyStreamSet.builder().directory(other).segmentInterval(Duration.ofHours(2)).build()) {
      assertThat(set.segmentInterval()).isEqualTo(Duration.ofHours(2));
    }
    try (TimeKeyStreamSet set = TimeKeyStreamSet.builder().directory(other).build()) {
      assertThat(set.segmentInterval()).isEqualTo(Duration.ofHours(2));
    }
  }
}
