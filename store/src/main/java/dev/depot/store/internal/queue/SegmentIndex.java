package dev.depot.store.internal.queue;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.depot.store.queue.DepotRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The sparse index of one segment: entries (file position, record position, max timestamp and max
 * tag of the records before it), in memory while the writer appends ({@link Builder}) and in an
 * {@code .idx} file once written ({@link FileEntries}). The byte layout and the rules for trusting
 * an index are in {@link SegmentFormat}, under "Index files".
 */
final class SegmentIndex {
  static final int HEADER_BYTES = 16;
  static final int ENTRY_BYTES = 28;
  static final int MAGIC = 0x58504544; // "DEPX" read as a little-endian int
  static final int VERSION = 1;

  /** What a cursor looks for. */
  enum Seek {
    /** The first record whose record position is at least the target. */
    ID,
    /** The first complete record whose timestamp is at least the target. */
    TIMESTAMP,
    /** The first complete record whose tag is at least the target. */
    TAG
  }

  /** Where a seek may start reading a segment: a frame start (or the segment's end). */
  record Start(long filePos, long recordPos) {}

  /** An index that fails a check: the caller scans instead, and a writer rebuilds it. */
  static final class DamagedException extends Exception {
    private static final long serialVersionUID = 1L;

    DamagedException(String message) {
      super(message, null, false, false);
    }
  }

  /** Read access to entries, in memory or in a file. */
  interface Entries {
    int count();

    /** Loads entry {@code i}; the accessors below then describe it. */
    void load(int i) throws DamagedException;

    long filePos();

    long recordPos();

    long maxTimestamp();

    long maxTag();
  }

  private SegmentIndex() {}

  /**
   * The entry a seek for {@code target} may start at: the last one, among those at or below {@code
   * limit}, before which no record can match; -1 when there is none (start at the segment header).
   * The entries' order makes that a binary search.
   */
  static int find(Entries entries, Seek seek, long target, long limit) throws DamagedException {
    int last = entries.count() - 1;
    if (last < 0) {
      return -1;
    }
    // A full segment that holds nothing the seek looks for ends with an entry that says so: one
    // read instead of a binary search, for each segment a seek steps over.
    entries.load(last);
    if (before(entries, seek, target, limit)) {
      return last;
    }
    int lo = 0;
    int hi = last - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      entries.load(mid);
      if (before(entries, seek, target, limit)) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * Whether no record before the loaded entry can be what the seek looks for: all are smaller, or
   * none has a value (Long.MIN_VALUE, which never matches, also when it is the target).
   */
  private static boolean before(Entries entries, Seek seek, long target, long limit) {
    return entries.filePos() <= limit
        && switch (seek) {
          case ID -> entries.recordPos() <= target;
          case TIMESTAMP ->
              entries.maxTimestamp() < target || entries.maxTimestamp() == Long.MIN_VALUE;
          case TAG -> entries.maxTag() < target || entries.maxTag() == Long.MIN_VALUE;
        };
  }

  /**
   * Collects the entries of one segment as its frames go by. {@link #track} is called by one thread
   * at a time (the writer, under its lock, or a rebuild); {@link #snapshot} may be called by any.
   */
  static final class Builder {
    private final int segment;
    private final long interval;
    private long nextAt;
    private long maxTimestamp = DepotRecord.NO_TIMESTAMP;
    private long maxTag = DepotRecord.NO_TAG;
    private long lastFilePos = SegmentFormat.HEADER_BYTES;

    /** Set once the index is complete and written whole: it is no longer appended to a file. */
    volatile boolean sealed;

    /** Set when its file could not be written as the segment grew; guarded by the file lock. */
    boolean publishFailed;

    // Guarded by this; arrays are replaced, never changed below count, once published.
    private long[] positions = new long[64];
    private long[] timestamps = new long[64];
    private long[] tags = new long[64];
    private int count;

    Builder(int segment, long interval) {
      this.segment = segment;
      this.interval = interval;
      this.nextAt = SegmentFormat.HEADER_BYTES + interval;
    }

    int segment() {
      return segment;
    }

    /** Notes the frame at {@code filePos}, adding an entry when an interval has passed. */
    void track(long filePos, long recordPos, long timestamp, long tag, boolean complete) {
      if (filePos >= nextAt) {
        add(filePos, recordPos);
        nextAt = filePos + interval;
      }
      if (complete) {
        maxTimestamp = Math.max(maxTimestamp, timestamp);
        maxTag = Math.max(maxTag, tag);
      }
    }

    /** Adds the entry of a full segment's end, {@code filePos}, after its last frame. */
    void end(long filePos, long recordPos) {
      if (filePos > lastFilePos || count == 0) {
        add(filePos, recordPos);
      }
    }

    private synchronized void add(long filePos, long recordPos) {
      if (count == positions.length) {
        positions = Arrays.copyOf(positions, count * 2);
        timestamps = Arrays.copyOf(timestamps, count * 2);
        tags = Arrays.copyOf(tags, count * 2);
      }
      positions[count] = filePos << 32 | recordPos;
      timestamps[count] = maxTimestamp;
      tags[count] = maxTag;
      count++;
      lastFilePos = filePos;
    }

    /** The entries so far; later ones do not change them. */
    synchronized Entries snapshot() {
      return new MemoryEntries(positions, timestamps, tags, count);
    }

    /**
     * Writes the entries to {@code file} through a temporary file renamed over it (not fsynced: the
     * index is derived, and checked before it is used).
     */
    void writeTo(Path file, SegmentChannels channels) throws IOException {
      Entries entries = snapshot();
      Path temp = file.resolveSibling(SegmentFormat.indexFileName(segment) + ".tmp");
      ByteBuffer buf = encode(entries, 0, true);
      try (FileChannel out = channels.open(temp, CREATE, TRUNCATE_EXISTING, WRITE)) {
        writeFully(out, buf, 0);
      } catch (IOException e) {
        Files.deleteIfExists(temp);
        throw e;
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Appends the entries from {@code from} on to an index file of this segment that holds the
     * header and the entries before them; returns how many entries the file then holds.
     */
    int appendTo(FileChannel out, int from) throws IOException {
      Entries entries = snapshot();
      if (entries.count() > from) {
        writeFully(out, encode(entries, from, false), HEADER_BYTES + (long) from * ENTRY_BYTES);
      }
      return entries.count();
    }

    /** The bytes of entries {@code from} to the end, after the file header when {@code header}. */
    private ByteBuffer encode(Entries entries, int from, boolean header) {
      ByteBuffer buf =
          ByteBuffer.allocate((header ? HEADER_BYTES : 0) + (entries.count() - from) * ENTRY_BYTES)
              .order(ByteOrder.LITTLE_ENDIAN);
      CRC32C crc = new CRC32C();
      if (header) {
        buf.putInt(MAGIC).put((byte) VERSION).put((byte) 0).putShort((short) 0).putInt(segment);
        crc.update(buf.array(), 0, 12);
        buf.putInt((int) crc.getValue());
      }
      for (int i = from; i < entries.count(); i++) {
        try {
          entries.load(i);
        } catch (DamagedException e) {
          throw new IllegalStateException(e); // memory entries are never damaged
        }
        int at = buf.position();
        buf.putInt((int) entries.filePos());
        buf.putInt((int) entries.recordPos());
        buf.putLong(entries.maxTimestamp());
        buf.putLong(entries.maxTag());
        crc.reset();
        crc.update(buf.array(), at, 24);
        buf.putInt((int) crc.getValue());
      }
      return buf.flip();
    }

    private static void writeFully(FileChannel out, ByteBuffer buf, long position)
        throws IOException {
      long at = position;
      while (buf.hasRemaining()) {
        at += out.write(buf, at);
      }
    }
  }

  private static final class MemoryEntries implements Entries {
    private final long[] positions;
    private final long[] timestamps;
    private final long[] tags;
    private final int count;
    private int current;

    MemoryEntries(long[] positions, long[] timestamps, long[] tags, int count) {
      this.positions = positions;
      this.timestamps = timestamps;
      this.tags = tags;
      this.count = count;
    }

    @Override
    public int count() {
      return count;
    }

    @Override
    public void load(int i) {
      current = i;
    }

    @Override
    public long filePos() {
      return positions[current] >>> 32;
    }

    @Override
    public long recordPos() {
      return positions[current] & 0xFFFF_FFFFL;
    }

    @Override
    public long maxTimestamp() {
      return timestamps[current];
    }

    @Override
    public long maxTag() {
      return tags[current];
    }
  }

  /**
   * The entries of an index file, read entry by entry with positional reads (a seek reads about
   * log2(entries) of them). Each entry read is checked against its CRC.
   */
  static final class FileEntries implements Entries, AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final int count;
    private final boolean wholeEntries;
    private final ByteBuffer entry =
        ByteBuffer.allocate(ENTRY_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private long filePos;
    private long recordPos;
    private long maxTimestamp;
    private long maxTag;

    private FileEntries(Path file, FileChannel channel, long size) {
      this.file = file;
      this.channel = channel;
      long entries = (size - HEADER_BYTES) / ENTRY_BYTES;
      this.count = (int) Math.min(entries, Integer.MAX_VALUE);
      this.wholeEntries = (size - HEADER_BYTES) % ENTRY_BYTES == 0;
    }

    /**
     * Opens the index file of {@code segment}; null when there is none.
     *
     * @throws DamagedException when its header is not an index header of that segment
     */
    static FileEntries open(Path file, int segment) throws DamagedException, IOException {
      FileChannel channel;
      try {
        channel = FileChannel.open(file, READ);
      } catch (NoSuchFileException e) {
        return null;
      }
      try {
        long size = channel.size();
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, header, 0);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, 12);
        if (size < HEADER_BYTES
            || header.getInt(0) != MAGIC
            || header.get(4) != VERSION
            || header.getInt(8) != segment
            || header.getInt(12) != (int) crc.getValue()) {
          throw new DamagedException(file + ": not an index of segment " + segment);
        }
        return new FileEntries(file, channel, size);
      } catch (DamagedException | IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    }

    /** Whether the file ends at an entry boundary (a file cut short mid-entry does not). */
    boolean wholeEntries() {
      return wholeEntries;
    }

    @Override
    public int count() {
      return count;
    }

    @Override
    public void load(int i) throws DamagedException {
      entry.clear();
      try {
        if (!readFully(channel, entry, HEADER_BYTES + (long) i * ENTRY_BYTES)) {
          throw new DamagedException(file + ": entry " + i + " is cut short");
        }
      } catch (IOException e) {
        throw new DamagedException(file + ": cannot read entry " + i + ": " + e);
      }
      crc.reset();
      crc.update(entry.array(), 0, 24);
      if (entry.getInt(24) != (int) crc.getValue()) {
        throw new DamagedException(file + ": entry " + i + " checksum mismatch");
      }
      filePos = Integer.toUnsignedLong(entry.getInt(0));
      recordPos = Integer.toUnsignedLong(entry.getInt(4));
      maxTimestamp = entry.getLong(8);
      maxTag = entry.getLong(16);
    }

    @Override
    public long filePos() {
      return filePos;
    }

    @Override
    public long recordPos() {
      return recordPos;
    }

    @Override
    public long maxTimestamp() {
      return maxTimestamp;
    }

    @Override
    public long maxTag() {
      return maxTag;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }

    /** Fills {@code buf} from {@code position}; false when the file ends first. */
    private static boolean readFully(FileChannel channel, ByteBuffer buf, long position)
        throws IOException {
      long at = position;
      while (buf.hasRemaining()) {
        int n = channel.read(buf, at);
        if (n < 0) {
          return false;
        }
        at += n;
      }
      return true;
    }
  }
}
