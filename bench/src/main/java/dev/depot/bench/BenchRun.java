package dev.depot.bench;

import dev.depot.testing.TestFiles;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * How a bench's main runs its body: in a new temporary directory, deleted at the end, with stdout
 * kept for the figures (the broker's test kit prints what it formats on stdout, so the body's
 * stdout goes to stderr); then the figures on stdout, and the body's exit status.
 */
final class BenchRun {
  private BenchRun() {}

  /** The body of a bench. */
  interface Body {
    /** Runs in {@code root}, puts its results in {@code figures}; returns the exit status. */
    int run(Path root, Figures figures) throws Exception;
  }

  /**
   * Runs {@code body} in a new directory {@code prefix*} under {@code dir} (under {@code
   * java.io.tmpdir} when null), deletes it, prints the figures and exits with the body's status.
   */
  static void inTempRoot(Path dir, String prefix, Body body) throws Exception {
    Path root = BenchFiles.tempRoot(dir, prefix);
    Figures figures = new Figures();
    PrintStream stdout = System.out;
    int status;
    System.setOut(System.err);
    try {
      status = body.run(root, figures);
    } finally {
      System.setOut(stdout);
      TestFiles.deleteTree(root);
    }
    figures.print(stdout);
    System.exit(status);
  }
}
