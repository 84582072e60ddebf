package dev.depot.store.internal.timekey;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.internal.AtomicFiles;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Properties;

/**
 * {@code timekeys.meta}: what a set's directory was created with, as Java properties text:
 *
 * <pre>
 * format.version=1
 * segment.interval.micros=3600000000
 * </pre>
 *
 * Written once, atomically (beside, fsync, rename, directory fsync), when the set is created. The
 * retention is not stored: it may change from one open to the next.
 */
final class SetMeta {
  static final String FILE_NAME = "timekeys.meta";

  private SetMeta() {}

  /** The segment interval the directory was created with, or -1 when it has no meta file yet. */
  static long readInterval(Path dir) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return -1;
    }
    Properties props = new Properties();
    try (Reader reader = new StringReader(text)) {
      props.load(reader);
    }
    String version = props.getProperty("format.version");
    if (!"1".equals(version)) {
      throw new DepotCorruptionException(
          file, 0, "unsupported or missing format.version " + version + ", expected 1");
    }
    String interval = props.getProperty("segment.interval.micros", "");
    try {
      long micros = Long.parseLong(interval.trim());
      if (micros > 0) {
        return micros;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new DepotCorruptionException(
        file, 0, "invalid segment.interval.micros '" + interval + "'");
  }

  static void write(Path dir, long intervalMicros) throws IOException {
    String text =
        "# time-key stream set: do not edit\n"
            + "format.version=1\n"
            + "segment.interval.micros="
            + intervalMicros
            + "\n";
    AtomicFiles.write(dir.resolve(FILE_NAME), text.getBytes(StandardCharsets.UTF_8));
  }
}
