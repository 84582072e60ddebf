package dev.depot.store.internal.queue;

import static dev.depot.store.internal.queue.SegmentFormat.FRAME_HEADER_BYTES;
import static dev.depot.store.internal.queue.SegmentFormat.HEADER_BYTES;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.DepotException;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Objects;

/**
 * A cursor over the segments of a queue, from a start up to a last segment. The start is an id, or
 * the first complete record whose timestamp or tag is at least a target; the cursor finds it
 * through the segments' indexes ({@link SegmentSource#locate}). It is also the record it returns:
 * the fields of the current record live here, and the payload in the frame reader's buffer.
 */
final class QueueCursor implements DepotCursor, DepotRecord {
  private final SegmentSource queue;
  private final long fromId;
  private final int lastSegment;
  private final SegmentIndex.Seek seek;
  private final long target;
  private final boolean useIndex;
  private FrameReader reader;

  /** For a timestamp or tag seek: whether the first matching record was returned. */
  private boolean started;

  private int segment = -1;
  private int nextSegment;
  private boolean headerRead;
  private boolean sealed;
  private long limit;
  private long sealedLimit;
  private long pos;
  private long minRecordPos;
  private boolean closed;

  private long id;
  private long tag;
  private long timestamp;
  private long framePos;
  private long framesRead;
  private boolean complete;
  private int length;
  private int payloadIndex;
  private ByteBuffer slice;

  /** A cursor from {@code fromId}, using the indexes. */
  QueueCursor(SegmentSource queue, long fromId, int lastSegment) {
    this(queue, fromId, lastSegment, true);
  }

  /** A cursor from {@code fromId}; {@code useIndex} false reads each segment from its header. */
  QueueCursor(SegmentSource queue, long fromId, int lastSegment, boolean useIndex) {
    this(queue, SegmentIndex.Seek.ID, fromId, lastSegment, useIndex);
  }

  /**
   * A cursor from the first record {@code seek} looks for: with {@link SegmentIndex.Seek#ID}, the
   * first whose id is at least {@code target}; else the first complete record whose timestamp or
   * tag is at least {@code target}.
   */
  QueueCursor(
      SegmentSource queue, SegmentIndex.Seek seek, long target, int lastSegment, boolean useIndex) {
    this.queue = queue;
    this.seek = seek;
    this.target = target;
    this.fromId = seek == SegmentIndex.Seek.ID ? Math.max(0, target) : 0;
    this.lastSegment = lastSegment;
    this.useIndex = useIndex;
    this.nextSegment = DepotIds.segment(this.fromId);
  }

  /** Whether the record at {@code recordId}, just parsed, comes before the cursor's start. */
  private boolean beforeStart(long recordId) {
    if (seek == SegmentIndex.Seek.ID) {
      return recordId < fromId;
    }
    if (!started) {
      long value = seek == SegmentIndex.Seek.TIMESTAMP ? reader.timestamp() : reader.tag();
      started = !reader.partial() && value != Long.MIN_VALUE && value >= target;
    }
    return !started;
  }

  /** How many frames this cursor parsed (tests check that a seek reads one index interval). */
  long framesRead() {
    return framesRead;
  }

  /** The file position of the current record's frame (not its id's position after a rewrite). */
  long framePosition() {
    return framePos;
  }

  @Override
  public DepotRecord next() {
    if (closed) {
      throw new IllegalStateException("cursor is closed");
    }
    if (slice != null) {
      slice = null;
    }
    while (true) {
      if (segment < 0 && !openNextSegment()) {
        return null;
      }
      if (!headerRead) {
        refreshLimit();
        if (!readHeader() && !(moreVisible() && readHeader())) {
          return null;
        }
      }
      int result = reader.parse(pos, limit, minRecordPos);
      framesRead++;
      if (result == FrameReader.OK) {
        long recordPos = reader.recordPos();
        long at = pos;
        pos = reader.frameEnd();
        minRecordPos = recordPos + 1;
        long recordId = ((long) segment << 32) | recordPos;
        if (!beforeStart(recordId)) {
          tag = reader.tag();
          timestamp = reader.timestamp();
          framePos = at;
          return current(recordId, !reader.partial(), reader.payloadIndex(), reader.length());
        }
        continue;
      }
      if (!sealed && moreVisible()) {
        continue; // more became readable since the limit was read
      }
      if (result == FrameReader.END) {
        if (!sealed) {
          return null;
        }
        moveToNextSegment();
        continue;
      }
      int damage = damaged(result);
      if (damage == TAIL) {
        long recordId = ((long) segment << 32) | pos;
        int tail =
            (int) Math.min(limit - pos - FRAME_HEADER_BYTES, SegmentFormat.MAX_PAYLOAD_BYTES);
        int index = tail > 0 ? reader.load(pos + FRAME_HEADER_BYTES, tail, limit) : 0;
        long at = pos;
        pos = limit;
        boolean before = seek == SegmentIndex.Seek.ID ? recordId < fromId : !started;
        if (!before && index >= 0) {
          tag = DepotRecord.NO_TAG;
          timestamp = DepotRecord.NO_TIMESTAMP;
          framePos = at;
          return current(recordId, false, index, Math.max(tail, 0));
        }
      } else if (damage == WAIT) {
        return null;
      }
    }
  }

  /** Whether more of the segment is readable now, after asking the writer to hand over. */
  private boolean moreVisible() {
    return refreshLimit() || (queue.handOver() && refreshLimit());
  }

  /**
   * Reads whether the segment is sealed and how far it may be read; true when that lets more be
   * read than before. Sealed is read first, so that a sealed segment's size is final.
   */
  private boolean refreshLimit() {
    queue.checkOpen();
    boolean wasSealed = sealed;
    long before = limit;
    sealed = queue.sealed(segment);
    long now = sealed ? sealedLimit() : queue.activeLimit(segment);
    if (now < 0) {
      now = fileSize();
    }
    limit = now;
    return now > before || (sealed && !wasSealed);
  }

  private static final int MOVED_PAST = 0;
  private static final int TAIL = 1;
  private static final int WAIT = 2;

  /**
   * Handles a frame that did not parse: {@link #TAIL} when it is a torn tail to report as a partial
   * record, {@link #WAIT} when the writer may still be writing it. Otherwise moves past the damage
   * and throws {@link DepotCorruptionException}, or returns {@link #MOVED_PAST} when the damage
   * lies before the start id (the caller did not ask for that record).
   */
  private int damaged(int result) {
    DepotCorruptionException damage = reader.corruption(result);
    long at = pos;
    int extent = reader.classifyDamage(pos, limit, minRecordPos);
    if (extent == FrameReader.DAMAGE_MIDDLE) {
      minRecordPos = reader.resumeAt();
    } else if (extent == FrameReader.DAMAGE_TAIL) {
      if (!reader.rewritten()) {
        if (sealed) {
          return TAIL;
        }
        if (!queue.trustsActiveLimit()) {
          // Read-only: a live writer may still be writing this frame; a dead one left a torn tail.
          return queue.writerAlive() ? WAIT : TAIL;
        }
      }
      // Nothing valid follows, but these bytes were meant to be whole: skip what is visible.
      minRecordPos = limit;
    }
    return skipOrThrow(damage, at, reader.resumeAt());
  }

  private int skipOrThrow(DepotCorruptionException damage, long at, long resume) {
    pos = resume;
    if (seek == SegmentIndex.Seek.ID && (((long) segment << 32) | at) < fromId) {
      return MOVED_PAST;
    }
    throw damage; // while looking for a timestamp or tag: the damaged record may have been it
  }

  private boolean readHeader() {
    int flags;
    try {
      flags = reader.readHeader(segment, limit);
    } catch (DepotCorruptionException e) {
      moveToNextSegment();
      throw e;
    }
    if (flags < 0) {
      if (!sealed) {
        return false;
      }
      Path file = reader.file();
      moveToNextSegment();
      throw new DepotCorruptionException(file, 0, "segment is shorter than its header");
    }
    headerRead = true;
    pos = HEADER_BYTES;
    minRecordPos = HEADER_BYTES;
    long start = DepotIds.position(fromId);
    if (DepotIds.segment(fromId) == segment && start > HEADER_BYTES && !reader.rewritten()) {
      // Fast path for an exact id: start there when a valid frame begins at that offset.
      int result = reader.parse(start, limit, start);
      if ((result == FrameReader.END || result == FrameReader.TRUNCATED)
          && !sealed
          && moreVisible()) {
        result = reader.parse(start, limit, start);
      }
      if (result == FrameReader.OK) {
        pos = start;
        minRecordPos = start;
        return true;
      }
    }
    boolean seeking =
        seek == SegmentIndex.Seek.ID
            ? DepotIds.segment(fromId) == segment && start > HEADER_BYTES
            : !started;
    if (useIndex && seeking) {
      SegmentIndex.Start found =
          queue.locate(
              segment, reader, seek, seek == SegmentIndex.Seek.ID ? start : target, limit, sealed);
      if (found != null) {
        pos = found.filePos();
        minRecordPos = found.recordPos();
      }
    }
    return true;
  }

  private boolean openNextSegment() {
    queue.checkOpen();
    while (nextSegment <= lastSegment && nextSegment >= 0) {
      int found = queue.segmentAtOrAfter(nextSegment);
      if (found < 0 || found > lastSegment) {
        return false;
      }
      Path file = queue.segmentFile(found);
      FileChannel channel;
      try {
        channel = FileChannel.open(file, StandardOpenOption.READ);
      } catch (NoSuchFileException e) {
        nextSegment = found + 1; // deleted since it was listed
        continue;
      } catch (IOException e) {
        throw new DepotException("cannot open " + file + ": " + e, e);
      }
      if (reader == null) {
        reader = new FrameReader(file, channel, queue.readBufferBytes());
      } else {
        reader.switchTo(file, channel);
      }
      segment = found;
      headerRead = false;
      sealed = false;
      limit = 0;
      sealedLimit = -1;
      return true;
    }
    return false;
  }

  private void moveToNextSegment() {
    reader.close();
    nextSegment = segment == Integer.MAX_VALUE ? -1 : segment + 1;
    segment = -1;
  }

  private long sealedLimit() {
    if (sealedLimit < 0) {
      sealedLimit = fileSize();
    }
    return sealedLimit;
  }

  private long fileSize() {
    try {
      return reader.channel().size();
    } catch (IOException e) {
      throw new DepotException("cannot read the size of " + reader.file() + ": " + e, e);
    }
  }

  private DepotRecord current(long recordId, boolean isComplete, int index, int bytes) {
    id = recordId;
    complete = isComplete;
    payloadIndex = index;
    length = bytes;
    return this;
  }

  @Override
  public DepotRecord poll(Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout cannot be null");
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int attempt = 0; ; attempt++) {
      long seen = queue.visibleVersion();
      DepotRecord record = next();
      if (record != null) {
        return record;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      queue.awaitData(seen, left, attempt);
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      if (reader != null) {
        reader.close();
      }
    }
  }

  // ---- DepotRecord: the current record ----

  @Override
  public long id() {
    return id;
  }

  @Override
  public long tag() {
    return tag;
  }

  @Override
  public long timestamp() {
    return timestamp;
  }

  @Override
  public boolean complete() {
    return complete;
  }

  @Override
  public int length() {
    return length;
  }

  @Override
  public byte[] item() {
    byte[] copy = new byte[length];
    reader.buffer().get(payloadIndex, copy, 0, length);
    return copy;
  }

  @Override
  public int copyTo(byte[] destination, int offset) {
    reader.buffer().get(payloadIndex, destination, offset, length);
    return length;
  }

  @Override
  public ByteBuffer buffer() {
    if (slice == null) {
      slice = reader.readOnlyBuffer().slice(payloadIndex, length);
    }
    return slice;
  }

  @Override
  public String toString() {
    return "DepotRecord[id="
        + DepotIds.toString(id)
        + ", length="
        + length
        + ", complete="
        + complete
        + "]";
  }
}
