package dev.depot.store.internal.queue;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.internal.FileNames;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The segment file format of the depot queue, version 1. This class owns it; everything that reads
 * or writes segment bytes goes through the constants and helpers here.
 *
 * <h2>Files</h2>
 *
 * A queue directory holds segment files named by their segment number, zero-padded to ten digits so
 * that {@code ls} sorts them: {@code 0000000000.seg}, {@code 0000000001.seg}, ... A segment number
 * is between 0 and 2<sup>31</sup>-1. The directory also holds {@code .lock}, the single-writer lock
 * (its content is the writer's process id, informational only), and, while a rewrite runs, one
 * {@code NNNNNNNNNN.seg.rewrite} temporary file that a writer deletes on open.
 *
 * <h2>Segment header (16 bytes, at position 0)</h2>
 *
 * All integers are little-endian.
 *
 * <pre>
 * offset size field
 *      0    4 magic: the bytes 'D' 'E' 'P' 'Q' (0x44 0x45 0x50 0x51)
 *      4    1 format version: 1
 *      5    1 flags: bit 0 REWRITTEN (the segment was produced by a rewrite); other bits zero
 *      6    2 reserved: zero
 *      8    4 segment number, unsigned; must match the file name
 *     12    4 CRC32C of bytes 0..11
 * </pre>
 *
 * <h2>Frames (12 + n or 20 + n bytes each, packed from position 16)</h2>
 *
 * <pre>
 * offset size field
 *      0    4 CRC32C of every following byte of the frame (header fields and payload)
 *      4    4 bits 0..29: payload length n (at most 2<sup>30</sup>-1);
 *             bits 30..31: type, 0 = RECORD, 1 = PARTIAL, 2 = TAGGED RECORD, 3 is invalid
 *      8    4 record position, unsigned: the byte offset at which the record was first appended.
 *             The record's id is (segment number &lt;&lt; 32) | record position. In a segment that was
 *             never rewritten it equals the frame's own offset; a rewrite moves frames towards the
 *             start of the file and keeps their record position, so ids survive compaction.
 *     12    8 TAGGED RECORD only: the tag, a long the application stores with the item (the Kafka
 *             Connect sink keeps each record's offset there)
 * 12 or 20  n payload: the item bytes (RECORD, TAGGED RECORD), or the unverified bytes a crash left
 *             (PARTIAL)
 * </pre>
 *
 * A zero-filled region never parses as a frame: its record position field (0) never equals the
 * frame offset (at least 16), and a CRC32C of zeros is not zero. A frame is complete, and its
 * record durable after the next {@code fsync}, once all of its 12 + n bytes are in the file; there
 * is no separate commit marker. The end of a segment is where the frames stop: the end of the file,
 * or the first position where no valid frame begins.
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
 *   <li>else, if a valid frame begins anywhere after {@code p}, at {@code q}: when an aligned
 *       512-byte sector from {@code p} (or from its start) to its end, at least 12 bytes, within
 *       [{@code p}, {@code q}) is all zeros, this is a hole a power cut left (unsynced sectors
 *       written back out of order, some never): the writer overwrites the 12 bytes at {@code p}
 *       with a PARTIAL frame header whose payload runs to {@code q} and goes on scanning at {@code
 *       q}. Otherwise the segment is damaged in the middle and opening for write fails with {@link
 *       DepotCorruptionException};
 *   <li>else the bytes from {@code p} to the end of the file are a torn tail. The writer overwrites
 *       the 12 bytes at {@code p} with a PARTIAL frame header whose payload is the rest of the file
 *       (extending the file to {@code p + 12} when fewer bytes were left), and appends after it.
 *       Readers report that frame as a record with {@code complete() == false}.
 * </ul>
 *
 * Older segments keep a torn tail as it is (a crash can leave one only when the segment was rolled
 * but not yet synced); readers report such a tail as one partial record and move on.
 */
final class SegmentFormat {
  public static final int VERSION = 1;
  public static final int HEADER_BYTES = 16;
  public static final int FRAME_HEADER_BYTES = 12;
  public static final int MAGIC = 0x51504544; // "DEPQ" read as a little-endian int
  public static final int FLAG_REWRITTEN = 1;

  public static final int TYPE_RECORD = 0;
  public static final int TYPE_PARTIAL = 1;
  public static final int TYPE_TAGGED = 2;
  public static final int TAG_BYTES = 8;
  public static final int LENGTH_MASK = (1 << 30) - 1;
  public static final int MAX_PAYLOAD_BYTES = LENGTH_MASK;
  public static final int MAX_SEGMENT_NUMBER = Integer.MAX_VALUE;

  public static final String SEGMENT_SUFFIX = ".seg";
  public static final String REWRITE_SUFFIX = ".seg.rewrite";

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
   * header's flags.
   *
   * @throws DepotCorruptionException naming {@code file} when the header is not a valid version 1
   *     header of segment {@code segment}
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
    if (version != VERSION) {
      throw new DepotCorruptionException(
          file, 0, "unsupported segment format version " + version + ", expected " + VERSION);
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
    return flags;
  }

  /** The largest item, tagged or not, a segment of {@code segmentBytes} can hold. */
  public static int maxItemBytes(long segmentBytes) {
    return (int)
        Math.min(MAX_PAYLOAD_BYTES, segmentBytes - HEADER_BYTES - FRAME_HEADER_BYTES - TAG_BYTES);
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

  /** Size of a frame's header fields: 12 bytes, 20 for a tagged record. */
  public static int headerBytes(int type) {
    return type == TYPE_TAGGED ? FRAME_HEADER_BYTES + TAG_BYTES : FRAME_HEADER_BYTES;
  }
}
