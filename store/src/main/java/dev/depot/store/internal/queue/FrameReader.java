package dev.depot.store.internal.queue;

import static dev.depot.store.internal.queue.SegmentFormat.FRAME_HEADER_BYTES;
import static dev.depot.store.internal.queue.SegmentFormat.HEADER_BYTES;
import static dev.depot.store.internal.queue.SegmentFormat.LENGTH_MASK;
import static dev.depot.store.internal.queue.SegmentFormat.TYPE_PARTIAL;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.DepotException;
import dev.depot.store.queue.DepotRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Parses the frames of one segment file through a read buffer. Not thread-safe: each cursor, scan
 * or recovery owns one. It never reads past the {@code limit} a caller passes, so bytes a writer
 * has not published are never looked at.
 */
final class FrameReader implements AutoCloseable {
  /** A valid frame was parsed; its fields are available until the next call. */
  public static final int OK = 0;

  /** {@code pos == limit}: there is nothing more to read. */
  public static final int END = 1;

  /** The frame header or payload would extend past {@code limit}. */
  public static final int TRUNCATED = 2;

  /** The frame header is impossible: invalid type, or a record position that does not fit. */
  public static final int BAD_HEADER = 3;

  /** The frame is complete but its checksum does not match. */
  public static final int BAD_CHECKSUM = 4;

  /** {@link #classifyDamage}: one frame whose length field is intact; another frame follows it. */
  static final int DAMAGE_CONFINED = 0;

  /** {@link #classifyDamage}: the length field is not to be trusted, but a valid frame follows. */
  static final int DAMAGE_MIDDLE = 1;

  /** {@link #classifyDamage}: nothing valid follows: a torn tail, or bytes still being written. */
  static final int DAMAGE_TAIL = 2;

  // Invariant: buf.limit() == buf.capacity() between calls, so absolute gets work everywhere.
  private Path file;
  private FileChannel channel;
  private final CRC32C crc = new CRC32C();
  private final ByteBuffer header =
      ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private ByteBuffer buf;
  private ByteBuffer readOnly;
  private long bufStart;
  private int bufLen;

  private int headerFlags;
  private int version = SegmentFormat.VERSION;

  // Fields of the last parsed frame.
  private long framePos;
  private long frameEnd;
  private int type;
  private int length;
  private long recordPos;
  private int payloadIndex;
  private int storedCrc;
  private int computedCrc;
  private long tag;
  private long timestamp;

  private long resumeAt;

  public FrameReader(Path file, FileChannel channel, int bufferBytes) {
    this.file = file;
    this.channel = channel;
    this.buf = SegmentFormat.newBuffer(bufferBytes);
  }

  public Path file() {
    return file;
  }

  public FileChannel channel() {
    return channel;
  }

  /**
   * Reads and checks the segment header, returning its flags, or -1 when fewer than {@link
   * SegmentFormat#HEADER_BYTES} bytes are below {@code limit}.
   */
  public int readHeader(int segment, long limit) {
    if (limit < HEADER_BYTES) {
      return -1;
    }
    // 16 bytes, not a buffer's worth: a seek may go on far from the header, or to the next segment.
    header.clear();
    try {
      while (header.hasRemaining()) {
        if (channel.read(header, header.position()) < 0) {
          return -1;
        }
      }
    } catch (IOException e) {
      throw new DepotException("cannot read " + file + " at position 0", e);
    }
    int flagsAndVersion = SegmentFormat.checkHeader(header.flip(), file, segment);
    headerFlags = flagsAndVersion & 0xFF;
    version = flagsAndVersion >>> 8;
    return headerFlags;
  }

  /** The format version of the segment whose header was read last. */
  public int version() {
    return version;
  }

  /** Whether the segment's header says it was rewritten (record positions differ from offsets). */
  public boolean rewritten() {
    return (headerFlags & SegmentFormat.FLAG_REWRITTEN) != 0;
  }

  /**
   * Parses the frame at {@code pos}. {@code minRecordPos} is the smallest record position the frame
   * may have (one past the previous frame's); in a segment that was never rewritten the record
   * position must equal {@code pos}.
   *
   * @return {@link #OK}, {@link #END}, {@link #TRUNCATED}, {@link #BAD_HEADER} or {@link
   *     #BAD_CHECKSUM}
   */
  public int parse(long pos, long limit, long minRecordPos) {
    if (pos >= limit) {
      return END;
    }
    framePos = pos;
    frameEnd = -1;
    if (limit - pos < FRAME_HEADER_BYTES || !ensure(pos, FRAME_HEADER_BYTES, limit)) {
      return TRUNCATED;
    }
    int i = (int) (pos - bufStart);
    long crcAndLength = buf.getLong(i);
    storedCrc = (int) crcAndLength;
    int lengthAndType = (int) (crcAndLength >>> 32);
    type = lengthAndType >>> 30;
    length = lengthAndType & LENGTH_MASK;
    recordPos = Integer.toUnsignedLong(buf.getInt(i + 8));
    int headerBytes = SegmentFormat.headerBytes(type);
    long end = pos + headerBytes + length;
    frameEnd = end <= limit ? end : -1;
    if (type > SegmentFormat.maxType(version)) {
      return BAD_HEADER;
    }
    if (rewritten() ? recordPos < Math.max(pos, minRecordPos) : recordPos != pos) {
      return BAD_HEADER;
    }
    if (end > limit) {
      return TRUNCATED;
    }
    if (!ensure(pos, headerBytes + length, limit)) {
      return TRUNCATED;
    }
    i = (int) (pos - bufStart);
    crc.reset();
    buf.limit(i + headerBytes + length).position(i + 4);
    crc.update(buf);
    buf.limit(buf.capacity());
    computedCrc = (int) crc.getValue();
    payloadIndex = i + headerBytes;
    tag =
        type >= SegmentFormat.TYPE_TAGGED
            ? buf.getLong(i + FRAME_HEADER_BYTES)
            : DepotRecord.NO_TAG;
    timestamp =
        type == SegmentFormat.TYPE_TIMED
            ? buf.getLong(i + FRAME_HEADER_BYTES + SegmentFormat.TAG_BYTES)
            : DepotRecord.NO_TIMESTAMP;
    return computedCrc == storedCrc ? OK : BAD_CHECKSUM;
  }

  /**
   * Whether a frame starts at {@code q}, judged by its header alone: a valid type and, in a segment
   * never rewritten, a record position equal to {@code q} (32 bits that random bytes match by
   * chance once in four billion). The frame itself may be torn or damaged. Used to tell whether a
   * damaged frame's length field is intact: its end is another frame's start.
   */
  public boolean frameStartsAt(long q, long limit) {
    if (parse(q, limit, q) == OK) {
      return true;
    }
    if (rewritten() || q + FRAME_HEADER_BYTES > limit || !ensure(q, FRAME_HEADER_BYTES, limit)) {
      return false;
    }
    int i = (int) (q - bufStart);
    return buf.getInt(i + 4) >>> 30 <= SegmentFormat.maxType(version)
        && Integer.toUnsignedLong(buf.getInt(i + 8)) == q;
  }

  /**
   * The first position in [{@code from}, {@code limit}) where a valid frame begins, or -1. Only
   * meaningful in segments that were never rewritten, where a frame's record position equals its
   * offset: that makes the search one int comparison per byte.
   */
  public long findNextFrame(long from, long limit) {
    for (long q = Math.max(from, HEADER_BYTES); q + FRAME_HEADER_BYTES <= limit; q++) {
      if (!ensure(q, FRAME_HEADER_BYTES, limit)) {
        return -1;
      }
      if (Integer.toUnsignedLong(buf.getInt((int) (q - bufStart) + 8)) == q
          && parse(q, limit, q) == OK) {
        return q;
      }
    }
    return -1;
  }

  /**
   * Tells how far the damage of the frame at {@code pos}, which {@link #parse} just refused,
   * reaches (the recovery rules of {@link SegmentFormat}, shared by recovery and cursors): {@link
   * #DAMAGE_CONFINED} when the frame ends where another valid frame begins, {@link #DAMAGE_MIDDLE}
   * when a valid frame begins anywhere after it (looked for only in segments never rewritten), else
   * {@link #DAMAGE_TAIL}. {@link #resumeAt()} then says where reading may go on: that next frame,
   * or {@code limit} for a tail. Replaces the fields of the last parsed frame.
   */
  int classifyDamage(long pos, long limit, long minRecordPos) {
    long end = frameEnd;
    if (end > pos
        && end < limit
        && (rewritten() ? parse(end, limit, minRecordPos) == OK : frameStartsAt(end, limit))) {
      resumeAt = end;
      return DAMAGE_CONFINED;
    }
    if (!rewritten()) {
      long next = findNextFrame(pos + 1, limit);
      if (next >= 0) {
        resumeAt = next;
        return DAMAGE_MIDDLE;
      }
    }
    resumeAt = limit;
    return DAMAGE_TAIL;
  }

  /** Where reading may go on after the damage {@link #classifyDamage} looked at. */
  long resumeAt() {
    return resumeAt;
  }

  /**
   * Where the last parsed frame ends according to its length field, or -1 when that is past the
   * limit. Also set for a damaged frame, whose length may or may not be intact.
   */
  public long frameEnd() {
    return frameEnd;
  }

  public boolean partial() {
    return type == TYPE_PARTIAL;
  }

  /** The last parsed frame's tag, or {@link DepotRecord#NO_TAG}. */
  public long tag() {
    return tag;
  }

  /** The last parsed frame's timestamp, or {@link DepotRecord#NO_TIMESTAMP}. */
  public long timestamp() {
    return timestamp;
  }

  /** The last parsed frame's type. */
  public int type() {
    return type;
  }

  public int length() {
    return length;
  }

  public long recordPos() {
    return recordPos;
  }

  public long storedCrc() {
    return Integer.toUnsignedLong(storedCrc);
  }

  public long computedCrc() {
    return Integer.toUnsignedLong(computedCrc);
  }

  /** The buffer holding the last parsed payload; replaced when a larger frame needs more room. */
  public ByteBuffer buffer() {
    return buf;
  }

  /** A read-only view of {@link #buffer()}, kept so that record views cost one allocation. */
  public ByteBuffer readOnlyBuffer() {
    if (readOnly == null) {
      readOnly = buf.asReadOnlyBuffer();
    }
    return readOnly;
  }

  /** Index of the last parsed payload in {@link #buffer()}. */
  public int payloadIndex() {
    return payloadIndex;
  }

  /** Describes why the frame at {@code pos} did not parse, for exception messages. */
  public DepotCorruptionException corruption(int result) {
    if (result == BAD_CHECKSUM) {
      return new DepotCorruptionException(
          file, framePos, storedCrc(), computedCrc(), "record checksum mismatch");
    }
    if (result == BAD_HEADER) {
      return new DepotCorruptionException(
          file,
          framePos,
          String.format(
              "invalid frame header (type %d, length %d, record position %d)",
              type, length, recordPos));
    }
    return new DepotCorruptionException(file, framePos, "frame runs past the end of the segment");
  }

  /** Makes bytes [pos, pos+n) available in the buffer; false when the file ends before them. */
  private boolean ensure(long pos, int n, long limit) {
    if (pos >= bufStart && pos + n <= bufStart + bufLen) {
      return true;
    }
    if (n > buf.capacity()) {
      grow(n);
    }
    if (pos >= bufStart && pos <= bufStart + bufLen) {
      int keep = (int) (bufStart + bufLen - pos);
      if (pos > bufStart) {
        buf.limit(bufLen).position((int) (pos - bufStart));
        buf.compact();
      }
      bufLen = keep;
    } else {
      bufLen = 0;
    }
    bufStart = pos;
    try {
      while (bufLen < n) {
        int room = (int) Math.min(buf.capacity() - bufLen, limit - (bufStart + bufLen));
        if (room <= 0) {
          return false;
        }
        buf.limit(bufLen + room).position(bufLen);
        int read = channel.read(buf, bufStart + bufLen);
        buf.limit(buf.capacity());
        if (read < 0) {
          return false;
        }
        bufLen += read;
      }
      return true;
    } catch (IOException e) {
      throw new DepotException("cannot read " + file + " at position " + (bufStart + bufLen), e);
    }
  }

  private void grow(int n) {
    int capacity = Integer.highestOneBit(n - 1) << 1;
    if (capacity <= 0) {
      capacity = Integer.MAX_VALUE - 8;
    }
    ByteBuffer bigger = SegmentFormat.newBuffer(capacity);
    bigger.put(buf.duplicate().position(0).limit(bufLen));
    buf = bigger;
    readOnly = null;
  }

  /**
   * Loads bytes [pos, pos+n) and returns their index in {@link #buffer()}, or -1 when the file ends
   * before them.
   */
  public int load(long pos, int n, long limit) {
    return ensure(pos, n, limit) ? (int) (pos - bufStart) : -1;
  }

  /** Closes the current file and reads {@code newFile} through the same buffer. */
  public void switchTo(Path newFile, FileChannel newChannel) {
    close();
    file = newFile;
    channel = newChannel;
    bufLen = 0;
    bufStart = 0;
    headerFlags = 0;
    version = SegmentFormat.VERSION;
  }

  @Override
  public void close() {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      throw new DepotException("cannot close " + file, e);
    }
  }
}
