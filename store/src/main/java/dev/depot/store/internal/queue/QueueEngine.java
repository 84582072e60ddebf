package dev.depot.store.internal.queue;

import static dev.depot.store.internal.queue.SegmentFormat.FRAME_HEADER_BYTES;
import static dev.depot.store.internal.queue.SegmentFormat.HEADER_BYTES;
import static dev.depot.store.internal.queue.SegmentFormat.TYPE_PARTIAL;
import static dev.depot.store.internal.queue.SegmentFormat.TYPE_RECORD;
import static dev.depot.store.internal.queue.SegmentFormat.TYPE_TAGGED;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.DepotException;
import dev.depot.store.internal.DirectoryLock;
import dev.depot.store.internal.FileNames;
import dev.depot.store.internal.FileSync;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.store.queue.QueueStats;
import dev.depot.store.queue.RecordRewriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The depot queue: one writer (or a read-only view) over a directory of segments.
 *
 * <p>Locks, always taken in this order: {@code syncMonitor} (serializes syncs), {@code maintenance}
 * (deletes and rewrites), {@code lock} (the write buffer and active segment), {@code signalLock}
 * (wakes waiting cursors). A roll that applies retention only tries {@code maintenance}.
 */
public final class QueueEngine implements DepotQueue {
  private static final System.Logger LOG = System.getLogger(QueueEngine.class.getName());

  private final QueueConfig config;
  private final SegmentChannels channels;
  private final Path dir;
  private final int maxItemBytes;
  private final long syncItems;
  private final long syncBytes;
  private final ConcurrentSkipListMap<Integer, Path> segments = new ConcurrentSkipListMap<>();

  // Writer state, guarded by lock.
  private final ReentrantLock lock = new ReentrantLock();
  private FrameSink sink;
  private int activeSegment;
  private ByteBuffer writeBuffer;
  private long lastId = -1;
  private long unsyncedItems;
  private long unsyncedBytes;
  private boolean dirty;
  private boolean dirDirty;
  private final List<Path> unsyncedSealed = new ArrayList<>();

  /** {@code activeSegment << 32 | bytes written to the file system}: what cursors may read. */
  private volatile long visibleEnd;

  private volatile long syncedId = -1;
  private volatile boolean closed;
  private volatile DepotException failure;

  private final Object syncMonitor = new Object();
  private final ReentrantLock maintenance = new ReentrantLock();
  private final AtomicInteger waiters = new AtomicInteger();
  private final ReentrantLock signalLock = new ReentrantLock();
  private final Condition published = signalLock.newCondition();

  private DirectoryLock directoryLock;
  private ScheduledThreadPoolExecutor syncer;

  private QueueEngine(QueueConfig config, SegmentChannels channels) {
    this.config = config;
    this.channels = channels;
    this.dir = config.directory().toAbsolutePath();
    this.maxItemBytes = SegmentFormat.maxItemBytes(config.segmentBytes());
    this.syncItems = config.syncPolicy().items();
    this.syncBytes = config.syncPolicy().bytes();
  }

  /** Opens a queue as the config says; on failure releases everything it took. */
  public static QueueEngine open(QueueConfig config) {
    return open(config, SegmentChannels.FILES);
  }

  /** Opens a queue whose segments are written through {@code channels}. */
  public static QueueEngine open(QueueConfig config, SegmentChannels channels) {
    QueueEngine queue = new QueueEngine(config, channels);
    try {
      if (config.readOnly()) {
        queue.openReadOnly();
      } else {
        queue.openWriter();
      }
      return queue;
    } catch (RuntimeException e) {
      DepotException released = queue.release();
      if (released != null) {
        e.addSuppressed(released);
      }
      throw e;
    }
  }

  private void openReadOnly() {
    if (!Files.isDirectory(dir)) {
      throw new DepotException("no depot queue at " + dir + ": not a directory");
    }
    refreshSegments();
  }

  private void openWriter() {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new DepotException("cannot create queue directory " + dir + ": " + e, e);
    }
    acquireLock();
    deleteRewriteLeftovers();
    refreshSegments();
    writeBuffer = SegmentFormat.newBuffer(config.writeBufferBytes());
    try {
      if (segments.isEmpty()) {
        startSegment(0);
      } else {
        recoverLastSegment();
      }
    } catch (IOException e) {
      throw new DepotException("cannot open " + dir + " for writing: " + e, e);
    }
    // A crashed writer may have left any segment's last writes in the page cache only: the first
    // sync makes everything recovered durable, so that syncedId() can start at lastId().
    segments.headMap(activeSegment).values().forEach(unsyncedSealed::add);
    sync();
    applyRetention();
    long period = config.syncPolicy().period().toMillis();
    if (period > 0) {
      syncer =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                Thread t = new Thread(r, "depot-sync-" + dir.getFileName());
                t.setDaemon(true);
                return t;
              });
      syncer.scheduleWithFixedDelay(this::backgroundSync, period, period, TimeUnit.MILLISECONDS);
    }
  }

  private void acquireLock() {
    directoryLock = DirectoryLock.acquire(dir, "depot queue " + dir, "open the queue read-only");
  }

  private void deleteRewriteLeftovers() {
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(dir, "*" + SegmentFormat.REWRITE_SUFFIX)) {
      for (Path file : files) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new DepotException("cannot clean up " + dir + ": " + e, e);
    }
  }

  /** Makes the segment map match the directory. */
  void refreshSegments() {
    List<Integer> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.seg")) {
      for (Path file : files) {
        int number = SegmentFormat.parseFileName(file.getFileName().toString());
        if (number >= 0) {
          found.add(number);
          segments.putIfAbsent(number, file);
        }
      }
    } catch (NoSuchFileException e) {
      throw new DepotException("depot queue directory " + dir + " no longer exists", e);
    } catch (IOException e) {
      throw new DepotException("cannot list " + dir + ": " + e, e);
    }
    segments.keySet().retainAll(found);
  }

  private void startSegment(int number) throws IOException {
    Path file = dir.resolve(SegmentFormat.fileName(number));
    FileChannel channel = channels.open(file, CREATE_NEW, READ, WRITE);
    sink = new FrameSink(file, channel, writeBuffer, 0);
    sink.putHeader(number, 0);
    activeSegment = number;
    segments.put(number, file);
    dirty = true;
    dirDirty = true;
    visibleEnd = (long) number << 32;
  }

  /** Finds the end of the last segment, marking a torn tail; see {@link SegmentFormat}. */
  private void recoverLastSegment() throws IOException {
    int last = segments.lastKey();
    Path file = segments.get(last);
    FileChannel channel = channels.open(file, READ, WRITE);
    try {
      long size = channel.size();
      FrameReader reader = new FrameReader(file, channel, config.readBufferBytes());
      int flags = -1;
      try {
        flags = reader.readHeader(last, size);
      } catch (DepotCorruptionException e) {
        if (reader.findNextFrame(HEADER_BYTES, size) >= 0) {
          throw e;
        }
      }
      if (flags < 0) {
        // A crash while the segment was being created: nothing valid follows the header.
        LOG.log(System.Logger.Level.WARNING, "reinitializing empty segment {0}", file);
        channel.truncate(0);
        sink = new FrameSink(file, channel, writeBuffer, 0);
        sink.putHeader(last, 0);
        activeSegment = last;
        dirty = true;
        visibleEnd = (long) last << 32;
        lastId = lastCompleteId(last - 1);
        return;
      }
      if ((flags & SegmentFormat.FLAG_REWRITTEN) != 0) {
        channel.close();
        startSegment(last + 1);
        lastId = lastCompleteId(last);
        return;
      }
      long pos = HEADER_BYTES;
      long lastRecordPos = -1;
      while (true) {
        int result = reader.parse(pos, size, pos);
        if (result == FrameReader.OK) {
          if (!reader.partial()) {
            lastRecordPos = pos;
          }
          pos = reader.frameEnd();
          continue;
        }
        if (result == FrameReader.END) {
          break;
        }
        DepotCorruptionException damage = reader.corruption(result);
        long end = reader.frameEnd();
        if (end > pos && end < size && reader.frameStartsAt(end, size)) {
          LOG.log(System.Logger.Level.WARNING, "skipping corrupt record: {0}", damage.getMessage());
          pos = end;
          continue;
        }
        if (reader.findNextFrame(pos + 1, size) >= 0) {
          throw damage;
        }
        pos = markTornTail(channel, file, pos, size);
        break;
      }
      sink = new FrameSink(file, channel, writeBuffer, pos);
      activeSegment = last;
      visibleEnd = ((long) last << 32) | pos;
      // What recovery read may exist only in the page cache (the writer crashed, the machine did
      // not): the sync at the end of open makes it durable.
      dirty = true;
      dirDirty = true;
      lastId = lastRecordPos >= 0 ? ((long) last << 32) | lastRecordPos : lastCompleteId(last - 1);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Turns the bytes from {@code pos} to the end of the file into one PARTIAL frame and returns the
   * position after it.
   */
  private long markTornTail(FileChannel channel, Path file, long pos, long size)
      throws IOException {
    int payload =
        (int)
            Math.max(0, Math.min(size - pos - FRAME_HEADER_BYTES, SegmentFormat.MAX_PAYLOAD_BYTES));
    ByteBuffer header = ByteBuffer.allocate(FRAME_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    header.putInt(4, (TYPE_PARTIAL << 30) | payload);
    header.putInt(8, (int) pos);
    CRC32C crc = new CRC32C();
    crc.update(header.array(), 4, 8);
    ByteBuffer chunk = ByteBuffer.allocateDirect(64 << 10);
    long at = pos + FRAME_HEADER_BYTES;
    long stop = at + payload;
    while (at < stop) {
      chunk.clear().limit((int) Math.min(chunk.capacity(), stop - at));
      int n = channel.read(chunk, at);
      if (n < 0) {
        throw new IOException("file shrank while recovering " + file);
      }
      chunk.flip();
      crc.update(chunk);
      at += n;
    }
    header.putInt(0, (int) crc.getValue());
    while (header.hasRemaining()) {
      channel.write(header, pos + header.position());
    }
    long end = pos + FRAME_HEADER_BYTES + payload;
    if (channel.size() > end) {
      channel.truncate(end);
    }
    dirty = true;
    LOG.log(
        System.Logger.Level.WARNING,
        "marked torn tail of {0} at position {1} ({2} bytes) as a partial record",
        file,
        pos,
        size - pos);
    return end;
  }

  /** The id of the newest complete record in segments up to {@code segment}, or -1. */
  private long lastCompleteId(int segment) {
    for (Integer s = segment < 0 ? null : segments.floorKey(segment);
        s != null;
        s = segments.lowerKey(s)) {
      long found = -1;
      try (QueueCursor cursor = new QueueCursor(this, (long) s << 32, s)) {
        while (true) {
          DepotRecord record;
          try {
            record = cursor.next();
          } catch (DepotCorruptionException e) {
            continue;
          }
          if (record == null) {
            break;
          }
          if (record.complete()) {
            found = record.id();
          }
        }
      }
      if (found >= 0) {
        return found;
      }
    }
    return -1;
  }

  // ---- appends ----

  @Override
  public long append(byte[] item) {
    Objects.requireNonNull(item, "item cannot be null");
    return appendOne(item, null, 0, item.length, TYPE_RECORD, 0);
  }

  @Override
  public long append(byte[] item, long tag) {
    Objects.requireNonNull(item, "item cannot be null");
    if (tag == DepotRecord.NO_TAG) {
      throw new IllegalArgumentException("tag " + tag + " is reserved for records without a tag");
    }
    return appendOne(item, null, 0, item.length, TYPE_TAGGED, tag);
  }

  @Override
  public long append(byte[] item, int offset, int length) {
    Objects.requireNonNull(item, "item cannot be null");
    Objects.checkFromIndexSize(offset, length, item.length);
    return appendOne(item, null, offset, length, TYPE_RECORD, 0);
  }

  @Override
  public long append(ByteBuffer item) {
    Objects.requireNonNull(item, "item cannot be null");
    return appendOne(null, item, 0, item.remaining(), TYPE_RECORD, 0);
  }

  @Override
  public long[] appendAll(List<byte[]> items) {
    Objects.requireNonNull(items, "items cannot be null");
    for (byte[] item : items) {
      Objects.requireNonNull(item, "items cannot contain null");
      checkItemLength(item.length);
    }
    long[] ids = new long[items.size()];
    boolean syncNow;
    lock.lock();
    try {
      checkWritable();
      int i = 0;
      for (byte[] item : items) {
        ids[i++] = appendLocked(item, null, 0, item.length, TYPE_RECORD, 0);
      }
      syncNow = afterAppendLocked();
    } finally {
      lock.unlock();
    }
    if (syncNow) {
      sync();
    }
    return ids;
  }

  private long appendOne(
      byte[] array, ByteBuffer buffer, int offset, int length, int type, long tag) {
    checkItemLength(length);
    long id;
    boolean syncNow;
    lock.lock();
    try {
      checkWritable();
      id = appendLocked(array, buffer, offset, length, type, tag);
      syncNow = afterAppendLocked();
    } finally {
      lock.unlock();
    }
    if (syncNow) {
      sync();
    }
    return id;
  }

  @Override
  public int maxItemBytes() {
    return maxItemBytes;
  }

  private void checkItemLength(int length) {
    if (length > maxItemBytes) {
      throw new IllegalArgumentException(
          String.format(
              "item of %d bytes is larger than %d bytes, the largest item segmentBytes=%d allows;"
                  + " raise segmentBytes",
              length, maxItemBytes, config.segmentBytes()));
    }
  }

  private long appendLocked(
      byte[] array, ByteBuffer buffer, int offset, int length, int type, long tag) {
    long pos = sink.end();
    try {
      if (pos + SegmentFormat.headerBytes(type) + length > config.segmentBytes()) {
        roll();
        pos = sink.end();
      }
      sink.put(type, pos, tag, array, buffer, offset, length);
    } catch (IOException e) {
      throw fail("cannot write to " + sink.file(), e);
    }
    dirty = true;
    unsyncedItems++;
    unsyncedBytes += length;
    lastId = ((long) activeSegment << 32) | pos;
    return lastId;
  }

  /** Publishes what the sink wrote, and says whether the sync policy wants a sync now. */
  private boolean afterAppendLocked() {
    if (waiters.get() > 0) {
      flushLocked();
    } else if (((long) activeSegment << 32 | sink.written()) != visibleEnd) {
      publish();
    }
    return (syncItems > 0 && unsyncedItems >= syncItems)
        || (syncBytes > 0 && unsyncedBytes >= syncBytes);
  }

  private void roll() throws IOException {
    if (activeSegment == SegmentFormat.MAX_SEGMENT_NUMBER) {
      throw new DepotException("depot queue " + dir + " has used up all segment numbers");
    }
    sink.flush();
    sink.channel().close();
    if (dirty) {
      unsyncedSealed.add(sink.file());
    }
    startSegment(activeSegment + 1);
    publish();
    if ((config.retentionMillis() >= 0 || config.retentionBytes() >= 0) && maintenance.tryLock()) {
      try {
        applyRetentionLocked();
      } finally {
        maintenance.unlock();
      }
    }
  }

  private void flushLocked() {
    try {
      sink.flush();
    } catch (IOException e) {
      throw fail("cannot write to " + sink.file(), e);
    }
    publish();
  }

  private void publish() {
    long end = ((long) activeSegment << 32) | sink.written();
    if (end != visibleEnd) {
      visibleEnd = end;
      if (waiters.get() > 0) {
        signalLock.lock();
        try {
          published.signalAll();
        } finally {
          signalLock.unlock();
        }
      }
    }
  }

  // ---- durability ----

  @Override
  public void sync() {
    checkWritable();
    synchronized (syncMonitor) {
      Path[] sealed;
      FileChannel active;
      Path activeFile;
      boolean directory;
      long target;
      lock.lock();
      try {
        checkWritable();
        if (!dirty && !dirDirty && unsyncedSealed.isEmpty()) {
          return;
        }
        flushLocked();
        sealed = unsyncedSealed.toArray(Path[]::new);
        unsyncedSealed.clear();
        active = sink.channel();
        activeFile = sink.file();
        directory = dirDirty;
        dirDirty = false;
        dirty = false;
        unsyncedItems = 0;
        unsyncedBytes = 0;
        target = lastId;
      } finally {
        lock.unlock();
      }
      try {
        for (Path file : sealed) {
          FileSync.file(file);
        }
        try {
          active.force(false);
        } catch (ClosedChannelException e) {
          FileSync.file(activeFile); // a concurrent roll closed it
        }
        if (directory) {
          FileSync.directory(dir);
        }
      } catch (IOException e) {
        throw fail("cannot sync " + dir, e);
      }
      syncedId = target;
    }
  }

  private void backgroundSync() {
    try {
      if (!closed && failure == null) {
        sync();
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "background sync of " + dir + " failed", e);
    }
  }

  private DepotException fail(String message, IOException cause) {
    DepotException e = new DepotException(message + ": " + cause, cause);
    if (failure == null) {
      failure = e;
    }
    return e;
  }

  private void checkWritable() {
    if (config.readOnly()) {
      throw new IllegalStateException("depot queue " + dir + " is open read-only");
    }
    checkOpen();
    DepotException failed = failure;
    if (failed != null) {
      throw new DepotException(
          "depot queue " + dir + " failed earlier and must be reopened: " + failed.getMessage(),
          failed);
    }
  }

  void checkOpen() {
    if (closed) {
      throw new IllegalStateException("depot queue " + dir + " is closed");
    }
  }

  @Override
  public long lastId() {
    checkOpen();
    if (config.readOnly()) {
      refreshSegments();
      return segments.isEmpty() ? -1 : lastCompleteId(segments.lastKey());
    }
    lock.lock();
    try {
      return lastId;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long syncedId() {
    return syncedId;
  }

  // ---- reading ----

  @Override
  public DepotCursor stream(long fromId) {
    checkOpen();
    return new QueueCursor(this, fromId, Integer.MAX_VALUE);
  }

  int readBufferBytes() {
    return config.readBufferBytes();
  }

  Path segmentFile(int segment) {
    return dir.resolve(SegmentFormat.fileName(segment));
  }

  /** The first segment numbered {@code segment} or above, or -1. */
  int segmentAtOrAfter(int segment) {
    Integer found = segments.ceilingKey(segment);
    if (found == null && config.readOnly()) {
      refreshSegments();
      found = segments.ceilingKey(segment);
    }
    return found == null ? -1 : found;
  }

  /**
   * Whether {@code segment} is complete: no byte will be added to it. Ask before reading a limit,
   * so that a true answer makes the file size final.
   */
  boolean sealed(int segment) {
    if (config.readOnly()) {
      if (segments.higherKey(segment) != null) {
        return true;
      }
      refreshSegments();
      return segments.higherKey(segment) != null;
    }
    return segment < (int) (visibleEnd >>> 32);
  }

  /** Readable bytes of a segment that is not sealed; -1 means "use the file size". */
  long activeLimit(int segment) {
    if (config.readOnly()) {
      return -1;
    }
    long end = visibleEnd;
    int visibleSegment = (int) (end >>> 32);
    if (segment == visibleSegment) {
      return DepotIds.position(end);
    }
    return segment > visibleSegment ? 0 : -1;
  }

  /** Whether bytes below a not-sealed segment's limit are final (this process wrote them). */
  boolean trustsActiveLimit() {
    return !config.readOnly();
  }

  /**
   * For a read-only queue: whether a writer holds the directory, so that a damaged tail of the last
   * segment may still be a record being written. Probes with a shared lock held for an instant; a
   * writer that starts at that instant retries ({@link #acquireLock}).
   */
  boolean writerAlive() {
    return DirectoryLock.held(dir);
  }

  /**
   * Makes the writer write out its buffer so that cursors of this process see every appended item;
   * false when there was nothing to hand over.
   */
  boolean handOver() {
    if (config.readOnly()) {
      return false;
    }
    lock.lock();
    try {
      if (closed || failure != null || !sink.hasBuffered()) {
        return false;
      }
      flushLocked();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** A value that changes whenever more becomes readable; see {@link #awaitData}. */
  long visibleVersion() {
    return visibleEnd;
  }

  /**
   * Waits until more may be readable than when {@code seen} was read, or {@code nanos} pass. In the
   * writer's process it first makes the writer hand over its buffered items; read-only queues poll.
   */
  void awaitData(long seen, long nanos, int attempt) throws InterruptedException {
    if (config.readOnly()) {
      long pause = Math.min(nanos, TimeUnit.MICROSECONDS.toNanos(500L << Math.min(attempt, 5)));
      LockSupport.parkNanos(pause);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      return;
    }
    waiters.incrementAndGet();
    try {
      handOver();
      signalLock.lockInterruptibly();
      try {
        long left = nanos;
        while (visibleEnd == seen && !closed && left > 0) {
          left = published.awaitNanos(left);
        }
      } finally {
        signalLock.unlock();
      }
    } finally {
      waiters.decrementAndGet();
    }
  }

  // ---- whole-segment operations ----

  @Override
  public int deleteBefore(long id) {
    checkWritable();
    int below = id < 0 ? 0 : DepotIds.segment(id);
    maintenance.lock();
    try {
      int deleted = 0;
      for (Map.Entry<Integer, Path> e : segments.headMap(below).entrySet()) {
        if (e.getKey() < activeSegmentNumber()) {
          deleteSegment(e.getKey(), e.getValue());
          deleted++;
        }
      }
      if (deleted > 0) {
        FileSync.directory(dir);
      }
      return deleted;
    } catch (IOException e) {
      throw new DepotException("cannot delete segments of " + dir + ": " + e, e);
    } finally {
      maintenance.unlock();
    }
  }

  @Override
  public int applyRetention() {
    checkWritable();
    maintenance.lock();
    try {
      return applyRetentionLocked();
    } finally {
      maintenance.unlock();
    }
  }

  private int applyRetentionLocked() {
    long maxAge = config.retentionMillis();
    long maxBytes = config.retentionBytes();
    if (maxAge < 0 && maxBytes < 0) {
      return 0;
    }
    List<SegmentInfo> all = segments();
    long total = 0;
    for (SegmentInfo info : all) {
      total += info.bytes();
    }
    long cutoff = config.clock().millis() - maxAge;
    int active = activeSegmentNumber();
    int deleted = 0;
    try {
      for (SegmentInfo info : all) {
        boolean tooOld = maxAge >= 0 && info.lastModifiedMillis() < cutoff;
        boolean tooBig = maxBytes >= 0 && total > maxBytes;
        if (info.number() >= active || !(tooOld || tooBig)) {
          break;
        }
        deleteSegment(info.number(), info.file());
        total -= info.bytes();
        deleted++;
      }
      if (deleted > 0) {
        FileSync.directory(dir);
      }
    } catch (IOException e) {
      throw new DepotException("cannot apply retention to " + dir + ": " + e, e);
    }
    return deleted;
  }

  private int activeSegmentNumber() {
    return (int) (visibleEnd >>> 32);
  }

  private void deleteSegment(int number, Path file) throws IOException {
    segments.remove(number);
    Files.deleteIfExists(file);
  }

  @Override
  public long rewriteSegment(int segment, RecordRewriter rewriter) {
    Objects.requireNonNull(rewriter, "rewriter cannot be null");
    checkWritable();
    maintenance.lock();
    try {
      Path source = segments.get(segment);
      if (source == null) {
        throw new IllegalArgumentException("segment " + segment + " does not exist in " + dir);
      }
      if (segment >= activeSegmentNumber()) {
        throw new IllegalArgumentException(
            "segment "
                + segment
                + " of "
                + dir
                + " is being appended to; only full segments can be rewritten");
      }
      Path temp = dir.resolve(FileNames.of(segment, 10, SegmentFormat.REWRITE_SUFFIX));
      try {
        long size = writeRewritten(segment, source, temp, rewriter);
        Files.move(
            temp, source, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        FileSync.directory(dir);
        return size;
      } catch (IOException e) {
        throw new DepotException("cannot rewrite " + source + ": " + e, e);
      } finally {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException e) {
          LOG.log(System.Logger.Level.WARNING, "cannot delete " + temp, e);
        }
      }
    } finally {
      maintenance.unlock();
    }
  }

  private long writeRewritten(int segment, Path source, Path temp, RecordRewriter rewriter)
      throws IOException {
    long size;
    try (FileChannel out = FileChannel.open(temp, CREATE, TRUNCATE_EXISTING, READ, WRITE);
        QueueCursor in = new QueueCursor(this, (long) segment << 32, segment)) {
      FrameSink target =
          new FrameSink(temp, out, SegmentFormat.newBuffer(config.writeBufferBytes()), 0);
      target.putHeader(segment, SegmentFormat.FLAG_REWRITTEN);
      DepotRecord record;
      while ((record = in.next()) != null) {
        ByteBuffer keep = rewriter.rewrite(record);
        if (keep == null) {
          continue;
        }
        long recordPos = DepotIds.position(record.id());
        if (target.end() > recordPos) {
          throw new IllegalArgumentException(
              "rewritten items of segment "
                  + segment
                  + " would move record "
                  + DepotIds.toString(record.id())
                  + " forward; a rewrite may shrink or drop items but not grow them in total");
        }
        if (keep.remaining() > maxItemBytes) {
          checkItemLength(keep.remaining());
        }
        int type =
            keep == record.buffer() && !record.complete()
                ? TYPE_PARTIAL
                : record.tag() != DepotRecord.NO_TAG ? TYPE_TAGGED : TYPE_RECORD;
        target.put(type, recordPos, record.tag(), null, keep, 0, keep.remaining());
      }
      target.flush();
      size = target.end();
      Files.setLastModifiedTime(temp, Files.getLastModifiedTime(source));
      out.force(true);
    }
    return size;
  }

  @Override
  public List<SegmentInfo> segments() {
    checkOpen();
    if (config.readOnly()) {
      refreshSegments();
    }
    List<SegmentInfo> infos = new ArrayList<>();
    for (Map.Entry<Integer, Path> e : segments.entrySet()) {
      try {
        infos.add(
            new SegmentInfo(
                e.getKey(),
                e.getValue(),
                Files.size(e.getValue()),
                Files.getLastModifiedTime(e.getValue()).toMillis()));
      } catch (NoSuchFileException gone) {
        // deleted meanwhile
      } catch (IOException ex) {
        throw new DepotException("cannot read " + e.getValue() + ": " + ex, ex);
      }
    }
    return infos;
  }

  @Override
  public QueueStats stats() {
    checkOpen();
    if (!config.readOnly()) {
      lock.lock();
      try {
        if (failure == null) {
          flushLocked();
        }
      } finally {
        lock.unlock();
      }
    }
    long items = 0;
    long partial = 0;
    long corrupt = 0;
    long itemBytes = 0;
    long first = -1;
    long last = -1;
    try (QueueCursor cursor = new QueueCursor(this, 0, Integer.MAX_VALUE)) {
      while (true) {
        DepotRecord record;
        try {
          record = cursor.next();
        } catch (DepotCorruptionException e) {
          corrupt++;
          continue;
        }
        if (record == null) {
          break;
        }
        if (first < 0) {
          first = record.id();
        }
        if (record.complete()) {
          items++;
          itemBytes += record.length();
          last = record.id();
        } else {
          partial++;
        }
      }
    }
    List<SegmentInfo> infos = segments();
    long diskBytes = 0;
    for (SegmentInfo info : infos) {
      diskBytes += info.bytes();
    }
    return new QueueStats(items, partial, corrupt, itemBytes, diskBytes, infos.size(), first, last);
  }

  @Override
  public Path directory() {
    return dir;
  }

  @Override
  public boolean readOnly() {
    return config.readOnly();
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      DepotException error = null;
      if (!config.readOnly()) {
        if (syncer != null) {
          syncer.shutdown();
          try {
            syncer.awaitTermination(1, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        if (failure == null && sink != null) {
          try {
            sync();
          } catch (DepotException e) {
            error = e;
          }
        }
      }
      lock.lock();
      try {
        closed = true;
        DepotException released = release();
        if (error == null) {
          error = released;
        }
      } finally {
        lock.unlock();
      }
      signalLock.lock();
      try {
        published.signalAll();
      } finally {
        signalLock.unlock();
      }
      if (error != null) {
        throw error;
      }
    }
  }

  /**
   * Closes the active segment and releases the writer lock, each even when the other fails; safe to
   * call on a half-open queue. Returns what went wrong, or null.
   */
  private DepotException release() {
    IOException error = null;
    if (sink != null) {
      try {
        sink.channel().close();
      } catch (IOException e) {
        error = e;
      }
    }
    if (directoryLock != null) {
      try {
        directoryLock.close();
      } catch (IOException e) {
        if (error == null) {
          error = e;
        } else {
          error.addSuppressed(e);
        }
      }
    }
    return error == null ? null : new DepotException("cannot close " + dir + ": " + error, error);
  }

  @Override
  public String toString() {
    return "DepotQueue[" + dir + (config.readOnly() ? ", read-only]" : "]");
  }
}
