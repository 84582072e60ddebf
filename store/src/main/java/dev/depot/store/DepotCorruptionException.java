package dev.depot.store;

import java.nio.file.Path;

/**
 * A file holds bytes that fail their checksum or their structure where intact data was expected. It
 * is never raised for the torn tail a crash leaves behind the last synced record: that is reported
 * as a partial record instead.
 *
 * <p>The message names the file, the byte position, and the expected and actual checksum when the
 * damage is a checksum mismatch.
 */
public class DepotCorruptionException extends DepotException {
  private static final long serialVersionUID = 1L;

  /** The checksum value used when the damage is not a checksum mismatch. */
  public static final long NO_CHECKSUM = -1L;

  private final transient Path file;
  private final long position;
  private final long expectedChecksum;
  private final long actualChecksum;

  /**
   * A damaged region whose checksum did not match.
   *
   * @param expectedChecksum the checksum stored in the file
   * @param actualChecksum the checksum computed over the bytes found
   */
  public DepotCorruptionException(
      Path file, long position, long expectedChecksum, long actualChecksum, String detail) {
    super(
        String.format(
            "corrupt data in %s at position %d: %s (expected checksum 0x%08x, actual 0x%08x)",
            file, position, detail, expectedChecksum, actualChecksum));
    this.file = file;
    this.position = position;
    this.expectedChecksum = expectedChecksum;
    this.actualChecksum = actualChecksum;
  }

  /** Damage that is not a checksum mismatch, such as a bad magic number or an impossible length. */
  public DepotCorruptionException(Path file, long position, String detail) {
    super(String.format("corrupt data in %s at position %d: %s", file, position, detail));
    this.file = file;
    this.position = position;
    this.expectedChecksum = NO_CHECKSUM;
    this.actualChecksum = NO_CHECKSUM;
  }

  /** The damaged file. */
  public Path file() {
    return file;
  }

  /** Byte position of the damage in {@link #file()}. */
  public long position() {
    return position;
  }

  /** The checksum stored in the file, or {@link #NO_CHECKSUM}. */
  public long expectedChecksum() {
    return expectedChecksum;
  }

  /** The checksum computed over the bytes found, or {@link #NO_CHECKSUM}. */
  public long actualChecksum() {
    return actualChecksum;
  }
}
