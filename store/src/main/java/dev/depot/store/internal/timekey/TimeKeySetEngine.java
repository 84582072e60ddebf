package dev.depot.store.internal.timekey;

import dev.depot.store.DepotException;
import dev.depot.store.internal.DirectoryLock;
import dev.depot.store.internal.FileSync;
import dev.depot.store.timekey.TimeKey;
import dev.depot.store.timekey.TimeKeyStats;
import dev.depot.store.timekey.TimeKeyStreamSet;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The time-key stream set: segments by time interval in a {@link LongObjectMap} keyed by their
 * start, each resident in part (some of its streams), whole or not at all, with a memory account
 * that drives least-recently-used eviction of streams. A stream that is not resident is read back
 * alone from its segment's file (format version 2), found through the sparse index the slot keeps.
 * A changed stream stays resident until its segment's file is rewritten (by eviction or a
 * checkpoint: the changed streams encoded, the others copied byte for byte from the old file).
 *
 * <p>Locks, in the order they may be taken: {@code checkpointLock}, {@code evictionLock}, one
 * {@link Slot#lock} (never two at once), a stream's monitor.
 */
public final class TimeKeySetEngine implements TimeKeyStreamSet {
  private static final System.Logger LOG = System.getLogger(TimeKeySetEngine.class.getName());
  private static final long DEFAULT_INTERVAL_MICROS =
      TimeKeyStreamSet.DEFAULT_SEGMENT_INTERVAL.toNanos() / 1000;
  private static final String SPILL_FILE = "spill" + SegmentFile.UNSYNCED_SUFFIX;

  /** Accounted size of an empty resident segment: objects and its stream map. */
  private static final long SEGMENT_OVERHEAD_BYTES = 512;

  private final Path dir;
  private final boolean temporary;
  private final long interval;
  private final long limit;

  /** Eviction starts above this much memory and stops at {@link #evictTo}. */
  private final long evictAt;

  private final long evictTo;
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

  /**
   * The spill log: images of segments written by eviction since the last checkpoint, appended one
   * after another, not fsynced (see {@link SegmentFile}). Appended to under {@link #evictionLock};
   * emptied by a checkpoint once no segment's content is only there.
   */
  private final Path spillPath;

  private volatile FileChannel spill;
  private long spillEnd;

  /** A spill log this long makes the next insert checkpoint, which empties it. */
  private final long spillCheckpointBytes;

  private final AtomicLong evictions = new AtomicLong();
  private final AtomicLong loads = new AtomicLong();
  private final ReentrantLock evictionLock = new ReentrantLock();
  private final Object checkpointLock = new Object();
  private volatile boolean closed;

  private TimeKeySetEngine(
      Path dir, boolean temporary, long interval, SetConfig config, DirectoryLock lock) {
    this.dir = dir;
    this.temporary = temporary;
    this.interval = interval;
    this.limit = config.memoryLimit();
    this.evictAt = limit - limit / 16;
    this.evictTo = limit / 2;
    this.spillPath = dir.resolve(SPILL_FILE);
    this.spillCheckpointBytes = Math.max(256L << 20, 4 * limit);

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
    return openIn(dir, temporary, config);
  }

  /**
   * Opens the set in {@code dir}, which exists. When this fails it has released all it took: the
   * directory lock and every file it opened, and a temporary {@code dir} is deleted.
   */
  static TimeKeySetEngine openIn(Path dir, boolean temporary, SetConfig config) {
    DirectoryLock lock = null;
    TimeKeySetEngine set = null;
    boolean opened = false;
    try {
      lock = DirectoryLock.acquire(dir, "time-key set " + dir, "use another directory");
      long interval = resolveInterval(dir, config.intervalMicros());
      set = new TimeKeySetEngine(dir, temporary, interval, config, lock);
      set.readDirectory();
      set.applyRetention();
      opened = true;
      return set;
    } catch (IOException e) {
      throw new DepotException("cannot open the time-key set in " + dir + ": " + e, e);
    } finally {
      if (!opened) {
        if (set != null) {
          set.release();
        } else {
          if (lock != null) {
            closeQuietly(lock);
          }
          if (temporary) {
            deleteTree(dir);
          }
        }
      }
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

  /**
   * Registers every segment file by its header (and the page table of a version 2 file); streams
   * are read when first used.
   */
  private void readDirectory() throws IOException {
    // Temporary files, and the spill log: what eviction wrote after the last checkpoint.
    try (DirectoryStream<Path> temps =
        Files.newDirectoryStream(
            dir, "*{" + SegmentFile.TEMP_SUFFIX + "," + SegmentFile.UNSYNCED_SUFFIX + "}")) {
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
        if (header.version() == SegmentFile.VERSION) {
          // the page table too (a few bytes): a file damaged there is refused now, not mid-batch
          try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SegmentFile.readIndex(file, channel, 0, channel.size(), start, interval);
          }
        }
        Slot slot = new Slot(start);
        slot.onDisk = true;
        slot.version = header.version();
        slot.diskBytes = Files.size(file);
        slot.keys.set(header.keys());
        if (header.version() == SegmentFile.VERSION_1) {
          slot.residentEstimate = header.memoryEstimate() + SEGMENT_OVERHEAD_BYTES;
        }
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
    if (memory.get() > evictAt) {
      evict(evictTo, null);
    }
    long below = droppedBelow.get();
    loadSegmentsOf(micros, offset, end, below);
    InsertContext ctx = InsertContext.CURRENT.get();
    ctx.now = System.nanoTime();
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
        if (memory.get() > evictAt) {
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
        if (memory.get() > evictAt) {
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

  /**
   * Inserts groups {@code [from, to)} of the batch {@code ctx} holds, all of one segment: first
   * makes each group's stream resident (reading those that are on disk only), then inserts, so that
   * a read that fails changes nothing in the segment.
   */
  private int insertGroups(long start, int from, int to, InsertContext ctx) {
    long[] groupMicros = ctx.groupMicros;
    boolean[] groupNew = ctx.groupNew;
    Stream[] streams = ctx.groupStream;
    int retries = 0;
    while (true) {
      Slot slot = slotFor(start);
      Lock read = slot.lock.readLock();
      read.lock();
      boolean makeRoom = false;
      try {
        Segment segment = slot.segment;
        if (segment != null && !slot.dropped) {
          ctx.memoryDelta = 0;
          try {
            for (int g = from; g < to && !makeRoom; g++) {
              streams[g] = streamOf(slot, segment, ctx.groupId[g], ctx);
              // Streams read back may fill memory with this segment, which cannot be evicted
              // from under this lock: let go, make room, read again (nothing is inserted yet).
              makeRoom = retries < 2 && memory.get() > evictAt;
            }
            if (makeRoom) {
              retries++;
            } else {
              int added = 0;
              for (int g = from; g < to; g++) {
                int first = ctx.groupStart[g];
                Stream stream = streams[g];
                synchronized (stream) {
                  added +=
                      stream.insert(groupMicros, first, first + ctx.groupCount[g], groupNew, ctx);
                }
              }
              if (added > 0) {
                if (!slot.dirty) {
                  slot.dirty = true;
                }
                slot.keys.addAndGet(added);
              }
              return added;
            }
          } finally {
            java.util.Arrays.fill(streams, from, to, null);
            account(slot, ctx.memoryDelta);
          }
        }
      } finally {
        read.unlock();
      }
      if (makeRoom) {
        evict(evictTo, null);
        continue;
      }
      if (slot.dropped) {
        if (start < droppedBelow.get()) {
          answerForgotten(
              groupNew, ctx.groupStart[from], ctx.groupStart[to - 1] + ctx.groupCount[to - 1]);
          return 0;
        }
        continue;
      }
      makeResident(slot);
    }
  }

  /**
   * The stream of {@code id} in a resident segment, read from the file when only the file holds it,
   * or new; the caller holds the slot's read lock and accounts {@code ctx.memoryDelta}.
   */
  private Stream streamOf(Slot slot, Segment segment, long id, InsertContext ctx) {
    Stream stream = segment.streams.get(id);
    if (stream == null) {
      if (slot.version == SegmentFile.VERSION && memory.get() > evictAt) {
        makeRoomBeside(slot);
      }
      stream = segment.streams.computeIfAbsent(id, key -> readOrCreate(slot, key, ctx));
    }
    stream.lastUsed = ctx.now;
    return stream;
  }

  private Stream readOrCreate(Slot slot, long id, InsertContext ctx) {
    if (slot.version == SegmentFile.VERSION) {
      Path file = fileOf(slot);
      try {
        FileChannel channel = channelOf(slot);
        SegmentFile.Entry entry = SegmentFile.find(file, channel, slot.index, id);
        if (entry != null) {
          Stream stream =
              SegmentFile.readStream(
                  file,
                  channel,
                  slot.index.base,
                  entry,
                  slot.startMicros,
                  SegmentTime.lastOf(slot.startMicros, interval));
          account(slot, stream.memoryBytes()); // now: the next read checks memory
          loads.incrementAndGet();
          return stream;
        }
      } catch (IOException e) {
        throw new DepotException("cannot read " + file + ": " + e, e);
      }
    }
    ctx.memoryDelta += Stream.OVERHEAD_BYTES + 8;
    return new Stream(id);
  }

  /**
   * Evicts from segments other than {@code slot}, whose read lock the caller holds, before a stream
   * is read into it, so that a batch reading many streams stays within the limit. Skipped when
   * another thread is evicting: waiting for it could deadlock on the lock held here.
   */
  private void makeRoomBeside(Slot slot) {
    if (evictionLock.tryLock()) {
      try {
        evict(evictTo, slot);
      } finally {
        evictionLock.unlock();
      }
    }
  }

  /** The open version 2 file of a slot; the caller holds the slot's lock. */
  private FileChannel channelOf(Slot slot) throws IOException {
    if (slot.unsynced) {
      return spill;
    }
    synchronized (slot) {
      if (slot.channel == null) {
        slot.channel = FileChannel.open(fileOf(slot), StandardOpenOption.READ);
      }
      return slot.channel;
    }
  }

  /** Closes the slot's file; the caller holds the slot's write lock. */
  private static void closeChannel(Slot slot) {
    synchronized (slot) {
      if (slot.channel != null) {
        try {
          slot.channel.close();
        } catch (IOException e) {
          LOG.log(System.Logger.Level.WARNING, "cannot close a segment file", e);
        }
        slot.channel = null;
      }
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
        if (slot != null
            && slot.segment == null
            && !slot.dropped
            && slot.version == SegmentFile.VERSION_1) {
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
      evict(evictTo, null);
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
          try {
            Stream stream = streamOf(slot, segment, id, ctx);
            int added;
            synchronized (stream) {
              added = stream.insert(micros, from, to, isNew, ctx);
            }
            if (added > 0) {
              if (!slot.dirty) {
                slot.dirty = true;
              }
              slot.keys.addAndGet(added);
            }
            return added;
          } finally {
            account(slot, ctx.memoryDelta);
          }
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
      makeResident(slot);
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
    if (memory.get() > evictAt) {
      evictQuietly();
    }
    if (spillEnd > spillCheckpointBytes) {
      checkpoint(); // empties the spill log
    }
  }

  // ---- lookups ----

  @Override
  public boolean contains(TimeKey key) {
    Objects.requireNonNull(key, "key cannot be null");
    checkOpen();
    long micros = key.micros();
    long id = key.id();
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
        Stream stream = segment == null ? null : segment.streams.get(id);
        if (stream != null) {
          stream.lastUsed = System.nanoTime();
          synchronized (stream) {
            found = stream.contains(micros, ctx.decoded);
          }
          break;
        }
        if (slot.version == SegmentFile.VERSION && slot.index != null) {
          found = containsOnDisk(slot, micros, id, ctx);
          break;
        }
        if (segment != null || !slot.onDisk) {
          found = false; // resident whole (no file, or a version 1 file read whole)
          break;
        }
      } finally {
        read.unlock();
      }
      makeResident(slot, false);
      loaded = true;
    }
    if (loaded) {
      // A load may have pushed memory over the limit. Evicting only after the lookup: evicting
      // before it could drop the segment just loaded (one near the limit) and loop forever.
      afterInsert();
    }
    return found;
  }

  /**
   * Looks a key up in the file alone, leaving memory as it is: a page of the index, then the
   * stream's chunk when the key is in its range. The caller holds the slot's read lock.
   */
  private boolean containsOnDisk(Slot slot, long micros, long id, InsertContext ctx) {
    Path file = fileOf(slot);
    try {
      FileChannel open = slot.unsynced ? spill : slot.channel;
      FileChannel channel = open != null ? open : FileChannel.open(file, StandardOpenOption.READ);
      try {
        SegmentFile.Entry entry = SegmentFile.find(file, channel, slot.index, id);
        if (entry == null || micros < entry.first() || micros > entry.last()) {
          return false;
        }
        Stream stream =
            SegmentFile.readStream(
                file,
                channel,
                slot.index.base,
                entry,
                slot.startMicros,
                SegmentTime.lastOf(micros, interval));
        loads.incrementAndGet();
        return stream.contains(micros, ctx.decoded);
      } finally {
        if (open == null) {
          channel.close();
        }
      }
    } catch (IOException e) {
      throw new DepotException("cannot read " + file + ": " + e, e);
    }
  }

  // ---- memory: loading and eviction ----

  /** The file the slot's streams are read from: the unsynced one when eviction wrote one. */
  private Path fileOf(Slot slot) {
    return slot.unsynced ? spillPath : durableFileOf(slot);
  }

  private Path durableFileOf(Slot slot) {
    return dir.resolve(SegmentFile.fileName(slot.startMicros));
  }

  /**
   * Prepares a slot that is not resident: a version 1 file is read whole; for a version 2 file the
   * index is read (once), and with {@code segment} an empty resident segment is made for streams to
   * be read into.
   */
  private void makeResident(Slot slot, boolean segment) {
    if (slot.version == SegmentFile.VERSION_1) {
      load(slot);
      return;
    }
    Lock write = slot.lock.writeLock();
    write.lock();
    try {
      if (slot.dropped) {
        return;
      }
      if (slot.version == SegmentFile.VERSION && slot.index == null) {
        try {
          FileChannel channel = channelOf(slot);
          setIndex(
              slot,
              SegmentFile.readIndex(
                  fileOf(slot),
                  channel,
                  slot.unsynced ? slot.spillBase : 0,
                  slot.unsynced ? slot.spillSize : channel.size(),
                  slot.startMicros,
                  interval));
        } catch (IOException e) {
          throw new DepotException("cannot read " + fileOf(slot) + ": " + e, e);
        } finally {
          if (slot.segment == null && !segment) {
            closeChannel(slot);
          }
        }
      }
      if (segment && slot.segment == null) {
        slot.segment = new Segment(slot.startMicros);
        account(slot, SEGMENT_OVERHEAD_BYTES);
      }
    } finally {
      write.unlock();
    }
  }

  private void makeResident(Slot slot) {
    makeResident(slot, true);
  }

  private void setIndex(Slot slot, SegmentFile.Index index) {
    long bytes = index == null ? 0 : index.memoryBytes();
    long delta = bytes - slot.indexBytes;
    slot.index = index;
    slot.indexBytes = bytes;
    long now = memory.addAndGet(delta);
    if (now > peakMemory.get()) {
      peakMemory.accumulateAndGet(now, Math::max);
    }
  }

  /** Reads a version 1 file whole. */
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
      SegmentFile.Loaded loaded = SegmentFile.read(fileOf(slot), slot.startMicros, interval);
      slot.segment = loaded.segment();
      long now = System.nanoTime();
      for (Stream stream : slot.segment.streams.values()) {
        stream.lastUsed = now;
      }
      account(slot, loaded.memoryBytes() + SEGMENT_OVERHEAD_BYTES);
      loads.incrementAndGet();
    } catch (IOException e) {
      throw new DepotException("cannot read " + fileOf(slot) + ": " + e, e);
    } finally {
      write.unlock();
    }
  }

  @Override
  public Duration segmentInterval() {
    return Duration.ofNanos(Math.multiplyExact(interval, 1000L));
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
          SegmentFile.verify(fileOf(slot), slot.startMicros, interval);
        }
      } catch (IOException e) {
        throw new DepotException("cannot read " + fileOf(slot) + ": " + e, e);
      } finally {
        read.unlock();
      }
    }
  }

  /**
   * Evicts the least recently used streams, of every segment but {@code keep}, until memory is at
   * most {@code target}. A segment with a changed stream among them is written first (every changed
   * stream of it), so its other streams can then go without writing.
   */
  private void evict(long target, Slot keep) {
    evictionLock.lock();
    try {
      while (memory.get() > target) {
        List<Slot> all = slots.values();
        List<Stream> candidates = new ArrayList<>();
        IntArray owners = new IntArray();
        List<Slot> empty = new ArrayList<>();
        for (int si = 0; si < all.size(); si++) {
          Slot slot = all.get(si);
          if (slot == keep) {
            continue;
          }
          Lock read = slot.lock.readLock();
          read.lock();
          try {
            Segment segment = slot.segment;
            if (segment == null && slot.index != null && !slot.dropped) {
              empty.add(slot); // an index read for a lookup alone
            }
            if (segment == null || slot.dropped) {
              continue;
            }
            List<Stream> streams = segment.streams.values();
            if (streams.isEmpty()) {
              empty.add(slot);
            }
            for (Stream stream : streams) {
              candidates.add(stream);
              owners.add(si);
            }
          } finally {
            read.unlock();
          }
        }
        int n = candidates.size();
        if (n == 0 && empty.isEmpty()) {
          return; // what is left is indexes and slots being loaded
        }
        long[] used = new long[n];
        int[] order = new int[n];
        for (int k = 0; k < n; k++) {
          used[k] = candidates.get(k).lastUsed;
          order[k] = k;
        }
        MergeSort.sort(used, order, n, new long[n], new int[n]);
        long need = memory.get() - target;
        long freed = 0;
        java.util.Map<Integer, List<Stream>> victims = new java.util.LinkedHashMap<>();
        // Unchanged streams first, least recently used first: dropping them writes nothing.
        for (int k = 0; k < n && freed < need; k++) {
          Stream stream = candidates.get(order[k]);
          if (!stream.dirty) {
            freed += stream.memoryBytes();
            victims.computeIfAbsent(owners.get(order[k]), x -> new ArrayList<>()).add(stream);
          }
        }
        if (freed < need) {
          freed += chooseChanged(all, candidates, owners, order, need - freed, victims);
        }
        long before = memory.get();
        for (Slot slot : empty) {
          evictStreams(slot, List.of());
        }
        for (java.util.Map.Entry<Integer, List<Stream>> e : victims.entrySet()) {
          evictStreams(all.get(e.getKey()), e.getValue());
        }
        if (memory.get() >= before) {
          return; // others changed what was chosen meanwhile; the next insert tries again
        }
      }
    } finally {
      evictionLock.unlock();
    }
  }

  /**
   * Chooses changed streams to evict: writing a segment's image costs about its size whatever share
   * of it changed, so the segments that free the most memory per byte written go first, each with
   * all its changed streams. Returns the bytes they take.
   */
  private static long chooseChanged(
      List<Slot> all,
      List<Stream> candidates,
      IntArray owners,
      int[] order,
      long need,
      java.util.Map<Integer, List<Stream>> victims) {
    java.util.Map<Integer, long[]> changed = new java.util.HashMap<>(); // slot -> bytes
    for (int k = 0; k < candidates.size(); k++) {
      Stream stream = candidates.get(order[k]);
      if (stream.dirty) {
        changed.computeIfAbsent(owners.get(order[k]), x -> new long[1])[0] += stream.memoryBytes();
      }
    }
    List<Integer> slotsByGain = new ArrayList<>(changed.keySet());
    slotsByGain.sort(
        (a, b) -> {
          double ga = changed.get(a)[0] / (double) (all.get(a).diskBytes + changed.get(a)[0]);
          double gb = changed.get(b)[0] / (double) (all.get(b).diskBytes + changed.get(b)[0]);
          return Double.compare(gb, ga);
        });
    long freed = 0;
    for (int i = 0; i < slotsByGain.size() && freed < need; i++) {
      int owner = slotsByGain.get(i);
      for (int k = 0; k < candidates.size(); k++) {
        Stream stream = candidates.get(order[k]);
        if (stream.dirty && owners.get(order[k]) == owner) {
          freed += stream.memoryBytes();
          victims.computeIfAbsent(owner, x -> new ArrayList<>()).add(stream);
        }
      }
    }
    return freed;
  }

  /** A growable list of ints. */
  private static final class IntArray {
    int[] values = new int[64];
    int size;

    void add(int v) {
      if (size == values.length) {
        values = java.util.Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    int get(int k) {
      return values[k];
    }
  }

  /**
   * Drops {@code victims} from a slot's resident segment (the whole segment object once no stream
   * is left), writing the segment's file first when one of them changed or the file cannot give
   * streams back one by one.
   */
  private void evictStreams(Slot slot, List<Stream> victims) {
    Lock write = slot.lock.writeLock();
    write.lock();
    try {
      Segment segment = slot.segment;
      if (slot.dropped) {
        return;
      }
      if (segment == null) {
        setIndex(slot, null);
        return;
      }
      boolean write1 = slot.version != SegmentFile.VERSION;
      for (Stream victim : victims) {
        write1 |= victim.dirty;
      }
      if (write1 && !victims.isEmpty()) {
        writeSlot(slot, false);
      }
      for (Stream victim : victims) {
        if (segment.streams.get(victim.id) == victim) {
          segment.streams.remove(victim.id);
          account(slot, -victim.memoryBytes());
          evictions.incrementAndGet();
        }
      }
      if (segment.streams.size() == 0) {
        account(slot, -slot.memory.get());
        slot.segment = null;
        closeChannel(slot);
        setIndex(slot, null);
      }
    } catch (IOException e) {
      throw new DepotException("cannot write " + fileOf(slot) + ": " + e, e);
    } finally {
      write.unlock();
    }
  }

  /**
   * Writes a resident segment (version 2): its changed streams encoded, the others copied from its
   * current image; or every stream when it has no version 2 image yet (then all are resident).
   * Durable: to its {@code .tks} file, fsynced (the caller fsyncs the directory); else appended to
   * the spill log, not fsynced (the caller holds {@link #evictionLock}). The caller holds the
   * slot's write lock.
   */
  private void writeSlot(Slot slot, boolean durable) throws IOException {
    Segment segment = slot.segment;
    boolean whole = slot.version != SegmentFile.VERSION;
    List<Stream> resident = segment.streams.values();
    List<Stream> encode = new ArrayList<>();
    for (Stream stream : resident) {
      if (stream.keys > 0 && (whole || stream.dirty)) {
        encode.add(stream);
      }
    }
    encode.sort((a, b) -> Long.compare(a.id, b.id));
    Path oldFile = whole ? null : fileOf(slot);
    FileChannel old = whole ? null : channelOf(slot);
    SegmentFile.Index oldIndex = whole ? null : slot.index;
    SegmentFile.Written written;
    if (durable) {
      written =
          SegmentFile.write(
              durableFileOf(slot), slot.startMicros, interval, encode, oldFile, old, oldIndex);
    } else {
      if (spill == null) {
        spill =
            FileChannel.open(
                spillPath,
                StandardOpenOption.CREATE,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        spillEnd = spill.size();
      }
      long base = spillEnd;
      try {
        written =
            SegmentFile.writeImage(
                spill, base, true, slot.startMicros, interval, encode, oldFile, old, oldIndex);
      } finally {
        spillEnd = Math.max(spillEnd, spill.position());
      }
      slot.spillBase = base;
      slot.spillSize = written.size();
      spillEnd = Math.max(spillEnd, base + written.size());
    }
    for (Stream stream : resident) {
      stream.dirty = false;
    }
    closeChannel(slot); // it reads the replaced file
    slot.unsynced = !durable;
    setIndex(slot, written.index());
    slot.version = SegmentFile.VERSION;
    slot.diskBytes = written.size();
    slot.onDisk = true;
    if (durable) {
      slot.dirty = false;
    }
  }

  /**
   * Makes the spilled image of a segment that is not resident durable: copied to its {@code .tks}
   * file beside it, fsynced, renamed. The caller holds the slot's write lock.
   */
  private void promote(Slot slot) throws IOException {
    Path file = durableFileOf(slot);
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel out =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      long done = 0;
      while (done < slot.spillSize) {
        long n = spill.transferTo(slot.spillBase + done, slot.spillSize - done, out);
        if (n <= 0) {
          throw new IOException(spillPath + " ends before the image of " + file);
        }
        done += n;
      }
      out.force(true);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    closeChannel(slot);
    if (slot.index != null) {
      setIndex(slot, slot.index.at(0)); // the same image, now at the start of its own file
    }
    slot.unsynced = false;
    slot.dirty = false;
  }

  /** Empties the spill log once no segment's content is only there. */
  private void emptySpill() throws IOException {
    evictionLock.lock();
    try {
      if (spill == null || spillEnd == 0) {
        return;
      }
      for (Slot slot : slots.values()) {
        if (slot.unsynced && !slot.dropped) {
          return; // spilled while the checkpoint ran: the next one empties it
        }
      }
      spill.truncate(0);
      spillEnd = 0;
    } finally {
      evictionLock.unlock();
    }
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
          if (slot.dirty && !slot.dropped) {
            if (slot.segment != null) {
              writeSlot(slot, true);
            } else if (slot.unsynced) {
              promote(slot);
            }
          }
        } catch (IOException e) {
          throw new DepotException("cannot checkpoint " + fileOf(slot) + ": " + e, e);
        } finally {
          write.unlock();
        }
      }
      try {
        FileSync.directory(dir);
        emptySpill();
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
        closeChannel(slot);
        setIndex(slot, null);
        keys.addAndGet(-slot.keys.get());
        slot.unsynced = false; // its image in the spill log is garbage now
        Files.deleteIfExists(durableFileOf(slot));
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
        release();
      }
    }
  }

  /** Closes the files, releases the lock and deletes a temporary directory; never throws. */
  private void release() {
    closed = true;
    for (Slot slot : slots.values()) {
      closeChannel(slot);
    }
    closeSpill();
    closeQuietly(directoryLock);
    if (temporary) {
      deleteTree(dir);
    }
  }

  private void closeSpill() {
    FileChannel channel = spill;
    if (channel == null) {
      return;
    }
    spill = null;
    try {
      channel.close();
      if (spillEnd == 0) {
        Files.deleteIfExists(spillPath);
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot close " + spillPath, e);
    }
  }

  private static void deleteTree(Path root) {
    try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
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
