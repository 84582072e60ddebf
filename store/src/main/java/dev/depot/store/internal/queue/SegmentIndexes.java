package dev.depot.store.internal.queue;

import static java.nio.file.StandardOpenOption.WRITE;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.DepotException;
import dev.depot.store.internal.queue.SegmentIndex.DamagedException;
import dev.depot.store.internal.queue.SegmentIndex.Entries;
import dev.depot.store.internal.queue.SegmentIndex.FileEntries;
import dev.depot.store.internal.queue.SegmentIndex.Seek;
import dev.depot.store.internal.queue.SegmentIndex.Start;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotRecord;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sparse indexes of a queue's segments ({@link SegmentIndex}): the writer's in-memory index of
 * the active segment, the {@code .idx} files of the others, and the seeks that use them. An index
 * is only ever a shortcut: every failed check makes a seek start at the segment's header, and a
 * writer then rebuilds the file from the segment.
 *
 * <p>Thread-safe. The active index is replaced as a whole on a roll (a volatile reference); index
 * files are written, rebuilt and deleted under {@link #fileLock}, which is taken after the
 * maintenance lock and after the writer's lock.
 */
final class SegmentIndexes {
  private static final System.Logger LOG = System.getLogger(SegmentIndexes.class.getName());

  private final Path dir;
  private final boolean readOnly;
  private final int interval;
  private final SegmentChannels channels;
  private final ReentrantLock fileLock = new ReentrantLock();

  /** The writer's index of the segment it appends to; null in a read-only queue. */
  private volatile SegmentIndex.Builder active;

  // Guarded by fileLock: the active index's file, kept open to append entries on each sync.
  private SegmentIndex.Builder published;
  private FileChannel publishedFile;
  private int publishedCount;

  SegmentIndexes(Path dir, boolean readOnly, int interval, SegmentChannels channels) {
    this.dir = dir;
    this.readOnly = readOnly;
    this.interval = interval;
    this.channels = channels;
  }

  /** The index file of {@code segment}. */
  Path file(int segment) {
    return dir.resolve(SegmentFormat.indexFileName(segment));
  }

  /** A new in-memory index for a segment, at the queue's interval. */
  SegmentIndex.Builder newBuilder(int segment) {
    return new SegmentIndex.Builder(segment, interval);
  }

  /** Makes {@code builder} the index of the segment the writer appends to. */
  void setActive(SegmentIndex.Builder builder) {
    active = builder;
  }

  /** The index of the segment the writer appends to. */
  SegmentIndex.Builder active() {
    return active;
  }

  /**
   * Writes the file of an index, warning (not failing) when that fails: the index is derived, and a
   * seek without it scans.
   */
  void write(SegmentIndex.Builder builder) {
    fileLock.lock();
    try {
      builder.sealed = true;
      if (builder == published) {
        closePublished();
      }
      builder.writeTo(file(builder.segment()), channels);
    } catch (IOException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "cannot write the index of segment "
              + builder.segment()
              + " of "
              + dir
              + "; seeks in it"
              + " will scan until it is rebuilt: "
              + e);
    } finally {
      fileLock.unlock();
    }
  }

  /**
   * Brings the active segment's index file up to the entries made so far, for readers in other
   * processes (called after each sync: the entries then name frames on the file system). The first
   * call for a segment writes the file whole, later ones append. Failures only cost those readers a
   * scan of the segment: logged once per segment, and not retried for it.
   */
  void publishActive() {
    SegmentIndex.Builder builder = active;
    if (builder == null) {
      return;
    }
    fileLock.lock();
    try {
      if (builder.sealed || builder.publishFailed) {
        return;
      }
      if (builder != published) {
        closePublished();
        Path file = file(builder.segment());
        builder.writeTo(file, channels);
        publishedCount = builder.snapshot().count();
        publishedFile = channels.open(file, WRITE);
        published = builder;
      } else {
        publishedCount = builder.appendTo(publishedFile, publishedCount);
      }
    } catch (IOException | RuntimeException e) {
      builder.publishFailed = true;
      closePublished();
      LOG.log(
          System.Logger.Level.WARNING,
          "cannot write the index of segment "
              + builder.segment()
              + " of "
              + dir
              + "; readers in other processes scan it: "
              + e);
    } finally {
      fileLock.unlock();
    }
  }

  /** Closes the active index's file, if open. */
  void closeFiles() {
    fileLock.lock();
    try {
      closePublished();
    } finally {
      fileLock.unlock();
    }
  }

  private void closePublished() {
    if (publishedFile != null) {
      try {
        publishedFile.close();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot close an index file of " + dir + ": " + e);
      }
    }
    publishedFile = null;
    published = null;
  }

  /** Deletes the index file of a segment (before the segment is deleted or replaced). */
  void delete(int segment) throws IOException {
    fileLock.lock();
    try {
      if (published != null && published.segment() == segment) {
        closePublished();
      }
      Files.deleteIfExists(file(segment));
    } finally {
      fileLock.unlock();
    }
  }

  /** Deletes temporary index files and index files of segments that no longer exist. */
  void deleteLeftovers(SegmentCatalog catalog) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.idx*")) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.endsWith(SegmentFormat.INDEX_TEMP_SUFFIX)) {
          Files.deleteIfExists(file);
        } else if (name.endsWith(SegmentFormat.INDEX_SUFFIX)) {
          String segmentName =
              name.substring(0, name.length() - SegmentFormat.INDEX_SUFFIX.length())
                  + SegmentFormat.SEGMENT_SUFFIX;
          int number = SegmentFormat.parseFileName(segmentName);
          if (number >= 0 && catalog.get(number) == null) {
            Files.deleteIfExists(file);
          }
        }
      }
    } catch (IOException e) {
      throw new DepotException("cannot clean up the index files of " + dir + ": " + e, e);
    }
  }

  /**
   * Where a cursor whose header check of {@code segment} just passed may start looking for {@code
   * target}; null: at the header. Uses the active segment's index in the writer's process, else the
   * segment's index file, which a writer rebuilds (from {@code source}) when it is missing or fails
   * a check and the segment is {@code sealed}.
   */
  Start locate(
      SegmentSource source,
      int segment,
      FrameReader reader,
      Seek seek,
      long target,
      long limit,
      boolean sealed) {
    SegmentIndex.Builder writing = active;
    if (writing != null && writing.segment() == segment) {
      try {
        return locateIn(writing.snapshot(), reader, seek, target, limit);
      } catch (DamagedException e) {
        return null; // cannot happen: memory entries are checked when they are made
      }
    }
    try {
      try (FileEntries entries = FileEntries.open(file(segment), segment)) {
        if (entries != null) {
          if (sealed && !readOnly) {
            checkComplete(entries, limit);
          }
          return locateIn(entries, reader, seek, target, limit);
        }
      }
    } catch (DamagedException e) {
      LOG.log(System.Logger.Level.DEBUG, "index not used: {0}", e.getMessage());
    } catch (IOException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "cannot read the index of segment {0} of {1}: {2}",
          segment,
          dir,
          e);
      return null;
    }
    if (readOnly || !sealed) {
      return null;
    }
    SegmentIndex.Builder rebuilt = rebuild(source, segment, limit);
    if (rebuilt == null) {
      return null;
    }
    try {
      return locateIn(rebuilt.snapshot(), reader, seek, target, limit);
    } catch (DamagedException e) {
      return null;
    }
  }

  /** A full segment's index ends with an entry at the segment's end; else it was cut short. */
  private static void checkComplete(FileEntries entries, long size) throws DamagedException {
    if (!entries.wholeEntries() || entries.count() == 0) {
      throw new DamagedException("index cut short");
    }
    entries.load(entries.count() - 1);
    if (entries.filePos() != size) {
      throw new DamagedException(
          "index ends at " + entries.filePos() + " but the segment at " + size);
    }
  }

  /**
   * Binary-searches {@code entries} and checks the frame at the entry found; when that frame is not
   * there yet (a read-only view of a segment being written), tries the entries before it.
   */
  private static Start locateIn(
      Entries entries, FrameReader reader, Seek seek, long target, long limit)
      throws DamagedException {
    int found = SegmentIndex.find(entries, seek, target, limit);
    for (int i = found; i >= 0 && i > found - 3; i--) {
      entries.load(i);
      long filePos = entries.filePos();
      long recordPos = entries.recordPos();
      if (filePos == limit) {
        return new Start(filePos, recordPos);
      }
      int result = reader.parse(filePos, limit, recordPos);
      if (result == FrameReader.OK && reader.recordPos() == recordPos) {
        return new Start(filePos, recordPos);
      }
      if (result != FrameReader.TRUNCATED) {
        throw new DamagedException(
            "no frame of record position " + recordPos + " at " + filePos + " (" + result + ")");
      }
    }
    if (found >= 0) {
      throw new DamagedException("the frames the index names are cut short");
    }
    return null;
  }

  /**
   * Builds the index of a full segment by reading it, writes its file and returns it; null when the
   * segment cannot be read. Corrupt records are left out (a seek does not stop at them).
   */
  SegmentIndex.Builder rebuild(SegmentSource source, int segment, long size) {
    // The scan takes no lock: a cursor over a full segment never asks the writer for anything.
    SegmentIndex.Builder builder = newBuilder(segment);
    long next = SegmentFormat.HEADER_BYTES;
    Path segmentFile = source.segmentFile(segment);
    try {
      FileTime before = Files.getLastModifiedTime(segmentFile);
      try (QueueCursor cursor = new QueueCursor(source, DepotIds.of(segment, 0), segment, false)) {
        while (true) {
          DepotRecord record;
          try {
            record = cursor.next();
          } catch (DepotCorruptionException e) {
            continue;
          }
          if (record == null || DepotIds.segment(record.id()) != segment) {
            break;
          }
          long recordPos = DepotIds.position(record.id());
          builder.track(
              cursor.framePosition(),
              recordPos,
              record.timestamp(),
              record.tag(),
              record.complete());
          next = recordPos + 1;
        }
      }
      builder.end(size, Math.max(next, size));
      fileLock.lock();
      try {
        // A rewrite that replaced the segment meanwhile wrote its own index.
        if (Files.size(segmentFile) == size
            && Files.getLastModifiedTime(segmentFile).equals(before)) {
          builder.writeTo(file(segment), channels);
          LOG.log(
              System.Logger.Level.INFO, "rebuilt the index of segment {0} of {1}", segment, dir);
        }
      } catch (IOException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "cannot write the rebuilt index of segment " + segment + " of " + dir + ": " + e);
      } finally {
        fileLock.unlock();
      }
      return builder;
    } catch (IOException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "cannot rebuild the index of segment " + segment + " of " + dir + ": " + e);
      return null;
    }
  }
}
