package dev.depot.store.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.depot.store.DepotCorruptionException;
import dev.depot.testing.TestFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds mutated and random segment files to readers and to writer recovery. Whatever the bytes,
 * reading ends (no hang), the only exception is {@link DepotCorruptionException}, and every
 * complete record returned is one that was written, at its id.
 */
class SegmentFuzzIT {
  private static final long SEED = 1234;

  @TempDir Path root;
  private final Map<Long, byte[]> written = new HashMap<>();
  private final Map<Integer, byte[]> segments = new HashMap<>();

  @BeforeEach
  void writeQueue() throws IOException {
    Path dir = root.resolve("base");
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      long last = -1;
      for (int i = 0; DepotIds.segment(last) < 2 || DepotIds.position(last) < 2000; i++) {
        byte[] item = Items.item(SEED, i, 70);
        last = i % 2 == 0 ? queue.append(item) : queue.append(item, i); // tagged and not
        written.put(last, item);
      }
    }
    for (int s = 0; s < 3; s++) {
      segments.put(s, Files.readAllBytes(TestFiles.segment(dir, s)));
    }
  }

  @Test
  void mutatedSegmentsNeverHangThrowOnlyCorruptionAndNeverReturnWrongData() throws Exception {
    Random random = new Random(SEED);
    for (int round = 0; round < 1500; round++) {
      int victim = random.nextInt(3); // 2 is the last segment: writer recovery applies to it
      byte[] bytes = mutate(segments.get(victim), random);
      check(round, victim, bytes);
    }
  }

  @Test
  void randomFilesWithAndWithoutAValidHeaderAreHandled() throws Exception {
    Random random = new Random(SEED + 1);
    for (int round = 0; round < 500; round++) {
      byte[] bytes = new byte[random.nextInt(6000)];
      random.nextBytes(bytes);
      int victim = random.nextInt(3);
      if (random.nextBoolean() && bytes.length >= 16) {
        System.arraycopy(segments.get(victim), 0, bytes, 0, 16);
      }
      if (random.nextInt(4) == 0 && bytes.length >= 28) {
        plantFrame(bytes, random); // a valid frame in random bytes, at a random spot
      }
      check(round, victim, bytes);
    }
  }

  private void check(int round, int victim, byte[] bytes) throws IOException {
    Path dir = root.resolve("r" + round);
    Files.createDirectories(dir);
    for (int s = 0; s < 3; s++) {
      Files.write(TestFiles.segment(dir, s), s == victim ? bytes : segments.get(s));
    }
    assertTimeoutPreemptively(
        Duration.ofSeconds(30),
        () -> {
          try (DepotQueue reader = DepotQueue.builder(dir).readOnly(true).build()) {
            readChecked(reader, round, -1);
            reader.stats();
          }
          DepotQueue writer;
          try {
            writer = DepotQueue.builder(dir).segmentBytes(4096).build();
          } catch (DepotCorruptionException e) {
            assertThat(victim)
                .as("round %d: only the last segment is recovered", round)
                .isEqualTo(2);
            return;
          }
          long id;
          try (writer) {
            readChecked(writer, round, -1);
            id = writer.append("fuzz".getBytes());
            try (DepotCursor cursor = writer.stream(id)) {
              DepotRecord r = cursor.next();
              assertThat(r.id()).isEqualTo(id);
              assertThat(r.item()).isEqualTo("fuzz".getBytes());
            }
          }
          try (DepotQueue reader = DepotQueue.builder(dir).readOnly(true).build()) {
            readChecked(reader, round, id);
          }
        },
        "round " + round);
  }

  /** Reads everything; complete records must be written ones, or "fuzz" at {@code fuzzId}. */
  private void readChecked(DepotQueue queue, int round, long fuzzId) {
    int corruptions = 0;
    try (DepotCursor cursor = queue.stream()) {
      while (true) {
        DepotRecord r;
        try {
          r = cursor.next();
        } catch (DepotCorruptionException e) {
          assertThat(++corruptions)
              .as("round %d: corruption reports end", round)
              .isLessThan(10_000);
          continue;
        }
        if (r == null) {
          return;
        }
        if (r.complete()) {
          byte[] expected = r.id() == fuzzId ? "fuzz".getBytes() : written.get(r.id());
          assertThat(expected)
              .as("round %d: a complete record at %s was written", round, DepotIds.toString(r.id()))
              .isNotNull();
          assertThat(r.item()).as("round %d: bytes of %s", round, r.id()).isEqualTo(expected);
        }
      }
    }
  }

  private static byte[] mutate(byte[] original, Random random) {
    byte[] b = original.clone();
    switch (random.nextInt(6)) {
      case 0: // flip a few bits
        for (int i = 1 + random.nextInt(5); i > 0; i--) {
          int at = random.nextInt(b.length);
          b[at] ^= (byte) (1 << random.nextInt(8));
        }
        return b;
      case 1: // overwrite a range with random bytes
        {
          int at = random.nextInt(b.length);
          byte[] junk = new byte[Math.min(b.length - at, 1 + random.nextInt(200))];
          random.nextBytes(junk);
          System.arraycopy(junk, 0, b, at, junk.length);
          return b;
        }
      case 2: // zero a range (a lost page)
        {
          int at = random.nextInt(b.length);
          Arrays.fill(b, at, Math.min(b.length, at + 1 + random.nextInt(1024)), (byte) 0);
          return b;
        }
      case 3: // truncate
        return Arrays.copyOf(b, random.nextInt(b.length + 1));
      case 4: // duplicate a range further on
        {
          int from = random.nextInt(b.length);
          int length = Math.min(b.length - from, 1 + random.nextInt(300));
          int to = random.nextInt(b.length);
          System.arraycopy(original, from, b, to, Math.min(length, b.length - to));
          return b;
        }
      default: // insert random bytes
        {
          int at = random.nextInt(b.length + 1);
          byte[] junk = new byte[1 + random.nextInt(100)];
          random.nextBytes(junk);
          byte[] out = new byte[b.length + junk.length];
          System.arraycopy(b, 0, out, 0, at);
          System.arraycopy(junk, 0, out, at, junk.length);
          System.arraycopy(b, at, out, at + junk.length, b.length - at);
          return out;
        }
    }
  }

  /**
   * Forges a frame with a correct checksum and a record position equal to its offset in random
   * bytes, behind a broken header. No reader can tell a forged frame from a real one, so the header
   * must decide: readers reject the segment, and writer recovery must refuse (data behind a bad
   * header) rather than reinitialize the segment or read the forged record.
   */
  private static void plantFrame(byte[] bytes, Random random) {
    bytes[0] ^= 0x55; // break the header: the forged frame must never be reachable
    int length = random.nextInt(Math.min(64, bytes.length - 28) + 1);
    int at = 16 + random.nextInt(bytes.length - 16 - 12 - length + 1);
    ByteBuffer frame =
        ByteBuffer.wrap(bytes, at, 12 + length).slice().order(ByteOrder.LITTLE_ENDIAN);
    frame.putInt(4, length);
    frame.putInt(8, at);
    CRC32C crc = new CRC32C();
    crc.update(bytes, at + 4, 8 + length);
    frame.putInt(0, (int) crc.getValue());
  }
}
