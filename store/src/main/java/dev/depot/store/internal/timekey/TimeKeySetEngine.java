package dev.depot.store.internal.timekey;

import dev.depot.store.DepotException;
import dev.depot.store.internal.DirectoryLock;
import dev.depot.store.internal.FileSync;
import dev.depot.store.timekey.TimeKey;
import dev.depot.store.timekey.TimeKeyStats;
import dev.depot.store.timekey.TimeKeyStreamSet;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * The time-key stream set: segments by time interval in a {@link LongObjectMap} keyed by their
 * start, resident or on disk, with a memory account that drives least-recently-used eviction.
 *
 * <p>Locks, in the order they may be taken: {@code checkpointLock}, {@code evictionLock}, one
 * {@link Slot#lock} (never two at once), a stream's monitor.
 */
public final class TimeKeySetEngine implements TimeKeyStreamSet {
  private static final System.Logger LOG = System.getLogger(TimeKeySetEngine.class.getName());
  private static final long DEFAULT_INTERVAL_MICROS = 3_600_000_000L;

  /** Accounted size of an empty resident segment: objects and its stream map. */
  private static final long SEGMENT_OVERHEAD_BYTES = 512;

  private final Path dir;
  private final boolean temporary;
  private final long interval;
  private final long limit;
  private final long retention;
  private final DirectoryLock directoryLock;

  private final LongObjectMap<Slot> slots = new LongObjectMap<>();
  private volatile Slot hot;

  private final AtomicLong memory = new AtomicLong();
  private final AtomicLong peakMemory = new AtomicLong();
  private final AtomicLong keys = new AtomicLong();
  private final AtomicLong newest = new AtomicLong(Long.MIN_VALUE);

  /** Segments starting below this are dropped: keys there are answered new and not stored. */
  private final AtomicLong droppedBelow = new AtomicLong(Long.MIN_VALUE);

  private final AtomicLong evictions = new AtomicLong();
  private final AtomicLong loads = new AtomicLong();
  private final ReentrantLock evictionLock = new ReentrantLock();
  private final Object checkpointLock = new Object();
  private volatile boolean closed;
  private boolean warnedOversize;

  private TimeKeySetEngine(
      Path dir, boolean temporary, long interval, SetConfig config, DirectoryLock lock) {
    this.dir = dir;
    this.temporary = temporary;
    this.interval = interval;
    this.limit = config.memoryLimit();
    this.retention = config.retentionMicros();
    this.directoryLock = lock;
  }

  /** Opens a set as {@code config} says; on failure releases what it took. */
  public static TimeKeySetEngine open(SetConfig config) {
    boolean temporary = config.directory() == null;
    Path dir;
    try {
      dir =
          temporary
              ? Files.createTempDirectory("timekeys-")
              : Files.createDirectories(config.directory()).toAbsolutePath();
    } catch (IOException e) {
      throw new DepotException(
          "cannot create the time-key set directory " + config.directory() + ": " + e, e);
    }
    DirectoryLock lock = DirectoryLock.acquire(dir, "time-key set " + dir, "use another directory");
    try {
      long interval = resolveInterval(dir, config.intervalMicros());
      TimeKeySetEngine set = new TimeKeySetEngine(dir, temporary, interval, config, lock);
      set.readDirectory();
      set.applyRetention();
      return set;
    } catch (IOException e) {
      closeQuietly(lock);
      throw new DepotException("cannot open the time-key set in " + dir + ": " + e, e);
    } catch (RuntimeException e) {
      closeQuietly(lock);
      throw e;
    }
  }

  private static long resolveInterval(Path dir, long requested) throws IOException {
    long stored = SetMeta.readInterval(dir);
    if (stored < 0) {
      long interval = requested > 0 ? requested : DEFAULT_INTERVAL_MICROS;
      SetMeta.write(dir, interval);
      return interval;
    }
    if (requested > 0 && requested != stored) {
      throw new IllegalArgumentException(
          "segmentInterval "
              + Duration.ofNanos(requested * 1000)
              + " does not match "
              + Duration.ofNanos(stored * 1000)
              + ", the interval the time-key set in "
              + dir
              + " was created with; set segmentInterval to that or leave it unset");
    }
    return stored;
  }

  /** Registers every segment file by its header; segments load when first used. */
  private void readDirectory() throws IOException {
    try (DirectoryStream<Path> temps =
        Files.newDirectoryStream(dir, "*" + SegmentFile.TEMP_SUFFIX)) {
      for (Path temp : temps) {
        Files.deleteIfExists(temp);
      }
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SegmentFile.SUFFIX)) {
      for (Path file : files) {
        Long named = SegmentFile.parseFileName(file.getFileName().toString());
        if (named == null) {
          continue;
        }
        long start = named;
        if (SegmentTime.startOf(start, interval) != start) {
          throw new dev.depot.store.DepotCorruptionException(
              file, 0, "file name is not at a boundary of " + interval + " us segments");
        }
        SegmentFile.Header header = SegmentFile.readHeader(file);
        Slot slot = new Slot(start);
        slot.onDisk = true;
        slot.diskBytes = SegmentFile.HEADER_BYTES + header.compressedBytes();
        slot.keys.set(header.keys());
        slot.residentEstimate = header.memoryEstimate() + SEGMENT_OVERHEAD_BYTES;
        slots.putValue(start, slot);
        keys.addAndGet(header.keys());
        newest.accumulateAndGet(header.newestMicros(), Math::max);
      }
    }
  }

  // ---- inserts ----

  @Override
  public boolean[] insert(List<TimeKey> batch) {
    Objects.requireNonNull(batch, "batch cannot be null");
    int n = batch.size();
    InsertContext ctx = InsertContext.CURRENT.get();
    ctx.ensureList(n);
    long[] micros = ctx.listMicros;
    long[] ids = ctx.listIds;
    int i = 0;
    for (TimeKey key : batch) {
      Objects.requireNonNull(key, "batch cannot contain null");
      micros[i] = key.micros();
      ids[i++] = key.id();
    }
    boolean[] isNew = new boolean[n];
    insert(micros, ids, 0, n, isNew);
    return isNew;
  }

  @Override
  public int insert(long[] micros, long[] ids, int offset, int length, boolean[] isNew) {
    Objects.requireNonNull(micros, "micros cannot be null");
    Objects.requireNonNull(ids, "ids cannot be null");
    Objects.requireNonNull(isNew, "isNew cannot be null");
    Objects.checkFromIndexSize(offset, length, micros.length);
    Objects.checkFromIndexSize(offset, length, ids.length);
    Objects.checkFromIndexSize(offset, length, isNew.length);
    int end = offset + length;
    checkOpen();
    // Everything that may fail with an I/O error happens before the first key is inserted, so that
    // a failed call changed nothing and can be retried: making room, then loading the segments.
    if (memory.get() > limit) {
      evict(limit - limit / 10, null);
    }
    long below = droppedBelow.get();
    loadSegmentsOf(micros, offset, end, below);
    InsertContext ctx = InsertContext.CURRENT.get();
    if (length > 1 && isMixed(ids, offset, end)) {
      return insertGrouped(micros, ids, offset, end, isNew, below, ctx);
    }
    long maxMicros = Long.MIN_VALUE;
    int added = 0;
    int i = offset;
    while (i < end) {
      long id = ids[i];
      long start = SegmentTime.startOf(micros[i], interval);
      long last = SegmentTime.lastOf(micros[i], interval);
      long runMax = micros[i];
      int j = i + 1;
      while (j < end && ids[j] == id && micros[j] >= start && micros[j] <= last) {
        runMax = Math.max(runMax, micros[j]);
        j++;
      }
      maxMicros = Math.max(maxMicros, runMax);
      if (start < below) {
        answerForgotten(isNew, i, j);
      } else {
        added += insertRun(start, id, micros, i, j, isNew, ctx);
        if (memory.get() > limit) {
          evictQuietly(); // a batch spread over many segments
        }
      }
      i = j;
    }
    if (added > 0) {
      keys.addAndGet(added);
    }
    if (maxMicros > newest.get()) {
      newest.accumulateAndGet(maxMicros, Math::max);
    }
    afterInsert();
    return added;
  }

  /**
   * Whether a batch interleaves ids so much (runs of fewer than 16 keys on average, as gateways
   * send) that grouping it first beats inserting run by run.
   */
  private static boolean isMixed(long[] ids, int from, int to) {
    if (ids[from] == ids[to - 1] && ids[from] == ids[(from + to) >>> 1]) {
      return false; // most likely one device's batch: the run loop finds out at no cost
    }
    int runs = 1;
    for (int i = from + 1; i < to; i++) {
      if (ids[i] != ids[i - 1]) {
        runs++;
      }
    }
    return runs * 16 > to - from;
  }

  /**
   * Inserts a mixed batch: one pass assigns each key to a group (segment and id) through a small
   * hash table, a counting pass lays the groups out one after another, then each segment's groups
   * are inserted under one lock and one memory update, each group with one stream lookup.
   */
  private int insertGrouped(
      long[] micros,
      long[] ids,
      int offset,
      int end,
      boolean[] isNew,
      long below,
      InsertContext ctx) {
    int n = end - offset;
    ctx.ensureGrouping(n);
    int[] keyGroup = ctx.keyGroup;
    int[] table = ctx.groupTable;
    int mask = table.length - 1;
    int groups = 0;
    long start = 0;
    long last = -1;
    long maxMicros = Long.MIN_VALUE;
    for (int k = 0; k < n; k++) {
      long t = micros[offset + k];
      if (t < start || t > last) {
        start = SegmentTime.startOf(t, interval);
        last = SegmentTime.lastOf(t, interval);
      }
      maxMicros = Math.max(maxMicros, t);
      long id = ids[offset + k];
      long h = (id * 0x9E3779B97F4A7C15L) ^ (start * 0xC2B2AE3D27D4EB4FL);
      int at = (int) (h ^ (h >>> 29)) & mask;
      int g;
      while (true) {
        int entry = table[at];
        if (entry == 0) {
          g = groups++;
          ctx.ensureGroup(g);
          table[at] = g + 1;
          ctx.groupSegment[g] = start;
          ctx.groupId[g] = id;
          ctx.groupCount[g] = 0;
          break;
        }
        g = entry - 1;
        if (ctx.groupId[g] == id && ctx.groupSegment[g] == start) {
          break;
        }
        at = (at + 1) & mask;
      }
      ctx.groupCount[g]++;
      keyGroup[k] = g;
    }
    java.util.Arrays.fill(table, 0);
    int[] groupStart = ctx.groupStart;
    int[] cursor = ctx.groupCursor;
    int position = 0;
    for (int g = 0; g < groups; g++) {
      groupStart[g] = position;
      cursor[g] = position;
      position += ctx.groupCount[g];
    }
    int[] order = ctx.order;
    long[] groupMicros = ctx.groupMicros;
    for (int k = 0; k < n; k++) {
      int p = cursor[keyGroup[k]]++;
      order[p] = offset + k;
      groupMicros[p] = micros[offset + k];
    }
    boolean[] groupNew = ctx.groupNew;
    int added = 0;
    int g = 0;
    while (g < groups) {
      long segment = ctx.groupSegment[g];
      int h = g + 1;
      while (h < groups && ctx.groupSegment[h] == segment) {
        h++;
      }
      if (segment < below) {
        answerForgotten(groupNew, groupStart[g], groupStart[h - 1] + ctx.groupCount[h - 1]);
      } else {
        added += insertGroups(segment, g, h, ctx);
        if (memory.get() > limit) {
          evictQuietly();
        }
      }
      g = h;
    }
    for (int p = 0; p < n; p++) {
      isNew[order[p]] = groupNew[p];
    }
    if (added > 0) {
      keys.addAndGet(added);
    }
    if (maxMicros > newest.get()) {
      newest.accumulateAndGet(maxMicros, Math::max);
    }
    afterInsert();
    return added;
  }

  /** Inserts groups {@code [from, to)} of the batch {@code ctx} holds, all of one segment. */
  private int insertGroups(long start, int from, int to, InsertContext ctx) {
    long[] groupMicros = ctx.groupMicros;
    boolean[] groupNew = ctx.groupNew;
    while (true) {
      Slot slot = slotFor(start);
      Lock read = slot.lock.readLock();
      read.lock();
      try {
        Segment segment = slot.segment;
        if (segment != null && !slot.dropped) {
          ctx.memoryDelta = 0;
          int added = 0;
          for (int g = from; g < to; g++) {
            int first = ctx.groupStart[g];
            added +=
                segment.insert(
                    ctx.groupId[g], groupMicros, first, first + ctx.groupCount[g], groupNew, ctx);
          }
          slot.lastUsed = System.nanoTime();
          if (added > 0) {
            if (!slot.dirty) {
              slot.dirty = true;
            }
            slot.keys.addAndGet(added);
          }
          account(slot, ctx.memoryDelta);
          return added;
        }
      } finally {
        read.unlock();
      }
      if (slot.dropped) {
        if (start < droppedBelow.get()) {
          answerForgotten(
              groupNew, ctx.groupStart[from], ctx.groupStart[to - 1] + ctx.groupCount[to - 1]);
          return 0;
        }
        continue;
      }
      load(slot);
    }
  }

  /** Makes the segments a batch touches resident (loading those that are on disk only). */
  private void loadSegmentsOf(long[] micros, int from, int to, long below) {
    long start = 0;
    long last = -1;
    for (int i = from; i < to; i++) {
      long t = micros[i];
      if (t >= start && t <= last) {
        continue;
      }
      start = SegmentTime.startOf(t, interval);
      last = SegmentTime.lastOf(t, interval);
      if (start >= below) {
        Slot slot = slots.get(start);
        if (slot != null && slot.segment == null && !slot.dropped) {
          load(slot);
        }
      }
    }
  }

  /**
   * Evicts after keys were inserted: an I/O error here must not take the answers away from the
   * caller. It is logged, and the next insert, which first makes room, reports it.
   */
  private void evictQuietly() {
    try {
      evict(limit - limit / 10, null);
    } catch (DepotException e) {
      LOG.log(System.Logger.Level.ERROR, "cannot evict from " + dir + "; the next insert fails", e);
    }
  }

  private static void answerForgotten(boolean[] isNew, int from, int to) {
    for (int k = from; k < to; k++) {
      isNew[k] = true;
    }
  }

  private int insertRun(
      long start, long id, long[] micros, int from, int to, boolean[] isNew, InsertContext ctx) {
    while (true) {
      Slot slot = slotFor(start);
      Lock read = slot.lock.readLock();
      read.lock();
      try {
        Segment segment = slot.segment;
        if (segment != null && !slot.dropped) {
          ctx.memoryDelta = 0;
          int added = segment.insert(id, micros, from, to, isNew, ctx);
          slot.lastUsed = System.nanoTime();
          if (added > 0) {
            slot.dirty = true;
            slot.keys.addAndGet(added);
          }
          account(slot, ctx.memoryDelta);
          return added;
        }
      } finally {
        read.unlock();
      }
      if (slot.dropped) {
        if (start < droppedBelow.get()) {
          answerForgotten(isNew, from, to);
          return 0;
        }
        continue; // dropped and replaced meanwhile: look it up again
      }
      load(slot);
    }
  }

  private Slot slotFor(long start) {
    Slot h = hot;
    if (h != null && h.startMicros == start && !h.dropped) {
      return h;
    }
    Slot slot = slots.computeIfAbsent(start, this::newSlot);
    hot = slot;
    return slot;
  }

  private Slot newSlot(long start) {
    Slot slot = new Slot(start);
    slot.segment = new Segment(start);
    slot.lastUsed = System.nanoTime();
    account(slot, SEGMENT_OVERHEAD_BYTES);
    return slot;
  }

  private void account(Slot slot, long delta) {
    if (delta == 0) {
      return;
    }
    slot.memory.addAndGet(delta);
    long now = memory.addAndGet(delta);
    if (now > peakMemory.get()) {
      peakMemory.accumulateAndGet(now, Math::max);
    }
  }

  /** Expiry and eviction after an insert; their I/O errors are logged, not thrown (see above). */
  private void afterInsert() {
    if (retention >= 0 && newest.get() != Long.MIN_VALUE) {
      long below =
          SegmentTime.startOf(SegmentTime.minusSaturated(newest.get(), retention), interval);
      if (below > droppedBelow.get()) {
        try {
          dropBelow(below);
        } catch (DepotException e) {
          LOG.log(System.Logger.Level.ERROR, "cannot drop expired segments of " + dir, e);
        }
      }
    }
    if (memory.get() > limit) {
      evictQuietly();
    }
  }

  // ---- lookups ----

  @Override
  public boolean contains(TimeKey key) {
    Objects.requireNonNull(key, "key cannot be null");
    checkOpen();
    long micros = key.micros();
    long start = SegmentTime.startOf(micros, interval);
    InsertContext ctx = InsertContext.CURRENT.get();
    boolean loaded = false;
    boolean found;
    while (true) {
      Slot slot = slots.get(start);
      if (slot == null) {
        found = false;
        break;
      }
      Lock read = slot.lock.readLock();
      read.lock();
      try {
        if (slot.dropped) {
          continue;
        }
        Segment segment = slot.segment;
        if (segment != null) {
          slot.lastUsed = System.nanoTime();
          found = segment.contains(micros, key.id(), ctx.decoded);
          break;
        }
      } finally {
        read.unlock();
      }
      load(slot);
      loaded = true;
    }
    if (loaded) {
      // A load may have pushed memory over the limit. Evicting only after the lookup: evicting
      // before it could drop the segment just loaded (one near the limit) and loop forever.
      afterInsert();
    }
    return found;
  }

  // ---- memory: loading and eviction ----

  private Path fileOf(Slot slot) {
    return dir.resolve(SegmentFile.fileName(slot.startMicros));
  }

  private void load(Slot slot) {
    long estimate = slot.residentEstimate;
    if (memory.get() + estimate > limit) {
      evict(Math.max(0, limit - estimate), slot);
    }
    Lock write = slot.lock.writeLock();
    write.lock();
    try {
      if (slot.segment != null || slot.dropped) {
        return;
      }
      if (!slot.onDisk) {
        slot.segment = new Segment(slot.startMicros);
        account(slot, SEGMENT_OVERHEAD_BYTES);
        return;
      }
      SegmentFile.Loaded loaded = SegmentFile.read(fileOf(slot), slot.startMicros, interval);
      slot.segment = loaded.segment();
      slot.dirty = false;
      slot.lastUsed = System.nanoTime();
      account(slot, loaded.memoryBytes() + SEGMENT_OVERHEAD_BYTES);
      loads.incrementAndGet();
    } catch (IOException e) {
      throw new DepotException("cannot read " + fileOf(slot) + ": " + e, e);
    } finally {
      write.unlock();
    }
  }

  @Override
  public void verify() {
    List<Slot> onDiskOnly = new ArrayList<>();
    for (Slot slot : slots.values()) {
      if (slot.onDisk && slot.segment == null && !slot.dropped) {
        onDiskOnly.add(slot);
      }
    }
    for (Slot slot : onDiskOnly) {
      Lock read = slot.lock.readLock();
      read.lock();
      try {
        if (slot.onDisk && slot.segment == null && !slot.dropped) {
          SegmentFile.read(fileOf(slot), slot.startMicros, interval);
        }
      } catch (IOException e) {
        throw new DepotException("cannot read " + fileOf(slot) + ": " + e, e);
      } finally {
        read.unlock();
      }
    }
  }

  /**
   * Evicts least recently used segments, other than {@code keep}, until memory is at most target.
   */
  private void evict(long target, Slot keep) {
    evictionLock.lock();
    try {
      while (memory.get() > target) {
        Slot victim = null;
        for (Slot slot : slots.values()) {
          if (slot != keep
              && slot.segment != null
              && !slot.dropped
              && (victim == null || slot.lastUsed < victim.lastUsed)) {
            victim = slot;
          }
        }
        if (victim == null) {
          return;
        }
        if (victim.memory.get() > limit && !warnedOversize) {
          warnedOversize = true;
          LOG.log(
              System.Logger.Level.WARNING,
              "segment {0} alone takes {1} bytes, more than the memory limit of {2}; it is written"
                  + " out and read back for every batch: lower segmentInterval or raise"
                  + " memoryLimit",
              fileOf(victim),
              victim.memory.get(),
              limit);
        }
        evictSlot(victim);
      }
    } finally {
      evictionLock.unlock();
    }
  }

  private void evictSlot(Slot slot) {
    Lock write = slot.lock.writeLock();
    write.lock();
    try {
      if (slot.segment == null || slot.dropped) {
        return;
      }
      if (slot.dirty || !slot.onDisk) {
        writeSlot(slot);
      }
      slot.residentEstimate = slot.memory.get();
      slot.segment = null;
      account(slot, -slot.memory.get());
      evictions.incrementAndGet();
    } catch (IOException e) {
      throw new DepotException("cannot write " + fileOf(slot) + ": " + e, e);
    } finally {
      write.unlock();
    }
  }

  /** Writes a resident segment to its file; the caller holds the slot's write lock. */
  private void writeSlot(Slot slot) throws IOException {
    slot.diskBytes = SegmentFile.write(fileOf(slot), slot.segment, interval);
    slot.onDisk = true;
    slot.dirty = false;
  }

  // ---- durability and expiry ----

  @Override
  public void checkpoint() {
    checkOpen();
    synchronized (checkpointLock) {
      for (Slot slot : slots.values()) {
        if (!slot.dirty) {
          continue;
        }
        Lock write = slot.lock.writeLock();
        write.lock();
        try {
          if (slot.segment != null && slot.dirty && !slot.dropped) {
            writeSlot(slot);
          }
        } catch (IOException e) {
          throw new DepotException("cannot checkpoint " + fileOf(slot) + ": " + e, e);
        } finally {
          write.unlock();
        }
      }
      try {
        FileSync.directory(dir);
      } catch (IOException e) {
        throw new DepotException("cannot checkpoint " + dir + ": " + e, e);
      }
    }
  }

  @Override
  public int expireBefore(long micros) {
    checkOpen();
    return dropBelow(SegmentTime.startOf(micros, interval));
  }

  private void applyRetention() {
    if (retention >= 0 && newest.get() != Long.MIN_VALUE) {
      dropBelow(SegmentTime.startOf(SegmentTime.minusSaturated(newest.get(), retention), interval));
    }
  }

  /** Drops every segment that starts below {@code below} (so ends at or before it). */
  private int dropBelow(long below) {
    droppedBelow.accumulateAndGet(below, Math::max);
    int dropped = 0;
    for (Slot slot : slots.values()) {
      if (slot.startMicros >= below) {
        continue;
      }
      Lock write = slot.lock.writeLock();
      write.lock();
      try {
        if (slot.dropped) {
          continue;
        }
        slot.dropped = true;
        slots.remove(slot.startMicros);
        if (slot.segment != null) {
          slot.segment = null;
          account(slot, -slot.memory.get());
        }
        keys.addAndGet(-slot.keys.get());
        Files.deleteIfExists(fileOf(slot));
        dropped++;
      } catch (IOException e) {
        throw new DepotException("cannot delete " + fileOf(slot) + ": " + e, e);
      } finally {
        write.unlock();
      }
    }
    if (dropped > 0) {
      try {
        FileSync.directory(dir);
      } catch (IOException e) {
        throw new DepotException("cannot sync " + dir + ": " + e, e);
      }
    }
    return dropped;
  }

  // ---- the rest ----

  @Override
  public TimeKeyStats stats() {
    int inMemory = 0;
    int onDisk = 0;
    long diskBytes = 0;
    for (Slot slot : slots.values()) {
      Lock read = slot.lock.readLock();
      read.lock();
      try {
        if (slot.dropped) {
          continue;
        }
        if (slot.segment != null) {
          inMemory++;
        }
        if (slot.onDisk) {
          onDisk++;
          diskBytes += slot.diskBytes;
        }
      } finally {
        read.unlock();
      }
    }
    return new TimeKeyStats(
        keys.get(),
        inMemory,
        onDisk,
        memory.get(),
        diskBytes,
        peakMemory.get(),
        newest.get(),
        evictions.get(),
        loads.get());
  }

  @Override
  public Path directory() {
    return dir;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("time-key set " + dir + " is closed");
    }
  }

  @Override
  public void close() {
    synchronized (checkpointLock) {
      if (closed) {
        return;
      }
      try {
        if (!temporary) {
          checkpoint();
        }
      } finally {
        closed = true;
        closeQuietly(directoryLock);
        if (temporary) {
          deleteTree(dir);
        }
      }
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot delete temporary set directory " + root, e);
    }
  }

  private static void closeQuietly(DirectoryLock lock) {
    try {
      lock.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot release a time-key set lock", e);
    }
  }

  @Override
  public String toString() {
    return "TimeKeyStreamSet[" + dir + "]";
  }
}
