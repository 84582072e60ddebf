package dev.depot.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
