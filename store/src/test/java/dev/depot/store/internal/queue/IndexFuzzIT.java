package dev.depot.store.internal.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.store.queue.Items;
import dev.depot.testing.TestFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damages index files the ways a disk or a crash can (flipped bits, cut short, zeros, garbage,
 * entries copied over others, missing) and checks that seeks by id, timestamp and tag, read-only
 * and in a writer, still return exactly what an index-free scan returns, with no exception.
 */
class IndexFuzzIT {
  private static final long SEED = 4321;

  @TempDir Path root;
  private Path base;
  private final List<long[]> written = new ArrayList<>(); // id, tag, timestamp
  private final Map<String, byte[]> indexes = new HashMap<>();

  private static DepotQueue.Builder builder(Path dir) {
    return DepotQueue.builder(dir).segmentBytes(4096).indexIntervalBytes(128).readBufferBytes(4096);
  }

  @BeforeEach
  void writeQueue() throws IOException {
    base = root.resolve("base");
    Random random = new Random(SEED);
    try (DepotQueue queue = builder(base).build()) {
      for (int i = 0; i < 600; i++) {
        byte[] item = Items.item(SEED, i, 60);
        long timestamp = 1000L * i + random.nextInt(3000);
        long id =
            i % 9 == 0 ? queue.append(item, 2L * i) : queue.appendTimed(item, 2L * i, timestamp);
        written.add(new long[] {id, 2L * i, i % 9 == 0 ? DepotRecord.NO_TIMESTAMP : timestamp});
      }
    }
    try (var files = Files.list(base)) {
      for (Path file : files.toList()) {
        if (file.getFileName().toString().endsWith(".idx")) {
          indexes.put(file.getFileName().toString(), Files.readAllBytes(file));
        }
      }
    }
    assertThat(indexes).hasSizeGreaterThan(6);
  }

  private byte[] mutate(byte[] original, Random random) {
    byte[] bytes = original.clone();
    switch (random.nextInt(6)) {
      case 0 -> { // flipped bits
        for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
          bytes[random.nextInt(bytes.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return bytes;
      }
      case 1 -> {
        return Arrays.copyOf(bytes, random.nextInt(bytes.length)); // cut short
      }
      case 2 -> { // a zero-filled stretch
        int from = random.nextInt(bytes.length);
        Arrays.fill(bytes, from, from + random.nextInt(bytes.length - from + 1), (byte) 0);
        return bytes;
      }
      case 3 -> { // garbage after the header
        byte[] garbage = new byte[random.nextInt(2000)];
        random.nextBytes(garbage);
        byte[] out = Arrays.copyOf(bytes, SegmentIndex.HEADER_BYTES + garbage.length);
        System.arraycopy(garbage, 0, out, SegmentIndex.HEADER_BYTES, garbage.length);
        return out;
      }
      case 4 -> { // an entry copied over another: a valid checksum in the wrong place
        int entries = (bytes.length - SegmentIndex.HEADER_BYTES) / SegmentIndex.ENTRY_BYTES;
        if (entries > 1) {
          int from = SegmentIndex.HEADER_BYTES + random.nextInt(entries) * SegmentIndex.ENTRY_BYTES;
          int to = SegmentIndex.HEADER_BYTES + random.nextInt(entries) * SegmentIndex.ENTRY_BYTES;
          System.arraycopy(original, from, bytes, to, SegmentIndex.ENTRY_BYTES);
        }
        return bytes;
      }
      default -> {
        return null; // deleted
      }
    }
  }

  /** What a seek must return first: the oracle's record, or null. */
  private Long expected(int kind, long target) {
    for (long[] w : written) {
      long value = kind == 0 ? w[0] : kind == 1 ? w[2] : w[1];
      if (value != Long.MIN_VALUE && value >= target) {
        return w[0];
      }
    }
    return null;
  }

  @Test
  void damagedIndexesNeverChangeWhatASeekReturns() throws IOException {
    Random random = new Random(SEED);
    for (int round = 0; round < 300; round++) {
      Path dir = root.resolve("r" + round);
      Files.createDirectories(dir);
      try (var files = Files.list(base)) {
        for (Path file : files.toList()) {
          String name = file.getFileName().toString();
          if (!name.endsWith(".idx") && !name.equals(".lock")) {
            Files.copy(file, dir.resolve(name));
          }
        }
      }
      for (Map.Entry<String, byte[]> index : indexes.entrySet()) {
        byte[] bytes = random.nextInt(3) == 0 ? mutate(index.getValue(), random) : index.getValue();
        if (bytes != null) {
          Files.write(dir.resolve(index.getKey()), bytes);
        }
      }
      for (boolean writer : new boolean[] {false, true}) {
        try (DepotQueue queue = builder(dir).readOnly(!writer).build()) {
          for (int i = 0; i < 40; i++) {
            long[] w = written.get(random.nextInt(written.size()));
            int kind = random.nextInt(3);
            long target = (kind == 0 ? w[0] : kind == 1 ? w[2] : w[1]) + random.nextInt(3) - 1;
            if (kind == 1 && w[2] == DepotRecord.NO_TIMESTAMP) {
              target = 1000L * random.nextInt(written.size());
            }
            try (DepotCursor cursor =
                kind == 0
                    ? queue.stream(target)
                    : kind == 1 ? queue.streamFromTimestamp(target) : queue.streamFromTag(target)) {
              DepotRecord record = cursor.next();
              Long id = expected(kind, target);
              assertThat(record == null ? null : record.id())
                  .as("round %d, %s, kind %d, target %d", round, writer, kind, target)
                  .isEqualTo(id);
            }
          }
        }
      }
      TestFiles.deleteTree(dir);
    }
  }
}
