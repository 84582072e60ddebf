package dev.depot.store.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Deque;

/** fsync helpers shared by the store's engines. */
public final class FileSync {
  private FileSync() {}

  /** fsyncs a file's data; a file deleted meanwhile has nothing left to make durable. */
  public static void file(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      channel.force(false);
    } catch (NoSuchFileException e) {
      // deleted before it was synced
    }
  }

  /** fsyncs a directory, making file creations, renames and deletions in it durable. */
  public static void directory(Path directory) throws IOException {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  /**
   * Creates {@code dir} and its missing parents, and fsyncs the parent of each directory it created
   * (top down), so that the new directories survive a power cut: without it a queue whose files
   * were all synced could vanish with its directory's entry.
   */
  public static Path createDirectories(Path dir) throws IOException {
    Deque<Path> missing = new ArrayDeque<>();
    for (Path p = dir.toAbsolutePath(); p != null && !Files.isDirectory(p); p = p.getParent()) {
      missing.push(p);
    }
    Files.createDirectories(dir);
    for (Path created : missing) {
      directory(created.getParent());
    }
    return dir;
  }
}
