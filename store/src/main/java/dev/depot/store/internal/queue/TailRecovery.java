package dev.depot.store.internal.queue;

import static dev.depot.store.internal.queue.SegmentFormat.FRAME_HEADER_BYTES;
import static dev.depot.store.internal.queue.SegmentFormat.HEADER_BYTES;
import static dev.depot.store.internal.queue.SegmentFormat.TYPE_PARTIAL;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.queue.DepotRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * Finds where a writer resumes: the end of the last segment, after marking a torn tail as a PARTIAL
 * frame (the rules are in {@link SegmentFormat}). Runs once, while the writer opens, under the
 * directory lock.
 */
final class TailRecovery {
  private static final System.Logger LOG = System.getLogger(TailRecovery.class.getName());

  /** The smallest unit a disk writes: a hole left by a power cut spans whole sectors. */
  private static final int SECTOR_BYTES = 512;

  /** Zero bytes up to a sector's end that count as a hole: random data ends so once in 2^32. */
  private static final int MIN_ZERO_RUN = 4;

  /**
   * Where to append: {@code sink} over segment {@code segment}, or a new segment {@code segment}
   * when {@code sink} is null. {@code lastId} is the newest complete record found in it, or -1 to
   * look for it in the segments up to {@code scanUpTo} (-1: there are none). {@code version} is the
   * format version of {@code sink}'s segment, {@code index} that segment's index as recovery read
   * it (empty for a new segment).
   */
  record Recovered(
      FrameSink sink,
      int segment,
      long lastId,
      int scanUpTo,
      int version,
      SegmentIndex.Builder index) {}

  private final SegmentCatalog catalog;
  private final SegmentChannels channels;
  private final int readBufferBytes;
  private final SegmentIndexes indexes;

  TailRecovery(
      SegmentCatalog catalog,
      SegmentChannels channels,
      int readBufferBytes,
      SegmentIndexes indexes) {
    this.catalog = catalog;
    this.channels = channels;
    this.readBufferBytes = readBufferBytes;
    this.indexes = indexes;
  }

  /** Recovers the last segment of the catalog, whose sink will write through {@code buffer}. */
  Recovered recover(ByteBuffer buffer) throws IOException {
    if (catalog.isEmpty()) {
      return new Recovered(null, 0, -1, -1, SegmentFormat.VERSION, indexes.newBuilder(0));
    }
    int last = catalog.last();
    Path file = catalog.get(last);
    FileChannel channel = channels.open(file, READ, WRITE);
    try {
      long size = channel.size();
      FrameReader reader = new FrameReader(file, channel, readBufferBytes);
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
        indexes.delete(last);
        channel.truncate(0);
        FrameSink sink = new FrameSink(file, channel, buffer, 0);
        sink.putHeader(last, 0);
        return new Recovered(
            sink, last, -1, last - 1, SegmentFormat.VERSION, indexes.newBuilder(last));
      }
      if ((flags & SegmentFormat.FLAG_REWRITTEN) != 0) {
        // A rewritten segment is never appended to again.
        channel.close();
        return new Recovered(
            null, last + 1, -1, last, SegmentFormat.VERSION, indexes.newBuilder(last + 1));
      }
      // The index file a crashed writer left may hold entries for frames that recovery cuts or
      // marks partial; readers in other processes trust its maxima until the next sync replaces
      // it, so it goes now and the scan below rebuilds it.
      indexes.delete(last);
      long pos = HEADER_BYTES;
      long lastRecordPos = -1;
      SegmentIndex.Builder index = indexes.newBuilder(last);
      while (true) {
        int result = reader.parse(pos, size, pos);
        if (result == FrameReader.OK) {
          if (!reader.partial()) {
            lastRecordPos = pos;
          }
          index.track(pos, pos, reader.timestamp(), reader.tag(), !reader.partial());
          pos = reader.frameEnd();
          continue;
        }
        if (result == FrameReader.END) {
          break;
        }
        DepotCorruptionException damage = reader.corruption(result);
        int extent = reader.classifyDamage(pos, size, pos);
        if (extent == FrameReader.DAMAGE_CONFINED) {
          LOG.log(System.Logger.Level.WARNING, "skipping corrupt record: {0}", damage.getMessage());
          pos = reader.resumeAt();
          continue;
        }
        if (extent == FrameReader.DAMAGE_MIDDLE
            && !overlapsZeroSector(channel, pos, reader.resumeAt())) {
          throw damage;
        }
        // A torn tail, or a hole a power cut left before later records: everything from here on
        // was unsynced and goes as one partial record, so that the queue stays a prefix of what
        // was appended (the sink resumes after its last record).
        index.track(pos, pos, DepotRecord.NO_TIMESTAMP, DepotRecord.NO_TAG, false);
        pos = markTornTail(channel, file, pos, size);
        break;
      }
      FrameSink sink = new FrameSink(file, channel, buffer, pos);
      long lastId = lastRecordPos >= 0 ? ((long) last << 32) | lastRecordPos : -1;
      return new Recovered(sink, last, lastId, last - 1, reader.version(), index);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Turns the bytes from {@code pos} to the end of the file into one PARTIAL frame and returns the
   * position after it.
   */
  private static long markTornTail(FileChannel channel, Path file, long pos, long size)
      throws IOException {
    int payload =
        (int)
            Math.max(0, Math.min(size - pos - FRAME_HEADER_BYTES, SegmentFormat.MAX_PAYLOAD_BYTES));
    writePartialHeader(channel, file, pos, payload);
    long end = pos + FRAME_HEADER_BYTES + payload;
    if (channel.size() > end) {
      channel.truncate(end);
    }
    LOG.log(
        System.Logger.Level.WARNING,
        "marked torn tail of {0} at position {1} ({2} bytes) as a partial record",
        file,
        pos,
        size - pos);
    return end;
  }

  /**
   * Whether [{@code from}, {@code to}) holds the end of an aligned sector that is zeros from {@code
   * from} or from its start on (at least {@link #MIN_ZERO_RUN} bytes: a frame header may straddle
   * the sector boundary, so as few as its first 4 bytes lie in the lost sector): the mark of a
   * power cut that wrote back the unsynced tail out of order, leaving never-written sectors before
   * records that reached the disk. A bit flip in synced data does not leave that; the writer
   * refuses those.
   */
  private static boolean overlapsZeroSector(FileChannel channel, long from, long to)
      throws IOException {
    ByteBuffer sector = ByteBuffer.allocate(SECTOR_BYTES);
    for (long at = from / SECTOR_BYTES * SECTOR_BYTES; at < to; at += SECTOR_BYTES) {
      int skip = (int) Math.max(0, from - at);
      if (SECTOR_BYTES - skip < MIN_ZERO_RUN) {
        continue;
      }
      sector.clear();
      while (sector.hasRemaining() && channel.read(sector, at + sector.position()) >= 0) {
        // reads the whole sector
      }
      if (sector.hasRemaining()) {
        return false; // the file ends inside it
      }
      boolean zero = true;
      for (int i = skip; i < SECTOR_BYTES && zero; i++) {
        zero = sector.get(i) == 0;
      }
      if (zero) {
        return true;
      }
    }
    return false;
  }

  /**
   * Writes at {@code pos} the header of a PARTIAL frame over the {@code payload} bytes after it.
   */
  private static void writePartialHeader(FileChannel channel, Path file, long pos, int payload)
      throws IOException {
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
  }
}
