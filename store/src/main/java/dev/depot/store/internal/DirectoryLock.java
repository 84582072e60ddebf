package dev.depot.store.internal;

import dev.depot.store.DepotException;
import dev.depot.store.DepotLockedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The single-writer lock of a store directory: an exclusive {@link FileLock} on a {@code .lock}
 * file that holds the owner's process id (informational). The operating system releases it when the
 * process dies, so a crash never leaves a stale lock behind.
 */
public final class DirectoryLock implements AutoCloseable {
  public static final String FILE_NAME = ".lock";

  private final FileChannel channel;
  private final FileLock lock;

  private DirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock of {@code dir}, which must exist.
   *
   * @param what how messages name the store, e.g. "depot queue /data/q"
   * @param readOnlyHint what to suggest instead, e.g. "open the queue read-only"
   * @throws DepotLockedException when this process or another holds it
   */
  public static DirectoryLock acquire(Path dir, String what, String readOnlyHint) {
    Path file = dir.resolve(FILE_NAME);
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      FileLock lock = null;
      try {
        // A reader's liveness probe (writerAlive) holds a shared lock for an instant: retry
        // briefly.
        for (int attempt = 0; attempt < 10 && lock == null; attempt++) {
          if (attempt > 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
          }
          lock = channel.tryLock();
        }
      } catch (OverlappingFileLockException e) {
        throw new DepotLockedException(
            what
                + " is already open for writing in this process; close it first or "
                + readOnlyHint);
      }
      if (lock == null) {
        String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
        throw new DepotLockedException(
            what
                + " is locked by another writer (process "
                + (holder.isEmpty() ? "unknown" : holder)
                + "); stop that writer or "
                + readOnlyHint);
      }
      channel.truncate(0);
      byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
      channel.write(ByteBuffer.wrap(pid), 0);
      return new DirectoryLock(channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new DepotException("cannot lock " + file + ": " + e, e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  /**
   * Whether a writer holds the lock of {@code dir} now. Probes with a shared lock held for an
   * instant; a writer starting at that instant retries ({@link #acquire}).
   */
  public static boolean held(Path dir) {
    Path file = dir.resolve(FILE_NAME);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      FileLock probe = channel.tryLock(0, Long.MAX_VALUE, true);
      if (probe == null) {
        return true;
      }
      probe.release();
      return false;
    } catch (NoSuchFileException e) {
      return false;
    } catch (OverlappingFileLockException e) {
      return true; // this process holds it
    } catch (IOException e) {
      throw new DepotException("cannot probe the writer lock " + file + ": " + e, e);
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // already failing
      }
    }
  }

  /** Releases the lock. */
  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
