package dev.depot.store.internal.timekey;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import dev.depot.store.DepotCorruptionException;
import dev.depot.store.internal.FileNames;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The segment file format of the time-key stream set, version 1. This class owns it.
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
 * <h2>Header (72 bytes)</h2>
 *
 * All integers are big-endian.
 *
 * <pre>
 * offset size field
 *      0    4 magic: 'T' 'K' 'S' 'S'
 *      4    1 format version: 1
 *      5    3 reserved: zero
 *      8    8 segment start, epoch microseconds (must match the file name)
 *     16    8 segment interval, microseconds (must match timekeys.meta)
 *     24    8 number of keys
 *     32    8 newest key's microseconds
 *     40    4 number of streams
 *     44    4 number of blocks
 *     48    8 body length before compression
 *     56    8 body length after compression; the file is 72 + this long
 *     64    4 CRC32C of the compressed body
 *     68    4 CRC32C of bytes 0..67
 * </pre>
 *
 * <h2>Body (one zstd frame after the header)</h2>
 *
 * <pre>
 * per stream, in increasing id order:
 *   8  id (user id &lt;&lt; 32 | device id)
 *   4  number of blocks (at least 1)
 *   per block, in increasing time order, not overlapping:
 *     8  first microsecond
 *     8  last microsecond
 *     4  number of keys (1 to 4096)
 *     8  last delta (last - the key before it; 0 for a block of one key)
 *     4  bit length of the encoded keys
 *     8 * ceil(bit length / 64)  the encoded keys: delta-of-delta buckets, see {@link Block}
 * </pre>
 *
 * The header and body checksums are verified before a file's content is used; a mismatch, an
 * impossible field, or a body that does not parse raises {@link DepotCorruptionException} naming
 * the file.
 */
final class SegmentFile {
  static final int HEADER_BYTES = 72;
  static final int MAGIC = 0x544B5353; // "TKSS"
  static final int VERSION = 1;
  static final String SUFFIX = ".tks";
  static final String TEMP_SUFFIX = ".tks.tmp";
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
      long startMicros,
      long intervalMicros,
      long keys,
      long newestMicros,
      int streams,
      int blocks,
      long bodyBytes,
      long compressedBytes,
      int bodyCrc) {
    /** About what the segment takes in memory once loaded (the body, plus object overheads). */
    long memoryEstimate() {
      return bodyBytes
          + blocks * (Block.OVERHEAD_BYTES - 32L)
          + streams * (Stream.OVERHEAD_BYTES + 4L - 12L);
    }
  }

  /**
   * Writes {@code segment} to {@code file} atomically: beside it, fsynced, renamed over it. The
   * caller keeps inserts out of the segment meanwhile.
   *
   * @return the file's size
   */
  static long write(Path file, Segment segment, long intervalMicros) throws IOException {
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    List<Stream> streams = segment.streams.values();
    streams.sort((a, b) -> Long.compare(a.id, b.id));
    long keys = 0;
    long newest = Long.MIN_VALUE;
    int blocks = 0;
    for (Stream stream : streams) {
      keys += stream.keys;
      newest = Math.max(newest, stream.newest());
      blocks += stream.blockCount;
    }
    try (FileChannel channel =
        FileChannel.open(
            temp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      writeTo(channel, segment, streams, intervalMicros, keys, newest, blocks);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return Files.size(file);
  }

  private static void writeTo(
      FileChannel channel,
      Segment segment,
      List<Stream> streams,
      long intervalMicros,
      long keys,
      long newest,
      int blocks)
      throws IOException {
    channel.position(HEADER_BYTES);
    CountingOutput compressed = new CountingOutput(Channels.newOutputStream(channel));
    ZstdOutputStream zstd = new ZstdOutputStream(compressed, ZSTD_LEVEL);
    CountingOutput body = new CountingOutput(zstd);
    try {
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(body, 1 << 16));
      for (Stream stream : streams) {
        out.writeLong(stream.id);
        out.writeInt(stream.blockCount);
        for (int b = 0; b < stream.blockCount; b++) {
          Block block = stream.blocks[b];
          out.writeLong(block.first);
          out.writeLong(block.last);
          out.writeInt(block.count);
          out.writeLong(block.lastDelta);
          out.writeInt(block.bitLength);
          int words = (block.bitLength + 63) >>> 6;
          for (int w = 0; w < words; w++) {
            out.writeLong(block.bits[w]);
          }
        }
      }
      out.flush();
    } finally {
      zstd.close(); // ends the frame; CountingOutput keeps the channel open
    }
    ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
    header.putInt(MAGIC).put((byte) VERSION).put((byte) 0).putShort((short) 0);
    header.putLong(segment.startMicros).putLong(intervalMicros).putLong(keys).putLong(newest);
    header.putInt(streams.size()).putInt(blocks);
    header.putLong(body.count).putLong(compressed.count);
    header.putInt((int) compressed.crc.getValue());
    CRC32C crc = new CRC32C();
    crc.update(header.array(), 0, 68);
    header.putInt((int) crc.getValue());
    header.flip();
    while (header.hasRemaining()) {
      channel.write(header, header.position());
    }
    channel.force(true);
  }

  /** Reads and checks a file's header. */
  static Header readHeader(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      return readHeader(file, channel);
    }
  }

  private static Header readHeader(Path file, FileChannel channel) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(HEADER_BYTES);
    while (buf.hasRemaining() && channel.read(buf, buf.position()) >= 0) {
      // keep reading
    }
    if (buf.hasRemaining()) {
      throw new DepotCorruptionException(
          file, 0, "file of " + buf.position() + " bytes is shorter than a segment header");
    }
    CRC32C crc = new CRC32C();
    crc.update(buf.array(), 0, 68);
    int expected = buf.getInt(68);
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
    if (version != VERSION) {
      throw new DepotCorruptionException(
          file, 4, "unsupported segment format version " + version + ", expected " + VERSION);
    }
    Header header =
        new Header(
            buf.getLong(8),
            buf.getLong(16),
            buf.getLong(24),
            buf.getLong(32),
            buf.getInt(40),
            buf.getInt(44),
            buf.getLong(48),
            buf.getLong(56),
            buf.getInt(64));
    long size = channel.size();
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

  /**
   * Reads a whole segment, checking every field; the segment must start at {@code startMicros} in a
   * set with segments of {@code intervalMicros}.
   */
  static Loaded read(Path file, long startMicros, long intervalMicros) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      Header header = readHeader(file, channel);
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

  /** Counts and checksums the bytes written through it; closing it only flushes. */
  private static final class CountingOutput extends FilterOutputStream {
    final CRC32C crc = new CRC32C();
    long count;

    CountingOutput(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      crc.update(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      crc.update(b, off, len);
      count += len;
    }

    @Override
    public void close() throws IOException {
      out.flush(); // never closes what it wraps
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
