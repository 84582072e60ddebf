package dev.depot.store.queue;

import static dev.depot.testing.TestFiles.segment;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
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
 * {@link DepotQueue#append(int, ItemWriter, long)}: the same frames on disk as {@link
 * DepotQueue#append(byte[], long)}, nothing of an item whose writer fails, and a torn tail
 * recovered like any other.
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
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".seg")).sorted().toList();
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
