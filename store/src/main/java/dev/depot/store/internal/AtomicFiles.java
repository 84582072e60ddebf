package dev.depot.store.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * Small files replaced whole: after a crash or power cut a file written here holds either its old
 * content or its new content, never a mix or nothing. Not thread-safe for one file: callers that
 * may write the same file concurrently must serialize.
 */
public final class AtomicFiles {
  /** Suffix of the file written beside the target; a leftover one is garbage from a crash. */
  public static final String TEMP_SUFFIX = ".tmp";

  private AtomicFiles() {}

  /**
   * Replaces {@code file} with {@code content}: writes {@code <file>.tmp} beside it, fsyncs it,
   * renames it over {@code file} and fsyncs the directory. A leftover temp file is overwritten. On
   * failure {@code file} is unchanged and the temp file removed (as far as the disk allows).
   */
  public static void write(Path file, byte[] content) throws IOException {
    Objects.requireNonNull(file, "file cannot be null");
    Objects.requireNonNull(content, "content cannot be null");
    Path target = file.toAbsolutePath();
    Path temp = target.resolveSibling(target.getFileName() + TEMP_SUFFIX);
    try {
      try (FileChannel channel =
          FileChannel.open(
              temp,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING,
              StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    FileSync.directory(target.getParent());
  }
}
