package dev.depot.store.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.queue.Items.Read;
import dev.depot.testing.TestFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed version 1 and 2 segment files in {@code src/test/resources/golden} (see its
 * README).
 */
class GoldenSegmentTest {
  private static final long[] IDS = {16, 33, 49, 61, 373};

  @TempDir Path dir;

  private static List<byte[]> goldenItems() {
    byte[] binary = new byte[300];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) (i * 7);
    }
    return List.of(utf8("alpha"), utf8("beta"), new byte[0], binary, utf8("omega"));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private Path golden(String name) throws IOException {
    Path target = dir.resolve(name);
    Files.createDirectories(target);
    try (InputStream in =
        GoldenSegmentTest.class.getResourceAsStream("/golden/" + name + "/0000000000.seg")) {
      Files.copy(in, TestFiles.segment(target, 0));
    }
    return target;
  }

  @Test
  void readsTheVersionOneFormat() throws IOException {
    try (DepotQueue queue = DepotQueue.builder(golden("v1")).readOnly(true).build()) {
      List<Read> reads = Items.readAll(queue, 0);
      assertThat(reads).extracting(Read::id).containsExactly(16L, 33L, 49L, 61L, 373L);
      for (int i = 0; i < IDS.length; i++) {
        assertThat(reads.get(i).item()).isEqualTo(goldenItems().get(i));
        assertThat(reads.get(i).complete()).isTrue();
      }
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = GoldenSegmentTest.class.getResourceAsStream("/golden/" + name)) {
      return in.readAllBytes();
    }
  }

  @Test
  void writesVersionTwoWhoseUntimedFramesAreTheVersionOneFramesByteForByte() throws IOException {
    Path written = dir.resolve("written");
    try (DepotQueue queue = DepotQueue.open(written)) {
      for (byte[] item : goldenItems()) {
        queue.append(item);
      }
    }
    byte[] v1 = resource("v1/0000000000.seg");
    byte[] actual = Files.readAllBytes(TestFiles.segment(written, 0));
    assertThat(actual[4]).as("format version").isEqualTo((byte) 2);
    assertThat(Arrays.copyOfRange(actual, 16, actual.length))
        .isEqualTo(Arrays.copyOfRange(v1, 16, v1.length));
    assertThat(Arrays.copyOfRange(actual, 0, 4)).isEqualTo(Arrays.copyOfRange(v1, 0, 4));
  }

  @Test
  void writesAndReadsTheVersionTwoFormatWithTimestampsByteForByte() throws IOException {
    Path written = dir.resolve("written");
    List<byte[]> items = goldenItems();
    try (DepotQueue queue = DepotQueue.open(written)) {
      assertThat(queue.appendTimed(items.get(0), 100, 1764504000000L)).isEqualTo(16);
      assertThat(queue.append(items.get(1), 101)).isEqualTo(49);
      assertThat(queue.append(items.get(2))).isEqualTo(73);
      assertThat(queue.appendTimed(items.get(3), 103, -5L)).isEqualTo(85);
      assertThat(queue.appendTimed(items.get(4), 104, 1764504000000L)).isEqualTo(413);
    }
    assertThat(Files.readAllBytes(TestFiles.segment(written, 0)))
        .isEqualTo(resource("v2/0000000000.seg"));

    try (DepotQueue queue = DepotQueue.builder(golden("v2")).readOnly(true).build();
        DepotCursor cursor = queue.stream()) {
      long[] tags = {100, 101, DepotRecord.NO_TAG, 103, 104};
      long[] timestamps = {
        1764504000000L, DepotRecord.NO_TIMESTAMP, DepotRecord.NO_TIMESTAMP, -5, 1764504000000L
      };
      for (int i = 0; i < items.size(); i++) {
        DepotRecord record = cursor.next();
        assertThat(record.item()).isEqualTo(items.get(i));
        assertThat(record.tag()).isEqualTo(tags[i]);
        assertThat(record.timestamp()).isEqualTo(timestamps[i]);
      }
      assertThat(cursor.next()).isNull();
    }
  }

  @Test
  void versionOneRecordsHaveNoTimestampAndATimedAppendStartsAVersionTwoSegment()
      throws IOException {
    Path v1 = golden("v1");
    try (DepotQueue queue = DepotQueue.open(v1)) {
      try (DepotCursor cursor = queue.stream()) {
        assertThat(cursor.next().timestamp()).isEqualTo(DepotRecord.NO_TIMESTAMP);
      }
      assertThat(queue.append(utf8("untimed"), 7)).as("still segment 0").isEqualTo(390);
      long timed = queue.appendTimed(utf8("timed"), 8, 1000);
      assertThat(DepotIds.segment(timed)).isEqualTo(1);
      try (DepotCursor cursor = queue.streamFromTimestamp(1000)) {
        assertThat(cursor.next().id()).isEqualTo(timed);
      }
      try (DepotCursor cursor = queue.streamFromTag(7)) {
        assertThat(cursor.next().id()).isEqualTo(390);
      }
    }
    assertThat(Files.readAllBytes(TestFiles.segment(v1, 0))[4]).isEqualTo((byte) 1);
    assertThat(Files.readAllBytes(TestFiles.segment(v1, 1))[4]).isEqualTo((byte) 2);
  }

  @Test
  void reportsTheCorruptRecordWithItsChecksumsAndReadsThoseAroundIt() throws IOException {
    Path corrupt = golden("v1-corrupt");
    try (DepotQueue queue = DepotQueue.builder(corrupt).readOnly(true).build()) {
      List<Read> reads = new ArrayList<>();
      List<DepotCorruptionException> errors = QueueRecoveryTest.readAllReporting(queue, reads);
      assertThat(errors).hasSize(1);
      DepotCorruptionException e = errors.get(0);
      assertThat(e.position()).isEqualTo(33);
      assertThat(e.expectedChecksum()).isEqualTo(0x16bf7d5dL);
      assertThat(e.actualChecksum()).isNotEqualTo(0x16bf7d5dL);
      assertThat(e.getMessage())
          .startsWith(
              "corrupt data in "
                  + TestFiles.segment(corrupt, 0).toAbsolutePath()
                  + " at position 33: record checksum mismatch (expected checksum 0x16bf7d5d,"
                  + " actual 0x");
      assertThat(reads).extracting(Read::id).containsExactly(16L, 49L, 61L, 373L);
    }
    // The damage is confined to one record: a writer opens and appends after it.
    try (DepotQueue queue = DepotQueue.open(corrupt)) {
      assertThat(queue.lastId()).isEqualTo(373);
      assertThat(queue.append(utf8("more"))).isEqualTo(390);
    }
  }

  @Test
  void reportsTheTornRecordAsPartialAndMarksItForAppends() throws IOException {
    Path torn = golden("v1-torn");
    try (DepotQueue queue = DepotQueue.builder(torn).readOnly(true).build()) {
      List<Read> reads = Items.readAll(queue, 0);
      assertThat(reads).extracting(Read::id).containsExactly(16L, 33L, 49L, 61L, 373L);
      assertThat(reads.get(4).complete()).isFalse();
    }
    try (DepotQueue queue = DepotQueue.open(torn)) {
      assertThat(queue.lastId()).isEqualTo(61);
      assertThat(queue.append(utf8("again"))).isEqualTo(385);
      List<Read> reads = Items.readAll(queue, 0);
      assertThat(reads).extracting(Read::id).containsExactly(16L, 33L, 49L, 61L, 373L, 385L);
      assertThat(reads.get(4).complete()).isFalse();
      assertThat(reads.get(4).item()).isEmpty(); // 12 bytes were left: a frame header's worth
      assertThat(reads.get(5).item()).isEqualTo(utf8("again"));
    }
  }
}
