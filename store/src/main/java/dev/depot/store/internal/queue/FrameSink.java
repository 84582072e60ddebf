package dev.depot.store.internal.queue;

import static dev.depot.store.internal.queue.SegmentFormat.FRAME_HEADER_BYTES;

import dev.depot.store.queue.ItemWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Encodes frames ({@link SegmentFormat}) into a write buffer and writes the buffer to one segment
 * file. Used by the queue's writer and by segment rewrites. Not thread-safe.
 */
final class FrameSink {
  private final Path file;
  private final FileChannel channel;
  private final ByteBuffer buf;
  private final CRC32C crc = new CRC32C();
  private long filePos;

  /**
   * @param buf a little-endian write buffer, empty; reused by the caller after {@link #flush()}
   * @param filePos where the buffer's first byte goes in the file
   */
  FrameSink(Path file, FileChannel channel, ByteBuffer buf, long filePos) {
    this.file = file;
    this.channel = channel;
    this.buf = buf;
    this.filePos = filePos;
    buf.clear();
  }

  Path file() {
    return file;
  }

  FileChannel channel() {
    return channel;
  }

  /** The file position after everything put so far, written or buffered. */
  long end() {
    return filePos + buf.position();
  }

  /** The file position up to which bytes are written to the file system. */
  long written() {
    return filePos;
  }

  boolean hasBuffered() {
    return buf.position() > 0;
  }

  void putHeader(int segment, int flags) {
    SegmentFormat.putHeader(buf, segment, flags);
  }

  /**
   * Appends one frame. {@code array} is the payload when not null, else {@code buffer} from its
   * position; neither is modified. {@code tag} is written for {@link SegmentFormat#TYPE_TAGGED}.
   */
  void put(
      int type, long recordPos, long tag, byte[] array, ByteBuffer buffer, int offset, int length)
      throws IOException {
    put(type, recordPos, tag, 0, array, buffer, offset, length);
  }

  /**
   * Appends one frame; as {@link #put(int, long, long, byte[], ByteBuffer, int, int)}, and {@code
   * timestamp} is written for {@link SegmentFormat#TYPE_TIMED}.
   */
  void put(
      int type,
      long recordPos,
      long tag,
      long timestamp,
      byte[] array,
      ByteBuffer buffer,
      int offset,
      int length)
      throws IOException {
    int headerBytes = SegmentFormat.headerBytes(type);
    if (!makeRoom(headerBytes + length)) {
      writeLarge(type, recordPos, tag, timestamp, array, buffer, offset, length);
      return;
    }
    int i = buf.position();
    if (array != null) {
      buf.put(i + headerBytes, array, offset, length);
    } else {
      buf.put(i + headerBytes, buffer, buffer.position(), length);
    }
    finishFrame(i, type, recordPos, tag, timestamp, length);
  }

  /**
   * Appends one frame of {@link SegmentFormat#TYPE_TAGGED} or {@link SegmentFormat#TYPE_TIMED}
   * (with {@code timestamp}) whose {@code length} payload bytes {@code writer} writes in place,
   * into a slice of the buffer that holds just the payload. The buffer's position moves only after
   * the writer filled the slice: when the writer throws or writes another number of bytes, no part
   * of the frame is buffered (what an earlier flush wrote stays written). The frame's bytes are
   * those {@link #put(int, long, long, long, byte[], ByteBuffer, int, int)} writes for the same
   * payload.
   *
   * @throws IllegalStateException when the writer wrote another number of bytes than {@code length}
   */
  void put(int type, long recordPos, long tag, long timestamp, int length, ItemWriter writer)
      throws IOException {
    int headerBytes = SegmentFormat.headerBytes(type);
    if (!makeRoom(headerBytes + length)) {
      ByteBuffer payload = ByteBuffer.allocate(length);
      writePayload(payload, writer);
      writeLarge(type, recordPos, tag, timestamp, null, payload.flip(), 0, length);
      return;
    }
    int i = buf.position();
    writePayload(buf.slice(i + headerBytes, length), writer);
    finishFrame(i, type, recordPos, tag, timestamp, length);
  }

  /**
   * Flushes the buffer when a frame of {@code frameLength} bytes does not fit in what is left of
   * it; false when the frame is larger than the whole buffer and must go through {@link
   * #writeLarge}.
   */
  private boolean makeRoom(int frameLength) throws IOException {
    if (frameLength <= buf.remaining()) {
      return true;
    }
    flush();
    return frameLength <= buf.capacity();
  }

  /**
   * Writes the header fields of the frame at {@code i} whose payload is in place, its CRC, and
   * moves the buffer's position past it.
   */
  private void finishFrame(int i, int type, long recordPos, long tag, long timestamp, int length) {
    int frameLength = SegmentFormat.headerBytes(type) + length;
    buf.putLong(i + 4, (recordPos << 32) | Integer.toUnsignedLong((type << 30) | length));
    if (type >= SegmentFormat.TYPE_TAGGED) {
      buf.putLong(i + FRAME_HEADER_BYTES, tag);
      if (type == SegmentFormat.TYPE_TIMED) {
        buf.putLong(i + FRAME_HEADER_BYTES + SegmentFormat.TAG_BYTES, timestamp);
      }
    }
    crc.reset();
    buf.limit(i + frameLength).position(i + 4);
    crc.update(buf);
    buf.limit(buf.capacity()).position(i + frameLength);
    buf.putInt(i, (int) crc.getValue());
  }

  /** Runs {@code writer} on {@code payload} and checks that it filled it exactly. */
  private static void writePayload(ByteBuffer payload, ItemWriter writer) {
    writer.write(payload);
    if (payload.position() != payload.capacity()) {
      throw new IllegalStateException(
          "the ItemWriter wrote "
              + payload.position()
              + " bytes of an item of "
              + payload.capacity()
              + "; nothing was appended");
    }
  }

  /** A frame larger than the write buffer goes straight to the file, header then payload. */
  private void writeLarge(
      int type,
      long recordPos,
      long tag,
      long timestamp,
      byte[] array,
      ByteBuffer buffer,
      int offset,
      int length)
      throws IOException {
    int headerBytes = SegmentFormat.headerBytes(type);
    ByteBuffer header = ByteBuffer.allocate(headerBytes).order(ByteOrder.LITTLE_ENDIAN);
    header.putInt(4, (type << 30) | length);
    header.putInt(8, (int) recordPos);
    if (type >= SegmentFormat.TYPE_TAGGED) {
      header.putLong(FRAME_HEADER_BYTES, tag);
      if (type == SegmentFormat.TYPE_TIMED) {
        header.putLong(FRAME_HEADER_BYTES + SegmentFormat.TAG_BYTES, timestamp);
      }
    }
    ByteBuffer payload =
        array != null
            ? ByteBuffer.wrap(array, offset, length)
            : buffer.duplicate().limit(buffer.position() + length);
    crc.reset();
    crc.update(header.array(), 4, headerBytes - 4);
    crc.update(payload.duplicate());
    header.putInt(0, (int) crc.getValue());
    writeFully(header, filePos);
    writeFully(payload, filePos + headerBytes);
    filePos += headerBytes + length;
  }

  /** Writes the buffered bytes to the file; they are then visible to readers of the file. */
  void flush() throws IOException {
    if (buf.position() == 0) {
      return;
    }
    buf.flip();
    int n = buf.remaining();
    writeFully(buf, filePos);
    filePos += n;
    buf.clear();
  }

  private void writeFully(ByteBuffer src, long position) throws IOException {
    long at = position;
    while (src.hasRemaining()) {
      at += channel.write(src, at);
    }
  }
}
