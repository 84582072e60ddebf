package dev.depot.store.internal.timekey;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdInputStream;
import dev.depot.store.DepotCorruptionException;
import dev.depot.store.internal.FileNames;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The segment file format of the time-key stream set, version 2 (written) and version 1 (read
 * only). This class owns it.
 *
 * <h2>Files</h2>
 *
 * A set's directory holds one file per segment written to disk, named by the segment's first
 * microsecond zero-padded to 19 digits so that {@code ls} sorts them by time: {@code
 * 0001700000000000000.tks}. Segments before 1970 have negative starts and a leading minus: {@code
 * -0000000086400000000.tks} (the lowest, cut off at the long range, is {@code
 * -9223372036854775808.tks}); {@code ls} lists them first, latest first. Segment starts are
 * multiples of the interval (floor division), except that cut-off lowest one. The directory also
 * holds {@code timekeys.meta} (see {@link SetMeta}); {@code .lock}; and, while a file is being
 * written, {@code NAME.tks.tmp}, deleted on open. A file is written beside its final name, fsynced
 * and renamed over it, so a crash leaves the old file or the new one, never a mix.
 *
 * <p>Between checkpoints, eviction writes the segment's newer content to {@code NAME.tku} (same
 * format, through {@code NAME.tku.tmp} and a rename, not fsynced): the set reads it instead of
 * {@code NAME.tks} until a checkpoint fsyncs it (or a new {@code NAME.tks}) into place. Opening a
 * set deletes every {@code .tku} file: what only they held was inserted after the last checkpoint.
 *
 * <h2>Version 2: one chunk per stream, and an index</h2>
 *
 * Each stream (one id's keys in the segment) is a chunk of its own, so that one stream can be read
 * back without the others: the set keeps a sparse copy of the index in memory and reads a stream
 * with two positional reads (its page of the index, then its chunk). All integers are big-endian.
 *
 * <pre>
 * header (64 bytes)
 * offset size field
 *      0    4 magic: 'T' 'K' 'S' 'S'
 *      4    1 format version: 2
 *      5    3 reserved: zero
 *      8    8 segment start, epoch microseconds (must match the file name)
 *     16    8 segment interval, microseconds (must match timekeys.meta)
 *     24    8 number of keys
 *     32    8 newest key's microseconds
 *     40    4 number of streams (index entries)
 *     44    4 number of blocks
 *     48    8 index offset: where the index starts, after the last chunk
 *     56    4 CRC32C of the page table
 *     60    4 CRC32C of bytes 0..59
 *
 * chunks, from offset 64, back to back in increasing id order; a chunk is its stream's blocks,
 * zstd-compressed (one frame) when its index entry says so:
 *   per block, in increasing time order, not overlapping, in one of two encodings (the smaller,
 *   see {@link BlockCodec}):
 *     8  first microsecond
 *     8  last microsecond
 *     4  number of keys (1 to 4096); bit 31 set for tick offsets
 *   delta-of-delta (bit 31 clear):
 *     8  last delta (last - the key before it; 0 for a block of one key)
 *     4  bit length of the encoded keys
 *     8 * ceil(bit length / 64)  the encoded keys: delta-of-delta buckets, see {@link Block}
 *   tick offsets (bit 31 set; 3 keys or more):
 *     8  period P, in 1/65536 microsecond (0 to 2^63 / 4096)
 *     8  minimum offset M
 *     1  width W of the offsets in bits (1 to 40)
 *     8 * ceil((keys - 1) * W / 64)  keys 1.. as W-bit unsigned offsets v_i, packed most
 *        significant bit first into big-endian longs, zero padded: key i is
 *        first + floor(i * P / 65536) + M + v_i, computed modulo 2^64; the keys so decoded must
 *        increase and end at the last microsecond
 *
 * Files written before the tick-offset encoding existed hold only delta-of-delta blocks with bit 31
 * clear, so they read the same.
 *
 * index, at the index offset: one 64-byte entry per stream, in increasing id order
 *      0    8 id (user id &lt;&lt; 32 | device id)
 *      8    8 chunk offset in the file
 *     16    4 chunk length as stored
 *     20    4 chunk length before compression
 *     24    8 number of keys
 *     32    8 first microsecond
 *     40    8 last microsecond
 *     48    4 number of blocks (at least 1)
 *     52    4 CRC32C of the chunk as stored
 *     56    4 flags: bit 0 set when the chunk is zstd-compressed; other bits zero
 *     60    4 reserved: zero
 *
 * page table, after the index: one 12-byte row per page of 64 entries (the last may hold fewer)
 *      0    8 id of the page's first entry
 *      8    4 CRC32C of the page's entries
 * </pre>
 *
 * The file ends with the page table: it is {@code index offset + 64 * streams + 12 * ceil(streams /
 * 64)} bytes long. The header is checked when the set opens; the page table against its checksum
 * when the segment is first used (the set keeps it in memory while any of the segment is resident);
 * a page of the index against its row each time it is read, and its entries for order and bounds; a
 * chunk against its checksum and its entry each time it is read. A mismatch, an impossible field or
 * a chunk that does not parse raises {@link DepotCorruptionException} naming the file.
 *
 * <h2>Version 1 (read only): one compressed body</h2>
 *
 * Files written before version 2 are read whole; the set rewrites them as version 2 when it changes
 * the segment or drops part of it from memory.
 *
 * <pre>
 * header (72 bytes)
 *      0    4 magic: 'T' 'K' 'S' 'S'
 *      4    1 format version: 1
 *      5    3 reserved: zero
 *      8    8 segment start
 *     16    8 segment interval
 *     24    8 number of keys
 *     32    8 newest key's microseconds
 *     40    4 number of streams
 *     44    4 number of blocks
 *     48    8 body length before compression
 *     56    8 body length after compression; the file is 72 + this long
 *     64    4 CRC32C of the compressed body
 *     68    4 CRC32C of bytes 0..67
 *
 * body: one zstd frame after the header:
 * per stream, in increasing id order:
 *   8  id
 *   4  number of blocks (at least 1)
 *   per block (always delta-of-delta):
 *     8  first microsecond
 *     8  last microsecond
 *     4  number of keys (1 to 4096)
 *     8  last delta
 *     4  bit length of the encoded keys
 *     8 * ceil(bit length / 64)  the encoded keys, see {@link Block}
 * </pre>
 */
final class SegmentFile {
  /** Header length of version 1. */
  static final int HEADER_BYTES = 72;

  static final int HEADER_V2_BYTES = 64;
  static final int ENTRY_BYTES = 64;
  static final int PAGE_ENTRIES = 64;
  static final int MAGIC = 0x544B5353; // "TKSS"
  static final int VERSION = 2;
  static final int VERSION_1 = 1;
  private static final int FLAG_ZSTD = 1;

  /** Chunks from this many bytes are compressed: regular streams shrink a lot, jittery ones not. */
  private static final int COMPRESS_FROM = 512;

  static final String SUFFIX = ".tks";
  static final String TEMP_SUFFIX = ".tks.tmp";
  static final String UNSYNCED_SUFFIX = ".tku";
  private static final int ZSTD_LEVEL = 3;

  private SegmentFile() {}

  /**
   * The file name of the segment starting at {@code startMicros}: 19 digits, with a leading minus
   * for segments before 1970 ({@code -0000000086400000000.tks}).
   */
  static String fileName(long startMicros) {
    if (startMicros >= 0) {
      return FileNames.of(startMicros, 19, SUFFIX);
    }
    String digits = Long.toString(startMicros).substring(1); // Long.MIN_VALUE has 19 digits too
    return "-" + "0".repeat(19 - digits.length()) + digits + SUFFIX;
  }

  /** The segment start a file name made by {@link #fileName} denotes, or null. */
  static Long parseFileName(String name) {
    boolean negative = name.startsWith("-");
    long magnitude = FileNames.parse(negative ? name.substring(1) : name, 19, SUFFIX);
    if (magnitude >= 0 && !(negative && magnitude == 0)) {
      return negative ? -magnitude : magnitude;
    }
    if (negative && name.equals(fileName(Long.MIN_VALUE))) {
      return Long.MIN_VALUE; // its magnitude overflows a long
    }
    return null;
  }

  /** What a header says. */
  record Header(
      int version,
      long startMicros,
      long intervalMicros,
      long keys,
      long newestMicros,
      int streams,
      int blocks,
      long bodyBytes,
      long compressedBytes,
      int bodyCrc,
      long indexOffset,
      int indexCrc) {
    /** About what the segment takes in memory once loaded (the body, plus object overheads). */
    long memoryEstimate() {
      return bodyBytes
          + blocks * (Block.OVERHEAD_BYTES - 32L)
          + streams * (Stream.OVERHEAD_BYTES + 4L - 12L);
    }
  }

  /** The sparse copy of a version 2 file's index that the set keeps while it knows the file. */
  static final class Index {
    /** Where the segment's image starts in its file (0, or its place in the spill log). */
    final long base;

    /** Index offset, from the base, as every offset inside an image. */
    final long offset;

    final int entries;
    final long[] pageFirstIds;
    final int[] pageCrcs;

    private Index(long base, long offset, int entries, long[] pageFirstIds, int[] pageCrcs) {
      this.base = base;
      this.offset = offset;
      this.entries = entries;
      this.pageFirstIds = pageFirstIds;
      this.pageCrcs = pageCrcs;
    }

    /** What this takes in memory: the object, two arrays, and a first id and a checksum a page. */
    long memoryBytes() {
      return 80 + 12L * pageFirstIds.length;
    }

    /** The page table rows, as written after the index. */
    byte[] table() {
      ByteBuffer table = ByteBuffer.allocate(12 * pageFirstIds.length);
      for (int p = 0; p < pageFirstIds.length; p++) {
        table.putLong(pageFirstIds[p]).putInt(pageCrcs[p]);
      }
      return table.array();
    }

    private static Index of(byte[] index, int entries, long offset) {
      int pages = (entries + PAGE_ENTRIES - 1) / PAGE_ENTRIES;
      long[] firstIds = new long[pages];
      int[] crcs = new int[pages];
      ByteBuffer view = ByteBuffer.wrap(index);
      CRC32C crc = new CRC32C();
      for (int p = 0; p < pages; p++) {
        int from = p * PAGE_ENTRIES * ENTRY_BYTES;
        int to = Math.min(entries, (p + 1) * PAGE_ENTRIES) * ENTRY_BYTES;
        firstIds[p] = view.getLong(from);
        crc.reset();
        crc.update(index, from, to - from);
        crcs[p] = (int) crc.getValue();
      }
      return new Index(0, offset, entries, firstIds, crcs);
    }

    Index at(long newBase) {
      return new Index(newBase, offset, entries, pageFirstIds, pageCrcs);
    }
  }

  /** One stream's index entry. */
  record Entry(
      long id,
      long offset,
      int storedLength,
      int rawLength,
      long keys,
      long first,
      long last,
      int blocks,
      int crc,
      int flags) {
    private static Entry at(ByteBuffer index, int at) {
      return new Entry(
          index.getLong(at),
          index.getLong(at + 8),
          index.getInt(at + 16),
          index.getInt(at + 20),
          index.getLong(at + 24),
          index.getLong(at + 32),
          index.getLong(at + 40),
          index.getInt(at + 48),
          index.getInt(at + 52),
          index.getInt(at + 56));
    }

    private void put(ByteBuffer index) {
      index.putLong(id).putLong(offset).putInt(storedLength).putInt(rawLength).putLong(keys);
      index.putLong(first).putLong(last).putInt(blocks).putInt(crc).putInt(flags).putInt(0);
    }
  }

  /** What {@link #write} wrote. */
  record Written(long size, long keys, long newestMicros, Index index) {}

  /**
   * Writes a version 2 file for the segment starting at {@code startMicros} atomically and durably:
   * beside {@code file}, fsynced, renamed over it. See {@link #writeImage} for what it holds.
   */
  static Written write(
      Path file,
      long startMicros,
      long intervalMicros,
      List<Stream> streams,
      Path oldFile,
      FileChannel old,
      Index oldIndex)
      throws IOException {
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    Written written;
    try (FileChannel channel =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      written =
          writeImage(
              channel, 0, false, startMicros, intervalMicros, streams, oldFile, old, oldIndex);
      channel.force(true);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return written;
  }

  /**
   * Writes the image of a version 2 file (what a file holds, offsets from its start) into {@code
   * channel} from {@code base} on, not fsynced; {@code buffered}, built in memory first and written
   * with one call, else streamed. {@code streams}, sorted by id, are encoded; every other stream of
   * the old image ({@code old} and {@code oldIndex}, or both null) is copied byte for byte. The
   * caller keeps inserts out of the segment meanwhile.
   */
  static Written writeImage(
      FileChannel channel,
      long base,
      boolean buffered,
      long startMicros,
      long intervalMicros,
      List<Stream> streams,
      Path oldFile,
      FileChannel old,
      Index oldIndex)
      throws IOException {
    int oldCount = oldIndex == null ? 0 : oldIndex.entries;
    ByteBuffer oldEntries =
        ByteBuffer.wrap(oldCount == 0 ? new byte[0] : readIndexPages(oldFile, old, oldIndex));
    ByteBuffer index = ByteBuffer.allocate((streams.size() + oldCount) * ENTRY_BYTES);
    ChunkWriter out = new ChunkWriter(buffered ? null : channel, base);
    long keys = 0;
    long newest = Long.MIN_VALUE;
    int blocks = 0;
    int i = 0;
    int j = 0;
    while (i < streams.size() || j < oldCount) {
      Stream next = i < streams.size() ? streams.get(i) : null;
      int at = j * ENTRY_BYTES;
      boolean copy = j < oldCount;
      if (!copy || (next != null && next.id <= oldEntries.getLong(at))) {
        if (copy && next.id == oldEntries.getLong(at)) {
          j++; // replaced
        }
        Entry entry = out.encode(next);
        entry.put(index);
        keys += entry.keys();
        newest = Math.max(newest, entry.last());
        blocks += entry.blocks();
        i++;
      } else {
        // An unchanged stream: its entry as it was, but for where its chunk now lies.
        int stored = oldEntries.getInt(at + 16);
        int to = index.position();
        index.put(oldEntries.array(), at, ENTRY_BYTES);
        index.putLong(
            to + 8, out.copy(old, oldIndex.base, oldEntries.getLong(at + 8), stored, oldFile));
        keys += oldEntries.getLong(at + 24);
        newest = Math.max(newest, oldEntries.getLong(at + 40));
        blocks += oldEntries.getInt(at + 48);
        j++;
      }
    }
    out.finish();
    long indexOffset = out.position;
    int count = index.position() / ENTRY_BYTES;
    byte[] indexBytes = Arrays.copyOf(index.array(), index.position());
    Index sparse = Index.of(indexBytes, count, indexOffset).at(base);
    byte[] table = sparse.table();
    CRC32C crc = new CRC32C();
    crc.update(table);
    if (buffered) {
      out.ensure(indexBytes.length + table.length);
      out.heap.put(indexBytes).put(table);
    } else {
      writeFully(channel, ByteBuffer.wrap(indexBytes), base + indexOffset);
      writeFully(channel, ByteBuffer.wrap(table), base + indexOffset + indexBytes.length);
    }
    ByteBuffer header = ByteBuffer.allocate(HEADER_V2_BYTES);
    header.putInt(MAGIC).put((byte) VERSION).put((byte) 0).putShort((short) 0);
    header.putLong(startMicros).putLong(intervalMicros).putLong(keys).putLong(newest);
    header.putInt(count).putInt(blocks).putLong(indexOffset).putInt((int) crc.getValue());
    CRC32C headerCrc = new CRC32C();
    headerCrc.update(header.array(), 0, HEADER_V2_BYTES - 4);
    header.putInt((int) headerCrc.getValue());
    header.flip();
    if (buffered) {
      ByteBuffer image = out.heap.flip();
      image.put(0, header.array());
      writeFully(channel, image, base);
    } else {
      writeFully(channel, header, base);
    }
    return new Written(indexOffset + indexBytes.length + table.length, keys, newest, sparse);
  }

  private static void writeFully(FileChannel channel, ByteBuffer buf, long position)
      throws IOException {
    while (buf.hasRemaining()) {
      position += channel.write(buf, position);
    }
  }

  /** Writes chunks one after another from the end of the header, buffered. */
  private static final class ChunkWriter {
    final FileChannel channel;
    final ByteBuffer buffer;
    long position = HEADER_V2_BYTES;
    ByteBuffer raw = ByteBuffer.allocate(256);
    ZstdCompressCtx zstd;
    BlockCodec.Ticks[] ticks = new BlockCodec.Ticks[16];
    final long[] keys = new long[Block.MAX_KEYS];
    long copyFrom = -1;
    long copyEnd = -1;
    FileChannel oldFile;
    Path oldPath;

    final long base;
    final ByteBuffer copyBuffer;

    /** With no channel, the whole image is built here, to be written with one call. */
    ByteBuffer heap;

    ChunkWriter(FileChannel channel, long base) throws IOException {
      this.channel = channel;
      this.base = base;
      if (channel == null) {
        heap = ByteBuffer.allocate(1 << 10);
        heap.position(HEADER_V2_BYTES);
        buffer = null;
        copyBuffer = null;
      } else {
        buffer = ByteBuffer.allocate(1 << 16);
        copyBuffer = ByteBuffer.allocate(1 << 16);
        channel.position(base + HEADER_V2_BYTES);
      }
    }

    /** Room for {@code n} more bytes in the heap image. */
    void ensure(long n) {
      if (heap.remaining() < n) {
        long size = Math.max(heap.position() + n, 2L * heap.capacity());
        if (size > Integer.MAX_VALUE - 16) {
          throw new IllegalStateException("segment image of " + size + " bytes");
        }
        ByteBuffer bigger = ByteBuffer.allocate((int) size);
        heap.flip();
        bigger.put(heap);
        heap = bigger;
      }
    }

    Entry encode(Stream stream) throws IOException {
      flushCopy();
      int size = 0;
      if (ticks.length < stream.blockCount) {
        ticks = new BlockCodec.Ticks[Math.max(stream.blockCount, 2 * ticks.length)];
      }
      for (int b = 0; b < stream.blockCount; b++) {
        Block block = stream.blocks[b];
        ticks[b] = BlockCodec.NONE;
        if (BlockCodec.worthFitting(block)) {
          block.decode(keys);
          ticks[b] = BlockCodec.fit(keys, block.count);
        }
        size += BlockCodec.size(block, ticks[b]);
      }
      if (raw.capacity() < size) {
        raw = ByteBuffer.allocate(Math.max(size, raw.capacity() * 2));
      }
      raw.clear();
      for (int b = 0; b < stream.blockCount; b++) {
        Block block = stream.blocks[b];
        if (ticks[b].width() >= 0) {
          block.decode(keys);
        }
        BlockCodec.write(block, keys, ticks[b], raw);
      }
      if (raw.position() != size) {
        throw new IllegalStateException("chunk of " + raw.position() + " bytes, sized " + size);
      }
      byte[] stored = raw.array();
      int storedLength = size;
      int flags = 0;
      if (size >= COMPRESS_FROM) {
        if (zstd == null) {
          zstd = new ZstdCompressCtx();
          zstd.setLevel(ZSTD_LEVEL);
        }
        byte[] compressed = zstd.compress(Arrays.copyOf(raw.array(), size));
        if (compressed.length < size - size / 8) {
          stored = compressed;
          storedLength = compressed.length;
          flags = FLAG_ZSTD;
        }
      }
      CRC32C crc = new CRC32C();
      crc.update(stored, 0, storedLength);
      Entry entry =
          new Entry(
              stream.id,
              position,
              storedLength,
              size,
              stream.keys,
              stream.blocks[0].first,
              stream.blocks[stream.blockCount - 1].last,
              stream.blockCount,
              (int) crc.getValue(),
              flags);
      put(stored, storedLength);
      return entry;
    }

    private void put(byte[] bytes, int length) throws IOException {
      if (heap != null) {
        ensure(length);
        heap.put(bytes, 0, length);
        position += length;
        return;
      }
      if (length > buffer.remaining()) {
        flushBuffer();
      }
      if (length > buffer.capacity()) {
        writeFully(channel, ByteBuffer.wrap(bytes, 0, length), base + position);
        channel.position(base + position + length);
      } else {
        buffer.put(bytes, 0, length);
      }
      position += length;
    }

    /**
     * Copies an unchanged chunk; neighbouring chunks of the old image go in one read. Returns the
     * chunk's offset in the new image.
     */
    long copy(FileChannel old, long oldBase, long offset, int length, Path file)
        throws IOException {
      if (offset < HEADER_V2_BYTES || length < 1) {
        throw new DepotCorruptionException(file, oldBase, "impossible chunk at " + offset);
      }
      if (copyEnd != oldBase + offset) {
        flushCopy();
        copyFrom = oldBase + offset;
        copyEnd = copyFrom;
      }
      copyEnd += length;
      long moved = position;
      position += length;
      this.oldFile = old;
      this.oldPath = file;
      return moved;
    }

    private void flushCopy() throws IOException {
      if (copyFrom < 0) {
        return;
      }
      flushBuffer();
      long from = copyFrom;
      long left = copyEnd - copyFrom;
      copyFrom = -1;
      copyEnd = -1;
      if (heap != null) {
        ensure(left);
        int end = heap.position() + (int) left;
        heap.limit(end);
        while (heap.hasRemaining()) {
          if (oldFile.read(heap, from + left - heap.remaining()) <= 0) {
            throw new DepotCorruptionException(
                oldPath, from, "file ends inside a chunk its index points to");
          }
        }
        heap.limit(heap.capacity());
        return;
      }
      // Through the heap: the old image may be in the channel written to (the spill log).
      while (left > 0) {
        copyBuffer.clear().limit((int) Math.min(left, copyBuffer.capacity()));
        int n = oldFile.read(copyBuffer, from);
        if (n <= 0) {
          throw new DepotCorruptionException(
              oldPath, from, "file ends inside a chunk its index points to");
        }
        copyBuffer.flip();
        while (copyBuffer.hasRemaining()) {
          channel.write(copyBuffer);
        }
        from += n;
        left -= n;
      }
    }

    private void flushBuffer() throws IOException {
      if (heap != null) {
        return;
      }
      buffer.flip();
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      buffer.clear();
    }

    void finish() throws IOException {
      flushCopy();
      flushBuffer();
      if (zstd != null) {
        zstd.close();
      }
      if (heap != null ? heap.position() != position : channel.position() != base + position) {
        throw new IllegalStateException(
            "wrote to "
                + (heap != null ? heap.position() : channel.position())
                + ", not "
                + (base + position));
      }
    }
  }

  /**
   * Reads and checks the page table of the version 2 file of the segment starting at {@code
   * startMicros}: the sparse index the set keeps while the segment is resident.
   */
  static Index readIndex(
      Path file, FileChannel channel, long base, long size, long startMicros, long intervalMicros)
      throws IOException {
    Header header = readHeader(file, channel, base, size);
    if (header.version() != VERSION) {
      throw new IllegalStateException(file + " is not a version 2 file");
    }
    checkPlace(file, header, startMicros, intervalMicros);
    int count = header.streams();
    int pages = (count + PAGE_ENTRIES - 1) / PAGE_ENTRIES;
    long at = base + header.indexOffset() + (long) count * ENTRY_BYTES;
    byte[] table = readFully(file, channel, at, 12 * pages);
    CRC32C crc = new CRC32C();
    crc.update(table);
    if ((int) crc.getValue() != header.indexCrc()) {
      throw new DepotCorruptionException(
          file,
          at,
          Integer.toUnsignedLong(header.indexCrc()),
          crc.getValue(),
          "segment page table checksum mismatch");
    }
    ByteBuffer view = ByteBuffer.wrap(table);
    long[] firstIds = new long[pages];
    int[] crcs = new int[pages];
    for (int p = 0; p < pages; p++) {
      firstIds[p] = view.getLong();
      crcs[p] = view.getInt();
      if (p > 0 && firstIds[p] <= firstIds[p - 1]) {
        throw new DepotCorruptionException(file, at + 12L * p, "page table out of id order");
      }
    }
    return new Index(base, header.indexOffset(), count, firstIds, crcs);
  }

  /**
   * Checks entry {@code k} of the page starting at entry {@code page0}, read from a page whose
   * checksum matched: order, and that its chunk lies between the header and the index.
   */
  private static Entry checked(
      Path file, Index index, ByteBuffer page, int page0, int k, long previousId) {
    Entry e = Entry.at(page, k * ENTRY_BYTES);
    long at = index.base + index.offset + (long) (page0 + k) * ENTRY_BYTES;
    if ((k == 0 && e.id() != index.pageFirstIds[page0 / PAGE_ENTRIES])
        || (k > 0 && e.id() <= previousId)) {
      throw new DepotCorruptionException(file, at, "index entries out of id order");
    }
    if (e.offset() < HEADER_V2_BYTES
        || e.storedLength() < 1
        || e.offset() + e.storedLength() > index.offset
        || e.rawLength() < 32
        || e.blocks() < 1
        || e.keys() < e.blocks()
        || e.first() > e.last()
        || (e.flags() & ~FLAG_ZSTD) != 0
        || ((e.flags() & FLAG_ZSTD) == 0 && e.storedLength() != e.rawLength())) {
      throw new DepotCorruptionException(file, at, "impossible index entry " + e);
    }
    return e;
  }

  /** Reads every page of an index, checking each against the checksum the set kept. */
  private static byte[] readIndexPages(Path file, FileChannel channel, Index index)
      throws IOException {
    byte[] bytes = readFully(file, channel, index.base + index.offset, index.entries * ENTRY_BYTES);
    CRC32C crc = new CRC32C();
    for (int p = 0; p < index.pageCrcs.length; p++) {
      int from = p * PAGE_ENTRIES * ENTRY_BYTES;
      int to = Math.min(index.entries, (p + 1) * PAGE_ENTRIES) * ENTRY_BYTES;
      crc.reset();
      crc.update(bytes, from, to - from);
      checkPage(file, index, p, (int) crc.getValue());
    }
    return bytes; // under the page checksums; the entries are checked when a chunk is read
  }

  private static void checkPage(Path file, Index index, int page, int actual) {
    if (actual != index.pageCrcs[page]) {
      throw new DepotCorruptionException(
          file,
          index.base + index.offset + (long) page * PAGE_ENTRIES * ENTRY_BYTES,
          Integer.toUnsignedLong(index.pageCrcs[page]),
          Integer.toUnsignedLong(actual),
          "segment index page checksum mismatch");
    }
  }

  /**
   * Reads a whole segment file, version 1 or 2, checking every checksum and field (for version 2:
   * the page table, every index page, every entry and every chunk); keeps nothing.
   *
   * @throws DepotCorruptionException naming the file and position of the first damage
   */
  static void verify(Path file, long startMicros, long intervalMicros) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      Header header = readHeader(file, channel);
      if (header.version() == VERSION_1) {
        read(file, startMicros, intervalMicros);
        return;
      }
      Index index = readIndex(file, channel, 0, channel.size(), startMicros, intervalMicros);
      ByteBuffer entries = ByteBuffer.wrap(readIndexPages(file, channel, index));
      long last = SegmentTime.lastOf(startMicros, intervalMicros);
      long previous = 0;
      for (int i = 0; i < index.entries; i++) {
        int page0 = i - i % PAGE_ENTRIES;
        ByteBuffer page = entries.duplicate();
        page.position(page0 * ENTRY_BYTES);
        Entry entry = checked(file, index, page.slice(), page0, i - page0, previous);
        readStream(file, channel, index.base, entry, startMicros, last);
        previous = entry.id();
      }
    }
  }

  /** The entry of stream {@code id}, or null: reads one page of the index. */
  static Entry find(Path file, FileChannel channel, Index index, long id) throws IOException {
    int lo = 0;
    int hi = index.pageFirstIds.length - 1;
    int page = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (index.pageFirstIds[mid] <= id) {
        page = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (page < 0) {
      return null;
    }
    int from = page * PAGE_ENTRIES;
    int count = Math.min(PAGE_ENTRIES, index.entries - from);
    byte[] bytes =
        readFully(file, channel, index.base + index.offset + (long) from * ENTRY_BYTES, count * 64);
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    checkPage(file, index, page, (int) crc.getValue());
    ByteBuffer view = ByteBuffer.wrap(bytes);
    long previous = 0;
    for (int k = 0; k < count; k++) {
      previous = checked(file, index, view, from, k, previous).id();
    }
    lo = 0;
    hi = count - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long at = view.getLong(mid * ENTRY_BYTES);
      if (at == id) {
        return Entry.at(view, mid * ENTRY_BYTES);
      } else if (at < id) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return null;
  }

  /** Reads and checks the chunk of {@code entry}: the stream, of a segment from start to last. */
  static Stream readStream(
      Path file, FileChannel channel, long base, Entry entry, long start, long last)
      throws IOException {
    byte[] stored = readFully(file, channel, base + entry.offset(), entry.storedLength());
    CRC32C crc = new CRC32C();
    crc.update(stored);
    if ((int) crc.getValue() != entry.crc()) {
      throw new DepotCorruptionException(
          file,
          entry.offset(),
          Integer.toUnsignedLong(entry.crc()),
          crc.getValue(),
          "chunk checksum mismatch (stream " + entry.id() + ")");
    }
    byte[] raw = stored;
    if ((entry.flags() & FLAG_ZSTD) != 0) {
      try {
        raw = Zstd.decompress(stored, entry.rawLength());
      } catch (RuntimeException e) {
        throw new DepotCorruptionException(
            file, entry.offset(), "chunk does not decompress: " + e.getMessage());
      }
      if (raw.length != entry.rawLength()) {
        throw new DepotCorruptionException(
            file,
            entry.offset(),
            "chunk decompresses to " + raw.length + " bytes, not " + entry.rawLength());
      }
    }
    ByteBuffer in = ByteBuffer.wrap(raw);
    Block[] blocks = new Block[entry.blocks()];
    long keys = 0;
    long[] scratch = null;
    String[] problem = null;
    for (int b = 0; b < blocks.length; b++) {
      String damage = null;
      if (in.remaining() < 20) {
        damage = "chunk ends early";
      } else {
        long first = in.getLong();
        long blockLast = in.getLong();
        int storedCount = in.getInt();
        int count = storedCount & ~BlockCodec.TICK_FLAG;
        if (first < start || blockLast > last || first > blockLast) {
          damage = "block [" + first + ", " + blockLast + "] is outside the segment or reversed";
        } else if (b > 0 && first <= blocks[b - 1].last) {
          damage = "blocks overlap or are out of order";
        } else if (count < 1 || count > Block.MAX_KEYS || (count == 1) != (first == blockLast)) {
          damage = "impossible key count " + count + " in a block";
        } else {
          if (problem == null) {
            problem = new String[1];
          }
          if (storedCount < 0 && scratch == null) {
            scratch = new long[Block.MAX_KEYS]; // only tick blocks decode through it
          }
          blocks[b] =
              BlockCodec.read(in, first, blockLast, count, storedCount < 0, scratch, problem);
          if (blocks[b] == null) {
            damage = problem[0];
          } else {
            keys += count;
          }
        }
      }
      if (damage != null) {
        throw new DepotCorruptionException(
            file, entry.offset(), damage + " (stream " + entry.id() + ", block " + b + ")");
      }
    }
    if (in.hasRemaining()
        || keys != entry.keys()
        || blocks[0].first != entry.first()
        || blocks[blocks.length - 1].last != entry.last()) {
      throw new DepotCorruptionException(
          file,
          entry.offset(),
          "chunk of stream " + entry.id() + " does not match its index entry " + entry);
    }
    return new Stream(entry.id(), blocks, keys);
  }

  private static byte[] readFully(Path file, FileChannel channel, long position, int length)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      if (channel.read(buf, position + buf.position()) < 0) {
        throw new DepotCorruptionException(
            file, position, "file ends before " + (position + length) + " bytes");
      }
    }
    return buf.array();
  }

  /** Reads and checks a file's header. */
  static Header readHeader(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return readHeader(file, channel);
    }
  }

  private static Header readHeader(Path file, FileChannel channel) throws IOException {
    return readHeader(file, channel, 0, channel.size());
  }

  /** Reads and checks the header of the image at {@code base}, {@code size} bytes long. */
  private static Header readHeader(Path file, FileChannel channel, long base, long size)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(HEADER_BYTES, Math.max(0, size)));
    while (buf.hasRemaining() && channel.read(buf, base + buf.position()) >= 0) {
      // keep reading
    }
    int read = buf.position();
    // The version byte is only trusted once the checksum of its header layout matches.
    boolean v1 = read >= 5 && (buf.get(4) & 0xFF) == VERSION_1;
    int headerBytes = v1 ? HEADER_BYTES : HEADER_V2_BYTES;
    if (read < headerBytes) {
      throw new DepotCorruptionException(
          file, 0, "file of " + read + " bytes is shorter than a segment header");
    }
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), 0, headerBytes - 4);
    int expected = buf.getInt(headerBytes - 4);
    if (expected != (int) crc.getValue()) {
      throw new DepotCorruptionException(
          file,
          0,
          Integer.toUnsignedLong(expected),
          crc.getValue(),
          "segment header checksum mismatch");
    }
    if (buf.getInt(0) != MAGIC) {
      throw new DepotCorruptionException(file, 0, "not a time-key segment file (bad magic)");
    }
    int version = buf.get(4) & 0xFF;
    if (version != VERSION && version != VERSION_1) {
      throw new DepotCorruptionException(
          file,
          4,
          "unsupported segment format version " + version + ", expected " + VERSION + " or 1");
    }
    if (v1) {
      Header header =
          new Header(
              VERSION_1,
              buf.getLong(8),
              buf.getLong(16),
              buf.getLong(24),
              buf.getLong(32),
              buf.getInt(40),
              buf.getInt(44),
              buf.getLong(48),
              buf.getLong(56),
              buf.getInt(64),
              0,
              0);
      if (header.compressedBytes() != size - HEADER_BYTES) {
        throw new DepotCorruptionException(
            file,
            56,
            "file is "
                + size
                + " bytes but its header says "
                + (HEADER_BYTES + header.compressedBytes()));
      }
      return header;
    }
    Header header =
        new Header(
            VERSION,
            buf.getLong(8),
            buf.getLong(16),
            buf.getLong(24),
            buf.getLong(32),
            buf.getInt(40),
            buf.getInt(44),
            0,
            0,
            0,
            buf.getLong(48),
            buf.getInt(56));
    long expectedSize =
        header.indexOffset()
            + (long) ENTRY_BYTES * header.streams()
            + 12L * ((header.streams() + (long) PAGE_ENTRIES - 1) / PAGE_ENTRIES);
    if (header.streams() < 0
        || header.blocks() < header.streams()
        || header.indexOffset() < HEADER_V2_BYTES
        || expectedSize != size) {
      throw new DepotCorruptionException(
          file,
          40,
          "file is "
              + size
              + " bytes but its header says "
              + expectedSize
              + " ("
              + header.streams()
              + " streams, "
              + header.blocks()
              + " blocks, index at "
              + header.indexOffset()
              + ")");
    }
    return header;
  }

  /** Checks that a header belongs where the file is. */
  static void checkPlace(Path file, Header header, long startMicros, long intervalMicros) {
    if (header.startMicros() != startMicros) {
      throw new DepotCorruptionException(
          file,
          8,
          "header says the segment starts at "
              + header.startMicros()
              + ", the file name says "
              + startMicros);
    }
    if (header.intervalMicros() != intervalMicros) {
      throw new DepotCorruptionException(
          file,
          16,
          "segment interval "
              + header.intervalMicros()
              + " us does not match the set's "
              + intervalMicros
              + " us");
    }
  }

  /**
   * Reads a whole segment, checking every field; the segment must start at {@code startMicros} in a
   * set with segments of {@code intervalMicros}.
   */
  static Loaded read(Path file, long startMicros, long intervalMicros) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      Header header = readHeader(file, channel);
      if (header.version() != VERSION_1) {
        throw new IllegalStateException(file + " is not a version 1 file");
      }
      checkPlace(file, header, startMicros, intervalMicros);
      channel.position(HEADER_BYTES);
      CheckedInput compressed = new CheckedInput(Channels.newInputStream(channel));
      Parser parser = new Parser(file, header, startMicros, intervalMicros);
      try (ZstdInputStream zstd = new ZstdInputStream(compressed)) {
        DataInputStream in = new DataInputStream(new BufferedInputStream(zstd, 1 << 16));
        Segment segment = parser.parse(in);
        if (in.read() >= 0) {
          throw parser.damage("data after the last stream");
        }
        byte[] rest = new byte[8192];
        while (compressed.read(rest) >= 0) {
          // drain, so that the checksum covers every compressed byte
        }
        if ((int) compressed.crc.getValue() != header.bodyCrc()) {
          throw new DepotCorruptionException(
              file,
              HEADER_BYTES,
              Integer.toUnsignedLong(header.bodyCrc()),
              compressed.crc.getValue(),
              "segment body checksum mismatch");
        }
        return new Loaded(segment, header, parser.memory);
      } catch (EOFException e) {
        throw parser.damage("body ends early");
      } catch (DepotCorruptionException e) {
        throw e;
      } catch (IOException e) {
        // zstd reports a damaged frame as an I/O error
        throw new DepotCorruptionException(
            file, HEADER_BYTES, "segment body does not decompress: " + e.getMessage());
      }
    }
  }

  /** A segment read from disk and what it takes in memory. */
  record Loaded(Segment segment, Header header, long memoryBytes) {}

  /** Parses and checks the body. */
  private static final class Parser {
    final Path file;
    final Header header;
    final long start;
    final long last;
    long memory;
    long offset;

    Parser(Path file, Header header, long start, long interval) {
      this.file = file;
      this.header = header;
      this.start = start;
      this.last = SegmentTime.lastOf(start, interval);
    }

    DepotCorruptionException damage(String detail) {
      return new DepotCorruptionException(
          file, HEADER_BYTES, detail + " (at body offset " + offset + ")");
    }

    Segment parse(DataInputStream in) throws IOException {
      Segment segment = new Segment(start);
      long keys = 0;
      long newest = Long.MIN_VALUE;
      int blocks = 0;
      long previousId = 0;
      for (int s = 0; s < header.streams(); s++) {
        long id = in.readLong();
        int blockCount = in.readInt();
        offset += 12;
        if (s > 0 && id <= previousId) {
          throw damage("stream ids out of order: " + id + " after " + previousId);
        }
        if (blockCount < 1 || blockCount > header.blocks() - blocks) {
          throw damage("impossible block count " + blockCount + " for stream " + id);
        }
        previousId = id;
        Block[] array = new Block[blockCount];
        long streamKeys = 0;
        long previousLast = Long.MIN_VALUE;
        for (int b = 0; b < blockCount; b++) {
          Block block = readBlock(in);
          if (block.first <= previousLast && b > 0) {
            throw damage("blocks of stream " + id + " overlap or are out of order");
          }
          previousLast = block.last;
          array[b] = block;
          streamKeys += block.count;
          memory += block.memoryBytes();
        }
        blocks += blockCount;
        keys += streamKeys;
        newest = Math.max(newest, previousLast);
        Stream stream = new Stream(id, array, streamKeys);
        memory += stream.memoryBytes() - blocksMemory(array);
        segment.streams.putValue(id, stream);
      }
      if (keys != header.keys() || blocks != header.blocks() || newest != header.newestMicros()) {
        throw damage(
            "body holds "
                + keys
                + " keys in "
                + blocks
                + " blocks, newest "
                + newest
                + "; the header says "
                + header.keys()
                + ", "
                + header.blocks()
                + ", "
                + header.newestMicros());
      }
      return segment;
    }

    private Block readBlock(DataInputStream in) throws IOException {
      long first = in.readLong();
      long last = in.readLong();
      int count = in.readInt();
      long lastDelta = in.readLong();
      int bitLength = in.readInt();
      offset += 32;
      if (first < start || last > this.last || first > last) {
        throw damage("block [" + first + ", " + last + "] is outside the segment or reversed");
      }
      if (count < 1 || count > Block.MAX_KEYS || (count == 1) != (first == last)) {
        throw damage("impossible key count " + count + " in a block");
      }
      if (bitLength < count - 1 || bitLength > 68L * (count - 1)) {
        throw damage("impossible bit length " + bitLength + " for " + count + " keys");
      }
      long[] bits = new long[Math.max(1, (bitLength + 63) >>> 6)];
      int words = (bitLength + 63) >>> 6;
      for (int w = 0; w < words; w++) {
        bits[w] = in.readLong();
      }
      offset += 8L * words;
      return new Block(first, last, count, lastDelta, bits, bitLength);
    }

    private static long blocksMemory(Block[] blocks) {
      long bytes = 0;
      for (Block block : blocks) {
        bytes += block.memoryBytes();
      }
      return bytes;
    }
  }

  /** Checksums the bytes read through it. */
  private static final class CheckedInput extends FilterInputStream {
    final CRC32C crc = new CRC32C();

    CheckedInput(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        crc.update(b);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        crc.update(b, off, n);
      }
      return n;
    }

    @Override
    public void close() {
      // the channel is closed by its owner
    }
  }
}
