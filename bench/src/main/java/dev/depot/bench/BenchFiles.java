package dev.depot.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** File helpers of the benches. */
final class BenchFiles {
  private BenchFiles() {}

  /**
   * A new temporary directory under {@code parent} (created when missing), or under {@code
   * java.io.tmpdir} when it is null.
   */
  static Path tempRoot(Path parent, String prefix) throws IOException {
    Path under = parent == null ? Path.of(System.getProperty("java.io.tmpdir")) : parent;
    Files.createDirectories(under);
    return Files.createTempDirectory(under, prefix);
  }

  /** Deletes {@code root} and everything under it; nothing when it does not exist. */
  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause(); // a walk that failed on the way
    }
  }
}
