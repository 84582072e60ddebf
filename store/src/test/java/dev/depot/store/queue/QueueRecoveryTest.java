package dev.depot.store.queue;

import static dev.depot.testing.TestFiles.segment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.queue.Items.Read;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damages a synced queue the ways a crash or a disk can, then reopens, reads and appends. Every
 * synced record that the damage did not touch must come back byte for byte, and the damage must be
 * reported: as a partial record for a torn tail, as {@link DepotCorruptionException} otherwise.
 */
class QueueRecoveryTest {
  private static final int ITEMS = 40;
  private static final long SEED = 7;

  @TempDir Path root;
  private Path original;
  private final List<Long> ids = new ArrayList<>();
  private long fileSize;

  @BeforeEach
  void writeQueue() throws IOException {
    original = root.resolve("original");
    try (DepotQueue queue = DepotQueue.open(original)) {
      for (int i = 0; i < ITEMS; i++) {
        ids.add(queue.append(Items.item(SEED, i, 60)));
      }
      queue.sync();
    }
    fileSize = Files.size(segment(original, 0));
  }

  private Path copy(String name) throws IOException {
    Path dir = root.resolve(name);
    Files.createDirectories(dir);
    try (Stream<Path> files = Files.list(original)) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    return dir;
  }

  private long frameStart(int k) {
    return DepotIds.position(ids.get(k));
  }

  private long frameEnd(int k) {
    return k + 1 < ITEMS ? frameStart(k + 1) : fileSize;
  }

  private static void assertItems(List<Read> reads, int from, int count) {
    for (int i = 0; i < count; i++) {
      Read r = reads.get(from + i);
      assertThat(r.complete()).as("record %d complete", i).isTrue();
      assertThat(r.item()).as("record %d bytes", i).isEqualTo(Items.item(SEED, i, 60));
    }
  }

  @Test
  void reopensAfterTruncationAtEveryByteOfTheLastRecordsAndMarksThePartialRecord()
      throws IOException {
    int round = 0;
    for (int k = ITEMS - 3; k < ITEMS; k++) {
      for (long cut = frameStart(k); cut < frameEnd(k); cut++) {
        Path dir = copy("cut" + round++);
        try (RandomAccessFile f = new RandomAccessFile(segment(dir, 0).toFile(), "rw")) {
          f.setLength(cut);
        }
        boolean torn = cut > frameStart(k);
        long appended;
        try (DepotQueue queue = DepotQueue.open(dir)) {
          assertThat(queue.lastId()).isEqualTo(ids.get(k - 1));
          appended = queue.append("after".getBytes());
          List<Read> reads = Items.readAll(queue, 0);
          assertThat(reads).hasSize(k + (torn ? 1 : 0) + 1);
          assertItems(reads, 0, k);
          if (torn) {
            Read partial = reads.get(k);
            assertThat(partial.id()).isEqualTo(ids.get(k));
            assertThat(partial.complete()).isFalse();
          }
          assertThat(reads.get(reads.size() - 1).id()).isEqualTo(appended);
          assertThat(reads.get(reads.size() - 1).item()).isEqualTo("after".getBytes());
          assertThat(queue.stats().partialRecords()).isEqualTo(torn ? 1 : 0);
        }
        // the marker is on disk: a second reopen reads the same, and a read-only open agrees
        try (DepotQueue queue = DepotQueue.builder(dir).readOnly(true).build()) {
          List<Read> reads = Items.readAll(queue, 0);
          assertThat(reads).hasSize(k + (torn ? 1 : 0) + 1);
          assertThat(reads.get(reads.size() - 1).id()).isEqualTo(appended);
        }
      }
    }
    assertThat(round).isGreaterThan(100);
  }

  @Test
  void everySingleBitFlipInAMiddleRecordIsReportedAndTheOtherRecordsSurvive() throws IOException {
    int k = ITEMS / 2;
    int round = 0;
    int writerRefusals = 0;
    for (long at = frameStart(k); at < frameEnd(k); at++) {
      for (int bit = 0; bit < 8; bit++) {
        Path dir = copy("flip" + round++);
        flip(segment(dir, 0), at, bit);
        long fieldOffset = at - frameStart(k);

        // A read-only reader sees every other record and exactly one corruption, at record k.
        try (DepotQueue queue = DepotQueue.builder(dir).readOnly(true).build()) {
          List<Read> reads = new ArrayList<>();
          List<DepotCorruptionException> errors = readAllReporting(queue, reads);
          assertThat(errors).hasSize(1);
          DepotCorruptionException e = errors.get(0);
          assertThat(e.file()).isEqualTo(segment(dir, 0).toAbsolutePath());
          assertThat(e.position()).isEqualTo(frameStart(k));
          assertThat(e.getMessage()).contains(segment(dir, 0).toAbsolutePath().toString());
          if (fieldOffset < 4 || fieldOffset >= 12) {
            assertThat(e.expectedChecksum()).isNotEqualTo(e.actualChecksum());
            assertThat(e.getMessage()).contains("checksum mismatch");
          }
          assertThat(reads).hasSize(ITEMS - 1);
          assertItems(reads, 0, k);
          for (int i = k + 1; i < ITEMS; i++) {
            assertThat(reads.get(i - 1).item()).isEqualTo(Items.item(SEED, i, 60));
          }
        }

        // A writer opens when the damage is confined to the record (its length is intact) and
        // refuses, naming the damage, when the segment's structure is lost at that point.
        boolean lengthField = fieldOffset >= 4 && fieldOffset < 8;
        try (DepotQueue queue = DepotQueue.open(dir)) {
          long appended = queue.append("after".getBytes());
          List<Read> reads = new ArrayList<>();
          assertThat(readAllReporting(queue, reads)).hasSize(1);
          assertThat(reads).hasSize(ITEMS);
          assertThat(reads.get(ITEMS - 1).id()).isEqualTo(appended);
        } catch (DepotCorruptionException e) {
          assertThat(lengthField).as("refused for a flip at field offset %d", fieldOffset).isTrue();
          assertThat(e.position()).isEqualTo(frameStart(k));
          writerRefusals++;
        }
      }
    }
    assertThat(writerRefusals).isPositive();
  }

  @Test
  void streamingFromAnIdAfterACorruptRecordDoesNotReportIt() throws IOException {
    int k = ITEMS / 2;
    Path dir = copy("before");
    flip(segment(dir, 0), frameStart(k) + 14, 0);
    try (DepotQueue queue = DepotQueue.open(dir)) {
      List<Read> reads = Items.readAll(queue, ids.get(k + 1));
      assertThat(reads).extracting(Read::id).containsExactlyElementsOf(ids.subList(k + 1, ITEMS));
      assertThatThrownBy(() -> Items.readAll(queue, ids.get(k)))
          .isInstanceOf(DepotCorruptionException.class)
          .hasMessageContaining("at position " + frameStart(k));
    }
  }

  @Test
  void aCorruptRecordBeforeATornTailStaysCorruptAndOnlyTheTailBecomesPartial() throws IOException {
    int k = ITEMS - 2;
    Path dir = copy("corruptThenTorn");
    flip(segment(dir, 0), frameStart(k) + 20, 2);
    try (RandomAccessFile f = new RandomAccessFile(segment(dir, 0).toFile(), "rw")) {
      f.setLength(fileSize - 1);
    }
    for (boolean writer : new boolean[] {false, true}) {
      try (DepotQueue queue = DepotQueue.builder(dir).readOnly(!writer).build()) {
        List<Read> reads = new ArrayList<>();
        List<DepotCorruptionException> errors = readAllReporting(queue, reads);
        assertThat(errors)
            .extracting(DepotCorruptionException::position)
            .containsExactly(frameStart(k));
        assertThat(reads).hasSize(ITEMS - 1);
        assertItems(reads, 0, k);
        assertThat(reads.get(k).id()).isEqualTo(ids.get(ITEMS - 1));
        assertThat(reads.get(k).complete()).isFalse();
        QueueStats stats = queue.stats();
        assertThat(stats.corruptRecords()).isEqualTo(1);
        assertThat(stats.partialRecords()).isEqualTo(1);
      }
    }
  }

  @Test
  void aFlippedBitInTheLastRecordBecomesAPartialRecord() throws IOException {
    Path dir = copy("lastflip");
    flip(segment(dir, 0), frameStart(ITEMS - 1) + 20, 3);
    try (DepotQueue queue = DepotQueue.open(dir)) {
      assertThat(queue.lastId()).isEqualTo(ids.get(ITEMS - 2));
      List<Read> reads = Items.readAll(queue, 0);
      assertItems(reads, 0, ITEMS - 1);
      assertThat(reads.get(ITEMS - 1).complete()).isFalse();
      assertThat(reads.get(ITEMS - 1).id()).isEqualTo(ids.get(ITEMS - 1));
    }
  }

  @Test
  void zeroFilledAndGarbageTailsAreNeverReadAsData() throws IOException {
    Random random = new Random(11);
    int round = 0;
    for (int length : new int[] {1, 7, 11, 12, 13, 100, 4096, 70_000}) {
      for (boolean zeros : new boolean[] {true, false}) {
        Path dir = copy("tail" + round++);
        byte[] tail = new byte[length];
        if (!zeros) {
          random.nextBytes(tail);
        }
        Files.write(segment(dir, 0), tail, java.nio.file.StandardOpenOption.APPEND);

        try (DepotQueue reader = DepotQueue.builder(dir).readOnly(true).build()) {
          List<Read> reads = Items.readAll(reader, 0);
          assertItems(reads, 0, ITEMS);
          assertThat(reads).hasSize(ITEMS + 1); // no writer: the tail is final, reported partial
          assertThat(reads.get(ITEMS).complete()).isFalse();
          assertThat(reads.get(ITEMS).id()).isEqualTo(DepotIds.of(0, fileSize));
        }
        try (DepotQueue queue = DepotQueue.open(dir)) {
          assertThat(queue.lastId()).isEqualTo(ids.get(ITEMS - 1));
          long appended = queue.append("after".getBytes());
          List<Read> reads = Items.readAll(queue, 0);
          assertItems(reads, 0, ITEMS);
          assertThat(reads).hasSize(ITEMS + 2);
          Read partial = reads.get(ITEMS);
          assertThat(partial.complete()).isFalse();
          assertThat(partial.id()).isEqualTo(DepotIds.of(0, fileSize));
          assertThat(partial.item()).hasSize(Math.max(0, length - 12));
          assertThat(reads.get(ITEMS + 1).id()).isEqualTo(appended);
          assertThat(reads.get(ITEMS + 1).complete()).isTrue();
        }
      }
    }
  }

  @Test
  void aTornTailInAnOlderSegmentIsReportedAndReadingContinuesInTheNext() throws IOException {
    Path dir = root.resolve("rolled");
    List<Long> written = new ArrayList<>();
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      for (int i = 0; i < 200; i++) {
        written.add(queue.append(Items.item(SEED, i, 60)));
      }
    }
    // A power cut after a roll that was never synced: the end of segment 0 is lost.
    Path first = segment(dir, 0);
    long cut = Files.size(first) - 5;
    try (RandomAccessFile f = new RandomAccessFile(first.toFile(), "rw")) {
      f.setLength(cut);
    }
    try (DepotQueue queue = DepotQueue.open(dir)) {
      List<Read> reads = Items.readAll(queue, 0);
      long partials = reads.stream().filter(r -> !r.complete()).count();
      assertThat(partials).isEqualTo(1);
      assertThat(reads).hasSize(200);
      for (int i = 0; i < 200; i++) {
        assertThat(reads.get(i).id()).isEqualTo(written.get(i));
        if (reads.get(i).complete()) {
          assertThat(reads.get(i).item()).isEqualTo(Items.item(SEED, i, 60));
        }
      }
    }
  }

  @Test
  void aSegmentCreatedButNeverWrittenIsReinitialized() throws IOException {
    for (int size : new int[] {0, 5, 15, 16}) {
      Path dir = copy("empty" + size);
      byte[] torn = new byte[size];
      if (size == 16) {
        Arrays.fill(torn, (byte) 0);
      } else {
        for (int i = 0; i < size; i++) {
          torn[i] = (byte) "DEPQ\u0001".charAt(i % 5);
        }
      }
      Files.write(segment(dir, 1), torn);
      try (DepotQueue queue = DepotQueue.open(dir)) {
        assertThat(queue.lastId()).isEqualTo(ids.get(ITEMS - 1));
        long id = queue.append("x".getBytes());
        assertThat(DepotIds.segment(id)).isEqualTo(1);
        assertThat(Items.readAll(queue, 0)).hasSize(ITEMS + 1);
      }
    }
  }

  @Test
  void aCorruptHeaderOfAnOlderSegmentIsReportedAndReadingSkipsToTheNextSegment()
      throws IOException {
    Path dir = root.resolve("header");
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      for (int i = 0; i < 200; i++) {
        queue.append(Items.item(SEED, i, 60));
      }
    }
    flip(segment(dir, 1), 9, 0); // the segment number in the header
    try (DepotQueue queue = DepotQueue.builder(dir).readOnly(true).build()) {
      List<Read> reads = new ArrayList<>();
      List<DepotCorruptionException> errors = readAllReporting(queue, reads);
      assertThat(errors).hasSize(1);
      assertThat(errors.get(0).file().getFileName().toString()).isEqualTo("0000000001.seg");
      assertThat(errors.get(0).getMessage()).contains("segment header checksum mismatch");
      assertThat(reads).isNotEmpty().noneMatch(r -> DepotIds.segment(r.id()) == 1);
      assertThat(reads.get(reads.size() - 1).item()).isEqualTo(Items.item(SEED, 199, 60));
    }
  }

  @Test
  void aCorruptHeaderOfTheLastSegmentWithDataBehindItRefusesTheWriter() throws IOException {
    Path dir = copy("lastheader");
    flip(segment(dir, 0), 0, 1);
    DepotCorruptionException e =
        catchThrowableOfType(DepotCorruptionException.class, () -> DepotQueue.open(dir));
    assertThat(e.getMessage())
        .startsWith("corrupt data in " + segment(dir, 0).toAbsolutePath() + " at position 0");
    // the lock was released by the failed open
    assertThatThrownBy(() -> DepotQueue.open(dir)).isInstanceOf(DepotCorruptionException.class);
  }

  static List<DepotCorruptionException> readAllReporting(DepotQueue queue, List<Read> reads) {
    List<DepotCorruptionException> errors = new ArrayList<>();
    try (DepotCursor cursor = queue.stream()) {
      while (true) {
        DepotRecord r;
        try {
          r = cursor.next();
        } catch (DepotCorruptionException e) {
          errors.add(e);
          assertThat(errors).as("corruption keeps repeating").hasSizeLessThan(100);
          continue;
        }
        if (r == null) {
          return errors;
        }
        reads.add(new Read(r.id(), r.complete(), r.item()));
      }
    }
  }

  static void flip(Path file, long position, int bit) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(position);
      int b = f.read();
      f.seek(position);
      f.write(b ^ (1 << bit));
    }
  }
}
