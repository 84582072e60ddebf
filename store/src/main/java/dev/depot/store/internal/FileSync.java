package dev.depot.store.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
}
