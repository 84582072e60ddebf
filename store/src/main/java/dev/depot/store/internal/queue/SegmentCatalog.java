package dev.depot.store.internal.queue;

import dev.depot.store.DepotException;
import dev.depot.store.queue.DepotQueue.SegmentInfo;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The segment files of a queue directory, by number. The writer adds and removes segments as it
 * creates and deletes them; a read-only queue re-lists the directory when it needs to know more.
 * Thread-safe: a concurrent map, read without locks by cursors.
 */
final class SegmentCatalog {
  private final Path dir;
  private final boolean readOnly;
  private final ConcurrentSkipListMap<Integer, Path> segments = new ConcurrentSkipListMap<>();

  SegmentCatalog(Path dir, boolean readOnly) {
    this.dir = dir;
    this.readOnly = readOnly;
  }

  Path directory() {
    return dir;
  }

  /** Makes the catalog match the directory. */
  void refresh() {
    List<Integer> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.seg")) {
      for (Path file : files) {
        int number = SegmentFormat.parseFileName(file.getFileName().toString());
        if (number >= 0) {
          found.add(number);
          segments.putIfAbsent(number, file);
        }
      }
    } catch (NoSuchFileException e) {
      throw new DepotException("depot queue directory " + dir + " no longer exists", e);
    } catch (IOException e) {
      throw new DepotException("cannot list " + dir + ": " + e, e);
    }
    segments.keySet().retainAll(found);
  }

  /** The path of segment {@code number}, whether it exists or not. */
  Path file(int number) {
    return dir.resolve(SegmentFormat.fileName(number));
  }

  /** The file of segment {@code number}, or null when the catalog does not hold it. */
  Path get(int number) {
    return segments.get(number);
  }

  void add(int number, Path file) {
    segments.put(number, file);
  }

  void remove(int number) {
    segments.remove(number);
  }

  boolean isEmpty() {
    return segments.isEmpty();
  }

  /** The highest segment number, or -1 when there is none; re-lists a read-only directory. */
  int last() {
    if (readOnly) {
      refresh();
    }
    return segments.isEmpty() ? -1 : segments.lastKey();
  }

  /** The first segment numbered {@code segment} or above, or -1. */
  int atOrAfter(int segment) {
    Integer found = segments.ceilingKey(segment);
    if (found == null && readOnly) {
      refresh();
      found = segments.ceilingKey(segment);
    }
    return found == null ? -1 : found;
  }

  /** The highest segment numbered {@code segment} or below, or -1. */
  int atOrBefore(int segment) {
    Integer found = segment < 0 ? null : segments.floorKey(segment);
    return found == null ? -1 : found;
  }

  /** Whether a segment numbered above {@code segment} exists. */
  boolean hasAfter(int segment) {
    return segments.higherKey(segment) != null;
  }

  /** The segments numbered below {@code segment}, oldest first. */
  Map<Integer, Path> below(int segment) {
    return segments.headMap(segment);
  }

  /** Number, size and age of each segment, oldest first; re-lists a read-only directory. */
  List<SegmentInfo> infos() {
    if (readOnly) {
      refresh();
    }
    List<SegmentInfo> infos = new ArrayList<>();
    for (Map.Entry<Integer, Path> e : segments.entrySet()) {
      try {
        infos.add(
            new SegmentInfo(
                e.getKey(),
                e.getValue(),
                Files.size(e.getValue()),
                Files.getLastModifiedTime(e.getValue()).toMillis()));
      } catch (NoSuchFileException gone) {
        // deleted meanwhile
      } catch (IOException ex) {
        throw new DepotException("cannot read " + e.getValue() + ": " + ex, ex);
      }
    }
    return infos;
  }
}
