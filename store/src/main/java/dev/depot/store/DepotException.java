package dev.depot.store;

/**
 * Base class of the exceptions the store raises: an I/O failure (full disk, permission denied), a
 * corrupt file, or a directory already locked by a writer. The message always names the file or
 * directory involved.
 *
 * <p>After an I/O failure while writing, a queue is failed: every later write throws this exception
 * again, and the queue must be closed and reopened, which recovers what reached the disk.
 */
public class DepotException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DepotException(String message) {
    super(message);
  }

  public DepotException(String message, Throwable cause) {
    super(message, cause);
  }
}
