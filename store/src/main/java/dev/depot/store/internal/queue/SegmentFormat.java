package dev.depot.store.internal.queue;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.internal.FileNames;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The segment file format of the depot queue, version 2 (and the version 1 it extends), and the
 * format of the segments' index files. This class owns both; everything that reads or writes
 * segment or index bytes goes through the constants and helpers here and in {@link SegmentIndex}.
 *
 * <h2>Files</h2>
 *
 * A queue directory holds segment files named by their segment number, zero-padded to ten digits so
 * that {@code ls} sorts them: {@code 0000000000.seg}, {@code 0000000001.seg}, ... A segment number
 * is between 0 and 2<sup>31</sup>-1. Beside each segment may lie its index, {@code 0000000000.idx},
 * ... (see "Index files" below). The directory also holds {@code .lock}, the single-writer lock
 * (its content is the writer's process id, informational only), and, while a rewrite runs or an
 * index is written, one {@code NNNNNNNNNN.seg.rewrite} or {@code NNNNNNNNNN.idx.tmp} temporary file
 * that a writer deletes on open.
 *
 * <h2>Segment header (16 bytes, at position 0)</h2>
 *
 * All integers are little-endian.
 *
 * <pre>
 * offset size field
 *      0    4 magic: the bytes 'D' 'E' 'P' 'Q' (0x44 0x45 0x50 0x51)
 *      4    1 format version: 2 (written since timestamps exist) or 1 (read, and appended to with
 *             frames of types 0 to 2 only)
 *      5    1 flags: bit 0 REWRITTEN (the segment was produced by a rewrite); other bits zero
 *      6    2 reserved: zero
 *      8    4 segment number, unsigned; must match the file name
 *     12    4 CRC32C of bytes 0..11
 * </pre>
 *
 * <h2>Frames (12 + n, 20 + n or 28 + n bytes each, packed from position 16)</h2>
 *
 * <pre>
 * offset size field
 *      0    4 CRC32C of every following byte of the frame (header fields and payload)
 *      4    4 bits 0..29: payload length n (at most 2<sup>30</sup>-1);
 *             bits 30..31: type, 0 = RECORD, 1 = PARTIAL, 2 = TAGGED RECORD,
 *             3 = TIMED RECORD (version 2 only; invalid in a version 1 segment)
 *      8    4 record position, unsigned: the byte offset at which the record was first appended.
 *             The record's id is (segment number &lt;&lt; 32) | record position. In a segment that was
 *             never rewritten it equals the frame's own offset; a rewrite moves frames towards the
 *             start of the file and keeps their record position, so ids survive compaction.
 *     12    8 TAGGED and TIMED RECORD only: the tag, a long the application stores with the item
 *             (the Kafka Connect sink keeps each record's offset there); never Long.MIN_VALUE
 *     20    8 TIMED RECORD only: the timestamp, milliseconds since the epoch, signed (the sink
 *             keeps the Kafka record's timestamp there); never Long.MIN_VALUE
 * 12, 20    n payload: the item bytes (RECORD, TAGGED, TIMED RECORD), or the unverified bytes a
 *  or 28      crash left (PARTIAL)
 * </pre>
 *
 * A zero-filled region never parses as a frame: its record position field (0) never equals the
 * frame offset (at least 16), and a CRC32C of zeros is not zero. A frame is complete, and its
 * record durable after the next {@code fsync}, once all of its bytes are in the file; there is no
 * separate commit marker. The end of a segment is where the frames stop: the end of the file, or
 * the first position where no valid frame begins.
 *
 * <p>Version 2 differs from version 1 only by frame type 3. A writer creates version 2 segments; it
 * keeps appending to a version 1 segment it recovers until the first TIMED RECORD, which it puts in
 * a new segment instead. A rewrite writes version 2.
 *
 * <h2>Recovery</h2>
 *
 * A writer opening the queue scans the last segment. At the first position {@code p} where no valid
 * frame begins:
 *
 * <ul>
 *   <li>if the frame's length field is intact (the frame ends where another valid frame begins),
 *       the damage is confined to one record: the frame stays as it is, readers raise {@link
 *       DepotCorruptionException} for it and continue after it;
 *   <li>else, if a valid frame begins anywhere after {@code p}, the segment is damaged in the
 *       middle and opening for write fails with {@link DepotCorruptionException};
 *   <li>else the bytes from {@code p} to the end of the file are a torn tail. The writer overwrites
 *       the 12 bytes at {@code p} with a PARTIAL frame header whose payload is the rest of the file
 *       (extending the file to {@code p + 12} when fewer bytes were left), and appends after it.
 *       Readers report that frame as a record with {@code complete() == false}.
 * </ul>
 *
 * Older segments keep a torn tail as it is (a crash can leave one only when the segment was rolled
 * but not yet synced); readers report such a tail as one partial record and move on.
 *
 * <h2>Index files</h2>
 *
 * {@code NNNNNNNNNN.idx} is a sparse index of segment {@code NNNNNNNNNN}, derived from it: it is
 * never needed to read the segment, and never trusted over it. A header, then entries.
 *
 * <pre>
 * header, 16 bytes
 * offset size field
 *      0    4 magic: the bytes 'D' 'E' 'P' 'X' (0x44 0x45 0x50 0x58)
 *      4    1 index format version: 1
 *      5    3 reserved: zero
 *      8    4 segment number, unsigned; must match the file name
 *     12    4 CRC32C of bytes 0..11
 *
 * entry, 28 bytes each, from position 16
 * offset size field
 *      0    4 file position, unsigned: where a frame begins in the segment file, or the segment's
 *             end (the last entry of a full segment)
 *      4    4 record position, unsigned, of that frame (its id's low 32 bits); at the end, the
 *             record position one past the last record's
 *      8    8 max timestamp: the largest timestamp of the complete records before the file
 *             position, Long.MIN_VALUE when none has one
 *     16    8 max tag: the same for tags
 *     24    4 CRC32C of bytes 0..23 of the entry
 * </pre>
 *
 * File and record positions grow strictly from entry to entry, max timestamp and max tag never
 * shrink. The writer adds an entry at the first frame at least the index interval ({@code
 * DepotQueue.Builder.indexIntervalBytes}) past the previous entry (the segment header counts as an
 * entry at position 16) and keeps the active segment's entries in memory. It writes a segment's
 * file whole (to {@code .idx.tmp}, then renamed; never fsynced) when it rolls to the next segment,
 * when it closes, and when a rewrite replaces the segment (the old index is deleted before the new
 * segment is renamed in); and after each sync it brings the active segment's file up to date for
 * readers in other processes (whole the first time after open or a roll, then by appending the new
 * entries: a torn append fails its CRC). A full segment's index ends with an entry at the segment's
 * end; so does the last segment's when the writer closes.
 *
 * <p>A seek binary-searches the entries (for an id, the last entry whose record position is at or
 * below the id's; for a timestamp or tag, the last entry whose max is below it: every record before
 * that entry is then smaller, and one in the interval after it is not) and scans the segment from
 * there. Before it uses an entry it checks the entry's CRC and order, and that a valid frame with
 * that record position begins at that file position (or that it is the end of the file). When a
 * check fails, or the file is missing, shorter than a full segment's index must be, or not an
 * index, the seek scans the segment from its start, and a writer rebuilds the index from the
 * segment. Appends only add records and rewrites only drop or replace items (keeping tags and
 * timestamps), so an entry that is older than its segment still gives a true bound.
 */
final class SegmentFormat {
  /** The version a writer writes. */
  public static final int VERSION = 2;

  /** The first version, still read. */
  public static final int VERSION_1 = 1;

  public static final int HEADER_BYTES = 16;
  public static final int FRAME_HEADER_BYTES = 12;
  public static final int MAGIC = 0x51504544; // "DEPQ" read as a little-endian int
  public static final int FLAG_REWRITTEN = 1;

  public static final int TYPE_RECORD = 0;
  public static final int TYPE_PARTIAL = 1;
  public static final int TYPE_TAGGED = 2;
  public static final int TYPE_TIMED = 3;
  public static final int TAG_BYTES = 8;
  public static final int TIMESTAMP_BYTES = 8;
  public static final int LENGTH_MASK = (1 << 30) - 1;
  public static final int MAX_PAYLOAD_BYTES = LENGTH_MASK;
  public static final int MAX_SEGMENT_NUMBER = Integer.MAX_VALUE;

  public static final String SEGMENT_SUFFIX = ".seg";
  public static final String REWRITE_SUFFIX = ".seg.rewrite";
  public static final String INDEX_SUFFIX = ".idx";
  public static final String INDEX_TEMP_SUFFIX = ".idx.tmp";

  private SegmentFormat() {}

  /** The file name of a segment: its number zero-padded to ten digits, then {@code .seg}. */
  public static String fileName(int segment) {
    return FileNames.of(segment, 10, SEGMENT_SUFFIX);
  }

  /** The segment number a file name denotes, or -1 when the name is not a segment file name. */
  public static int parseFileName(String name) {
    long n = FileNames.parse(name, 10, SEGMENT_SUFFIX);
    return n > MAX_SEGMENT_NUMBER ? -1 : (int) n;
  }

  /**
   * The file name of a segment's index: its number zero-padded to ten digits, then {@code .idx}.
   */
  public static String indexFileName(int segment) {
    return FileNames.of(segment, 10, INDEX_SUFFIX);
  }

  public static ByteBuffer newBuffer(int capacity) {
    return ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Writes a segment header at the buffer's position and advances it by {@link #HEADER_BYTES}. */
  public static void putHeader(ByteBuffer buf, int segment, int flags) {
    if (buf.order() != ByteOrder.LITTLE_ENDIAN) {
      throw new IllegalArgumentException("segment headers are little-endian");
    }
    int start = buf.position();
    buf.putInt(MAGIC);
    buf.put((byte) VERSION);
    buf.put((byte) flags);
    buf.putShort((short) 0);
    buf.putInt(segment);
    CRC32C crc = new CRC32C();
    ByteBuffer covered = buf.duplicate().position(start).limit(start + 12);
    crc.update(covered);
    buf.putInt((int) crc.getValue());
  }

  /**
   * Checks the 16 header bytes at the buffer's position (which is left unchanged) and returns the
   * header's flags in bits 0..7 and its format version in bits 8..15.
   *
   * @throws DepotCorruptionException naming {@code file} when the header is not a valid version 1
   *     or 2 header of segment {@code segment}
   */
  public static int checkHeader(ByteBuffer header, Path file, int segment) {
    ByteBuffer buf = header.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int start = buf.position();
    CRC32C crc = new CRC32C();
    crc.update(buf.duplicate().position(start).limit(start + 12));
    int expected = buf.getInt(start + 12);
    int actual = (int) crc.getValue();
    if (expected != actual) {
      throw new DepotCorruptionException(
          file,
          0,
          Integer.toUnsignedLong(expected),
          Integer.toUnsignedLong(actual),
          "segment header checksum mismatch");
    }
    if (buf.getInt(start) != MAGIC) {
      throw new DepotCorruptionException(file, 0, "not a depot segment (bad magic number)");
    }
    int version = buf.get(start + 4) & 0xFF;
    if (version != VERSION && version != VERSION_1) {
      throw new DepotCorruptionException(
          file,
          4,
          "unsupported segment format version "
              + version
              + ", expected "
              + VERSION_1
              + " or "
              + VERSION);
    }
    int flags = buf.get(start + 5) & 0xFF;
    if ((flags & ~FLAG_REWRITTEN) != 0) {
      throw new DepotCorruptionException(file, 5, "unknown segment flags 0x" + flags);
    }
    int number = buf.getInt(start + 8);
    if (number != segment) {
      throw new DepotCorruptionException(
          file,
          8,
          "header names segment "
              + Integer.toUnsignedString(number)
              + " but the file name says "
              + segment);
    }
    return flags | version << 8;
  }

  /** The largest item, tagged or not, a segment of {@code segmentBytes} can hold. */
  public static int maxItemBytes(long segmentBytes) {
    return (int)
        Math.min(
            MAX_PAYLOAD_BYTES,
            segmentBytes - HEADER_BYTES - FRAME_HEADER_BYTES - TAG_BYTES - TIMESTAMP_BYTES);
  }

  /**
   * @throws IllegalArgumentException when an item of {@code length} bytes does not fit a segment of
   *     {@code segmentBytes}
   */
  public static void checkItemLength(int length, long segmentBytes) {
    int max = maxItemBytes(segmentBytes);
    if (length > max) {
      throw new IllegalArgumentException(
          String.format(
              "item of %d bytes is larger than %d bytes, the largest item segmentBytes=%d allows;"
                  + " raise segmentBytes",
              length, max, segmentBytes));
    }
  }

  /** Size of a frame's header fields: 12 bytes, 20 for a tagged record, 28 for a timed one. */
  public static int headerBytes(int type) {
    return type == TYPE_TIMED
        ? FRAME_HEADER_BYTES + TAG_BYTES + TIMESTAMP_BYTES
        : type == TYPE_TAGGED ? FRAME_HEADER_BYTES + TAG_BYTES : FRAME_HEADER_BYTES;
  }

  /** The largest frame type a segment of {@code version} may hold. */
  public static int maxType(int version) {
    return version >= VERSION ? TYPE_TIMED : TYPE_TAGGED;
  }
}
