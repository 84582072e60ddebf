package dev.depot.demo.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The quickstart's data directory ({@code --data}) and what goes where in it: the depot, the logs,
 * the written configs, the broker's log directory, the pids of the child processes. A run empties
 * it first, but only when a quickstart made it: the {@value #MARKER} file says so.
 *
 * <pre>
 * DATA/.quickstart          marker: created by ./quickstart
 * DATA/pids                 "pid name" of each child process, one a line
 * DATA/depot/TOPIC/PART/    the sink's depot queues
 * DATA/logs/NAME.log        each child process's output
 * DATA/conf/                the configs the child processes run with
 * DATA/kafka/, connect/, dedup-state/, plugins/, verify/
 * </pre>
 */
public final class DataDir {
  static final String MARKER = ".quickstart";

  private final Path root;

  /** {@code root} must be absolute: the child processes' command lines name it. */
  public DataDir(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  public Path depot() {
    return root.resolve("depot");
  }

  public Path logs() {
    return root.resolve("logs");
  }

  public Path pids() {
    return root.resolve("pids");
  }

  public Path conf() {
    return root.resolve("conf");
  }

  public Path resolve(String name) {
    return root.resolve(name);
  }

  /**
   * Empties the directory, running {@code beforeEmptying} first when it holds a previous run, then
   * creates it with its marker and the logs directory. Refuses a directory that is neither empty
   * nor a quickstart's.
   */
  public void prepare(Runnable beforeEmptying) {
    if (Files.exists(root)) {
      if (!Files.exists(root.resolve(MARKER)) && !isEmptyDir(root)) {
        throw new QuickstartException(
            "refusing to empty "
                + root
                + ": it is not a quickstart data directory (no "
                + MARKER
                + " file in it); choose another --data");
      }
      beforeEmptying.run();
      deleteTree(root);
    }
    try {
      Files.createDirectories(logs());
      Files.writeString(root.resolve(MARKER), "created by ./quickstart; emptied by its next run\n");
    } catch (IOException e) {
      throw new QuickstartException("cannot create " + root + ": " + e.getMessage());
    }
  }

  private static boolean isEmptyDir(Path dir) {
    try (Stream<Path> children = Files.list(dir)) {
      return children.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new QuickstartException("cannot empty " + root + ": " + e.getMessage());
    }
  }
}
