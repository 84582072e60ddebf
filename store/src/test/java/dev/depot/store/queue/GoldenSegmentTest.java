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
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed version 1 segment files in {@code src/test/resources/golden} (see its README). */
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

  @Test
  void writesTheVersionOneFormatByteForByte() throws IOException {
    Path written = dir.resolve("written");
    try (DepotQueue queue = DepotQueue.open(written)) {
      for (byte[] item : goldenItems()) {
        queue.append(item);
      }
    }
    byte[] expected;
    try (InputStream in =
        GoldenSegmentTest.class.getResourceAsStream("/golden/v1/0000000000.seg")) {
      expected = in.readAllBytes();
    }
    assertThat(Files.readAllBytes(TestFiles.segment(written, 0))).isEqualTo(expected);
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
