package dev.depot.streams;

import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.internal.KeyBlock;
import java.util.List;

/** Decodes changelog records for tests. */
final class ChangelogBlocks {
  private ChangelogBlocks() {}

  static List<TimeKey> keys(byte[] key, byte[] value) {
    return KeyBlock.keysOf(key, value);
  }
}
