package dev.depot.store.queue;

import static dev.depot.testing.TestFiles.segment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.BufferOverflowException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DepotQueue#append(int, ItemWriter, long)} and {@link DepotQueue#append(int, ItemWriter,
 * long, long)}: the same frames and index files on disk as {@link DepotQueue#append(byte[], long)}
 * and {@link DepotQueue#appendTimed}, seeks by time and tag that find them, nothing of an item
 * whose writer fails, and a torn tail recovered like any other.
 */
class ItemWriterAppendTest {
  private static final long SEED = 11;

  @TempDir Path root;

  /** 64 KiB segments and a 4 KiB write buffer, so that items roll segments and some exceed it. */
  private static DepotQueue open(Path dir) {
    return DepotQueue.builder(dir).segmentBytes(64 << 10).writeBufferBytes(4096).build();
  }

  /** Item i: mostly small, every 7th larger than the write buffer. */
  private static byte[] item(int i) {
    return Items.item(SEED, i, i % 7 == 6 ? 9000 : 300);
  }

  private static ItemWriter writing(byte[] item) {
    return target -> target.put(item);
  }

  private static byte[] bytes(Path file) throws IOException {
    return Files.readAllBytes(file);
  }

  private static List<Path> segments(Path dir) throws IOException {
    return files(dir, ".seg");
  }

  private static List<Path> files(Path dir, String suffix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(suffix)).sorted().toList();
    }
  }

  private static void assertSameFiles(Path actualDir, Path expectedDir, String suffix)
      throws IOException {
    List<Path> expected = files(expectedDir, suffix);
    List<Path> actual = files(actualDir, suffix);
    assertThat(actual)
        .extracting(Path::getFileName)
        .isEqualTo(expected.stream().map(Path::getFileName).toList());
    for (int s = 0; s < expected.size(); s++) {
      assertThat(bytes(actual.get(s)))
          .as("file %s", actual.get(s).getFileName())
          .isEqualTo(bytes(expected.get(s)));
    }
  }

  /**
   * Timestamp of timed item i: every 5th has none, the others grow by 10 ms per item but step back
   * 35 ms at every 4th, so that they are not in order.
   */
  private static long timestamp(int i) {
    return i % 5 == 4
        ? DepotRecord.NO_TIMESTAMP
        : 1_764_504_000_000L + 10L * i - (i % 4 == 1 ? 35 : 0);
  }

  /** As {@link #open}, with an index entry every 512 bytes. */
  private static DepotQueue openIndexed(Path dir) {
    return DepotQueue.builder(dir)
        .segmentBytes(64 << 10)
        .writeBufferBytes(4096)
        .indexIntervalBytes(512)
        .build();
  }

  @Test
  void timedWritesTheSameSegmentAndIndexFilesAsAppendTimedAndSeeksFindThem() throws IOException {
    Path arrays = root.resolve("arrays");
    Path writers = root.resolve("writers");
    int n = 400;
    List<Long> ids = new ArrayList<>();
    try (DepotQueue a = openIndexed(arrays);
        DepotQueue w = openIndexed(writers)) {
      for (int i = 0; i < n; i++) {
        byte[] item = item(i);
        long arrayId = a.appendTimed(item, 1000L + i, timestamp(i));
        long writerId = w.append(item.length, writing(item), 1000L + i, timestamp(i));
        assertThat(writerId).as("id of item %d", i).isEqualTo(arrayId);
        ids.add(writerId);
      }
    }
    assertThat(DepotIds.segment(ids.get(n - 1))).as("segments rolled").isGreaterThan(2);
    assertThat(files(writers, ".idx")).as("index files").hasSize(segments(writers).size());
    assertSameFiles(writers, arrays, ".seg");
    assertSameFiles(writers, arrays, ".idx");

    try (DepotQueue queue = DepotQueue.builder(writers).readOnly(true).build()) {
      try (DepotCursor cursor = queue.stream()) {
        for (int i = 0; i < n; i++) {
          DepotRecord record = cursor.next();
          assertThat(record.id()).isEqualTo(ids.get(i));
          assertThat(record.tag()).isEqualTo(1000L + i);
          assertThat(record.timestamp()).as("timestamp of item %d", i).isEqualTo(timestamp(i));
          assertThat(record.item()).isEqualTo(item(i));
        }
        assertThat(cursor.next()).isNull();
      }
      for (int i = 0; i < n; i++) {
        try (DepotCursor byTag = queue.streamFromTag(1000L + i)) {
          assertThat(byTag.next().id()).as("seek to tag %d", 1000 + i).isEqualTo(ids.get(i));
        }
        if (timestamp(i) == DepotRecord.NO_TIMESTAMP) {
          continue;
        }
        for (long t : new long[] {timestamp(i) - 1, timestamp(i), timestamp(i) + 1}) {
          Long expected = null;
          for (int j = 0; j < n && expected == null; j++) {
            if (timestamp(j) != DepotRecord.NO_TIMESTAMP && timestamp(j) >= t) {
              expected = ids.get(j);
            }
          }
          try (DepotCursor byTime = queue.streamFromTimestamp(t)) {
            DepotRecord found = byTime.next();
            assertThat(found == null ? null : found.id())
                .as("seek to time %d", t)
                .isEqualTo(expected);
          }
        }
      }
    }
  }

  @Test
  void aTimedWriterAppendRollsAVersionOneSegmentFirst() throws IOException {
    Path v1 = root.resolve("v1");
    Files.createDirectories(v1);
    try (InputStream in =
        ItemWriterAppendTest.class.getResourceAsStream("/golden/v1/0000000000.seg")) {
      Files.copy(in, segment(v1, 0));
    }
    byte[] untimed = {1, 2, 3};
    byte[] timed = {4, 5};
    long timedId;
    try (DepotQueue queue = DepotQueue.open(v1)) {
      assertThat(queue.append(untimed.length, writing(untimed), 7))
          .as("still segment 0")
          .isEqualTo(390);
      assertThat(queue.append(untimed.length, writing(untimed), 8, DepotRecord.NO_TIMESTAMP))
          .as("no timestamp: a tagged frame, still segment 0")
          .isEqualTo(390 + 20 + 3);
      timedId = queue.append(timed.length, writing(timed), 9, 1000);
      assertThat(timedId).isEqualTo(1L << 32 | 16);
      try (DepotCursor cursor = queue.streamFromTimestamp(1000)) {
        DepotRecord record = cursor.next();
        assertThat(record.id()).isEqualTo(timedId);
        assertThat(record.item()).isEqualTo(timed);
        assertThat(record.tag()).isEqualTo(9);
      }
      try (DepotCursor cursor = queue.streamFromTag(8)) {
        DepotRecord record = cursor.next();
        assertThat(record.id()).isEqualTo(390 + 20 + 3);
        assertThat(record.timestamp()).isEqualTo(DepotRecord.NO_TIMESTAMP);
      }
    }
    assertThat(bytes(segment(v1, 0))[4]).as("segment 0 version").isEqualTo((byte) 1);
    assertThat(bytes(segment(v1, 1))[4]).as("segment 1 version").isEqualTo((byte) 2);
    try (DepotQueue queue = DepotQueue.builder(v1).readOnly(true).build();
        DepotCursor cursor = queue.streamFromTimestamp(999)) {
      assertThat(cursor.next().id()).as("after reopening").isEqualTo(timedId);
    }
  }

  @Test
  void aTimedWriterThatFailsAppendsNothingAndTheNoTagValueIsRefused() {
    AtomicBoolean called = new AtomicBoolean();
    try (DepotQueue queue = open(root.resolve("q"))) {
      long first = queue.append(3, writing(new byte[] {1, 2, 3}), 1, 50);
      for (int length : new int[] {10, 5000}) { // within the write buffer, and larger
        assertThatThrownBy(
                () ->
                    queue.append(
                        length,
                        target -> {
                          target.put(new byte[length / 2]);
                          throw new IllegalArgumentException("cannot encode");
                        },
                        2,
                        60))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("cannot encode");
        assertThatThrownBy(
                () -> queue.append(length, target -> target.put(new byte[length - 1]), 3, 70))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage(
                "the ItemWriter wrote "
                    + (length - 1)
                    + " bytes of an item of "
                    + length
                    + "; nothing was appended");
        assertThat(queue.lastId()).isEqualTo(first);
      }
      assertThatThrownBy(() -> queue.append(1, target -> called.set(true), DepotRecord.NO_TAG, 5))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("tag " + Long.MIN_VALUE + " is reserved for records without a tag");
      assertThat(called).isFalse();
      long next = queue.append(0, target -> {}, 4, 80);
      assertThat(DepotIds.position(next))
          .as("a timed frame of 3 bytes before it")
          .isEqualTo(DepotIds.position(first) + 28 + 3);
      try (DepotCursor cursor = queue.streamFromTimestamp(51)) {
        assertThat(cursor.next().id()).as("no timestamp of a failed item").isEqualTo(next);
      }
      assertThat(Items.readAll(queue, 0)).extracting(r -> r.item().length).containsExactly(3, 0);
    }
  }

  @Test
  void writesTheSameSegmentFilesAsAppendingArraysWithTags() throws IOException {
    Path arrays = root.resolve("arrays");
    Path writers = root.resolve("writers");
    List<Long> arrayIds = new ArrayList<>();
    List<Long> writerIds = new ArrayList<>();
    try (DepotQueue a = open(arrays);
        DepotQueue w = open(writers)) {
      for (int i = 0; i < 400; i++) {
        byte[] item = item(i);
        arrayIds.add(a.append(item, 1000L + i));
        writerIds.add(w.append(item.length, writing(item), 1000L + i));
      }
      // a cursor of the writing process sees every item at once, buffered or not
      List<Items.Read> reads = Items.readAll(w, 0);
      assertThat(reads).hasSize(400);
      for (int i = 0; i < 400; i++) {
        assertThat(reads.get(i).item()).as("item %d", i).isEqualTo(item(i));
      }
    }
    assertThat(writerIds).isEqualTo(arrayIds);
    assertThat(DepotIds.segment(writerIds.get(399))).as("segments rolled").isGreaterThan(2);
    List<Path> expected = segments(arrays);
    List<Path> actual = segments(writers);
    assertThat(actual).hasSameSizeAs(expected);
    for (int s = 0; s < expected.size(); s++) {
      assertThat(bytes(actual.get(s)))
          .as("segment %s", actual.get(s).getFileName())
          .isEqualTo(bytes(expected.get(s)));
    }
    try (DepotQueue w = open(writers);
        DepotCursor cursor = w.stream()) {
      for (int i = 0; i < 400; i++) {
        DepotRecord record = cursor.next();
        assertThat(record.tag()).isEqualTo(1000L + i);
        assertThat(record.id()).isEqualTo(writerIds.get(i));
      }
      assertThat(cursor.next()).isNull();
    }
  }

  @Test
  void aWriterThatThrowsLeavesNoPartOfItsItemAndTheQueueStaysWritable() throws IOException {
    Path dir = root.resolve("q");
    List<Long> ids = new ArrayList<>();
    try (DepotQueue queue = open(dir)) {
      for (int i = 0; i < 60; i++) {
        byte[] item = item(i);
        long tag = i;
        long before = queue.lastId();
        // half the item written, then the encoder fails: in the buffer, and past its capacity
        assertThatThrownBy(
                () ->
                    queue.append(
                        item.length,
                        target -> {
                          target.put(item, 0, item.length / 2);
                          throw new IllegalArgumentException("cannot encode item " + item.length);
                        },
                        tag))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("cannot encode item " + item.length);
        assertThat(queue.lastId()).isEqualTo(before);
        ids.add(queue.append(item.length, writing(item), i));
      }
      queue.sync();
    }
    try (DepotQueue queue = open(dir)) {
      assertThat(queue.stats().partialRecords()).isZero();
      assertThat(queue.stats().corruptRecords()).isZero();
      List<Items.Read> reads = Items.readAll(queue, 0);
      assertThat(reads).extracting(Items.Read::id).isEqualTo(ids);
      for (int i = 0; i < 60; i++) {
        assertThat(reads.get(i).complete()).isTrue();
        assertThat(reads.get(i).item()).isEqualTo(item(i));
      }
    }
  }

  @Test
  void aWriterThatWritesTooFewOrTooManyBytesAppendsNothing() {
    try (DepotQueue queue = open(root.resolve("q"))) {
      long first = queue.append(3, target -> target.put(new byte[] {1, 2, 3}), 1);
      assertThatThrownBy(() -> queue.append(10, target -> target.put(new byte[9]), 2))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("the ItemWriter wrote 9 bytes of an item of 10; nothing was appended");
      assertThatThrownBy(() -> queue.append(10, target -> target.put(new byte[11]), 3))
          .isInstanceOf(BufferOverflowException.class);
      assertThatThrownBy(() -> queue.append(5000, target -> target.put(new byte[4999]), 4))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("the ItemWriter wrote 4999 bytes of an item of 5000; nothing was appended");
      long next = queue.append(0, target -> {}, 5);
      assertThat(DepotIds.position(next)).isEqualTo(DepotIds.position(first) + 20 + 3);
      assertThat(Items.readAll(queue, 0)).extracting(r -> r.item().length).containsExactly(3, 0);
    }
  }

  @Test
  void refusesALengthTheSegmentCannotHoldBeforeCallingTheWriter() {
    AtomicBoolean called = new AtomicBoolean();
    ItemWriter writer = target -> called.set(true);
    try (DepotQueue queue = open(root.resolve("q"))) {
      int max = queue.maxItemBytes();
      assertThatThrownBy(() -> queue.append(max + 1, writer, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "item of "
                  + (max + 1)
                  + " bytes is larger than "
                  + max
                  + " bytes, the largest item segmentBytes=65536 allows; raise segmentBytes");
      assertThatThrownBy(() -> queue.append(-1, writer, 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("length must be >= 0, was -1");
      assertThatThrownBy(() -> queue.append(1, writer, DepotRecord.NO_TAG))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("tag " + Long.MIN_VALUE + " is reserved for records without a tag");
      assertThatThrownBy(() -> queue.append(1, null, 1))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("writer cannot be null");
      assertThat(called).isFalse();
      assertThat(queue.lastId()).isEqualTo(-1);
      // the largest item fits, in a segment of its own
      byte[] largest = new byte[max];
      long id = queue.append(max, writing(largest), 2);
      assertThat(Items.readAll(queue, id).get(0).item()).isEqualTo(largest);
    }
  }

  @Test
  void aWriterThatCallsItsQueueIsRefusedAndAppendsNothing() {
    try (DepotQueue queue = open(root.resolve("q"))) {
      queue.append(new byte[] {7}, 1);
      List<ItemWriter> calls =
          List.of(
              target -> queue.sync(),
              target -> queue.append(new byte[] {1}),
              target -> queue.append(1, t -> t.put((byte) 1), 9),
              target -> {
                try (DepotCursor cursor = queue.stream()) {
                  cursor.next(); // would make the writer hand its buffer over mid-frame
                  cursor.next();
                }
              });
      for (ItemWriter call : calls) {
        assertThatThrownBy(() -> queue.append(1, call, 2))
            .isInstanceOf(IllegalStateException.class)
            .hasMessage("an ItemWriter must not call the queue it writes to");
      }
      queue.append(1, target -> target.put((byte) 8), 3);
      assertThat(Items.readAll(queue, 0))
          .extracting(r -> r.item()[0])
          .containsExactly((byte) 7, (byte) 8);
    }
  }

  @Test
  void aTornTailOfWriterAppendsIsRecoveredAsAPartialRecordAtEveryCut() throws IOException {
    Path original = root.resolve("original");
    List<Long> ids = new ArrayList<>();
    try (DepotQueue queue = DepotQueue.open(original)) {
      for (int i = 0; i < 10; i++) {
        byte[] item = Items.item(SEED, i, 80);
        ids.add(queue.append(item.length, writing(item), i));
      }
      queue.sync();
    }
    long size = Files.size(segment(original, 0));
    long lastStart = DepotIds.position(ids.get(9));
    for (long cut = lastStart; cut < size; cut++) {
      Path dir = root.resolve("cut" + cut);
      Files.createDirectories(dir);
      Files.copy(segment(original, 0), segment(dir, 0));
      try (RandomAccessFile f = new RandomAccessFile(segment(dir, 0).toFile(), "rw")) {
        f.setLength(cut);
      }
      boolean torn = cut > lastStart;
      try (DepotQueue queue = DepotQueue.open(dir)) {
        assertThat(queue.lastId()).isEqualTo(ids.get(8));
        byte[] after = {42, 43};
        long appended = queue.append(after.length, writing(after), 100);
        queue.sync();
        List<Items.Read> reads = Items.readAll(queue, 0);
        assertThat(reads).hasSize(9 + (torn ? 1 : 0) + 1);
        for (int i = 0; i < 9; i++) {
          assertThat(reads.get(i).item()).isEqualTo(Items.item(SEED, i, 80));
        }
        if (torn) {
          assertThat(reads.get(9).complete()).isFalse();
          assertThat(reads.get(9).id()).isEqualTo(ids.get(9));
        }
        Items.Read last = reads.get(reads.size() - 1);
        assertThat(last.id()).isEqualTo(appended);
        assertThat(last.item()).isEqualTo(after);
        try (DepotCursor cursor = queue.stream(appended)) {
          assertThat(cursor.next().tag()).isEqualTo(100);
        }
      }
    }
  }
}
