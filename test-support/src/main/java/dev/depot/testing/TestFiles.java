package dev.depot.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Files for tests: deleting a tree, and the names of the store's segment files.
 *
 * <p>Segment files are named by their base number, zero-padded so {@code ls} sorts them: {@code
 * 0000000002.seg} (ten digits) in a depot queue, the segment's start in epoch microseconds in a
 * time-key set ({@code 1700000000000000000.tks}, nineteen digits, a minus sign before segments
 * before 1970). The store keeps its own naming internal; tests that build a name by hand use {@link
 * #segment} and {@link #timeKeySegment} so the padding is written once on this side too.
 */
public final class TestFiles {
  private TestFiles() {}

  /** Deletes {@code root} and everything under it; nothing happens if it does not exist. */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(root)) {
      paths = walk.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path path : paths) {
      Files.delete(path);
    }
  }

  /** {@code 0000000002.seg}: the name of depot queue segment {@code number}. */
  public static String segmentName(long number) {
    return String.format("%010d.seg", number);
  }

  /** {@code dir/0000000002.seg}. */
  public static Path segment(Path dir, long number) {
    return dir.resolve(segmentName(number));
  }

  /** {@code 1700000000000000000.tks}: the time-key set segment starting at {@code startMicros}. */
  public static String timeKeySegmentName(long startMicros) {
    String digits = Long.toString(startMicros).replace("-", "");
    return (startMicros < 0 ? "-" : "") + "0".repeat(19 - digits.length()) + digits + ".tks";
  }

  /** {@code dir/1700000000000000000.tks}. */
  public static Path timeKeySegment(Path dir, long startMicros) {
    return dir.resolve(timeKeySegmentName(startMicros));
  }
}
