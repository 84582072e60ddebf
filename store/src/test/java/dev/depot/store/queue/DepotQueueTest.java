package dev.depot.store.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.store.DepotException;
import dev.depot.store.DepotLockedException;
import dev.depot.store.queue.Items.Read;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DepotQueueTest {
  @TempDir Path dir;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void appendsAndReadsBackInOrderWithIdsMadeOfSegmentAndPosition() {
    try (DepotQueue queue = DepotQueue.open(dir)) {
      long a = queue.append(utf8("alpha"));
      long b = queue.append(utf8("beta"));
      long c = queue.append(ByteBuffer.wrap(utf8("gamma")));

      assertThat(DepotIds.segment(a)).isZero();
      assertThat(DepotIds.position(a)).isEqualTo(16); // after the 16-byte segment header
      assertThat(DepotIds.position(b)).isEqualTo(16 + 12 + 5);
      assertThat(c).isGreaterThan(b);
      assertThat(queue.lastId()).isEqualTo(c);

      List<Read> read = Items.readAll(queue, 0);
      assertThat(read).extracting(Read::id).containsExactly(a, b, c);
      assertThat(read)
          .extracting(r -> new String(r.item(), StandardCharsets.UTF_8))
          .containsExactly("alpha", "beta", "gamma");
      assertThat(read).allMatch(Read::complete);
    }
  }

  @Test
  void recordViewsCopyIntoCallerArraysAndExposeReadOnlyBuffers() {
    try (DepotQueue queue = DepotQueue.open(dir)) {
      queue.append(utf8("hello"));
      try (DepotCursor cursor = queue.stream()) {
        DepotRecord record = cursor.next();
        byte[] dst = new byte[8];
        assertThat(record.copyTo(dst, 2)).isEqualTo(5);
        assertThat(new String(dst, 2, 5, StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThatThrownBy(() -> record.copyTo(new byte[4], 0))
            .isInstanceOf(IndexOutOfBoundsException.class);
        ByteBuffer buffer = record.buffer();
        assertThat(buffer.isReadOnly()).isTrue();
        assertThat(buffer.position()).isZero();
        assertThat(buffer.remaining()).isEqualTo(5);
        assertThat(buffer.get(0)).isEqualTo((byte) 'h');
        assertThat(record.buffer()).isSameAs(buffer);
      }
    }
  }

  @Test
  void tagsAreKeptWithTheirItemsThroughReopenRollsAndRewrites() {
    List<Long> ids = new ArrayList<>();
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      for (int i = 0; i < 300; i++) {
        byte[] item = Items.item(6, i, 60);
        ids.add(i % 3 == 0 ? queue.append(item) : queue.append(item, 1_000_000L + i));
      }
      assertThatThrownBy(() -> queue.append(new byte[1], DepotRecord.NO_TAG))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("tag -9223372036854775808 is reserved for records without a tag");
      queue.append(new byte[queue.maxItemBytes()], 7); // the largest item fits with a tag
      queue.rewriteSegment(1, RecordRewriter.keepIf(r -> Items.indexOf(r.item()) % 2 == 0));
    }
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build();
        DepotCursor cursor = queue.stream()) {
      DepotRecord r;
      int seen = 0;
      while ((r = cursor.next()) != null && seen < 250) {
        long index = Items.indexOf(r.item());
        assertThat(r.id()).isEqualTo(ids.get((int) index));
        assertThat(r.item()).isEqualTo(Items.item(6, index, 60));
        assertThat(r.tag()).isEqualTo(index % 3 == 0 ? DepotRecord.NO_TAG : 1_000_000L + index);
        seen++;
      }
      assertThat(seen).isEqualTo(250);
    }
  }

  @Test
  void streamStartsAtTheFirstRecordWithIdAtLeastTheOneGiven() {
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        ids.add(queue.append(Items.item(1, i, 40)));
      }
      assertThat(DepotIds.segment(ids.get(499))).isGreaterThan(3);
      for (int i : new int[] {0, 1, 77, 250, 499}) {
        long id = ids.get(i);
        assertThat(Items.readAll(queue, id).get(0).id()).isEqualTo(id);
        // an id between two records starts at the next one
        List<Read> after = Items.readAll(queue, id + 1);
        if (i == 499) {
          assertThat(after).isEmpty();
        } else {
          assertThat(after.get(0).id()).isEqualTo(ids.get(i + 1));
          assertThat(after).hasSize(499 - i);
        }
      }
      assertThat(Items.readAll(queue, Long.MAX_VALUE)).isEmpty();
    }
  }

  @Test
  void rollsSegmentsNamedByZeroPaddedNumber() throws Exception {
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      for (int i = 0; i < 300; i++) {
        queue.append(Items.item(2, i, 60));
      }
      queue.sync();
      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".seg")))
            .contains("0000000000.seg", "0000000001.seg", "0000000002.seg");
      }
      for (DepotQueue.SegmentInfo info : queue.segments()) {
        assertThat(info.bytes()).isLessThanOrEqualTo(4096);
      }
      assertThat(Items.readAll(queue, 0))
          .extracting(r -> Items.indexOf(r.item()))
          .containsExactlyElementsOf(
              () -> java.util.stream.LongStream.range(0, 300).boxed().iterator());
    }
  }

  @Test
  void reopenSeesEverythingAndAppendsContinueAfterIt() {
    long last;
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(8192).build()) {
      for (int i = 0; i < 200; i++) {
        last = queue.append(Items.item(3, i, 100));
      }
    }
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(8192).build()) {
      last = queue.lastId();
      assertThat(queue.syncedId()).isEqualTo(last);
      long next = queue.append(Items.item(3, 200, 100));
      assertThat(next).isGreaterThan(last);
      List<Read> read = Items.readAll(queue, 0);
      assertThat(read).hasSize(201);
      for (int i = 0; i < 201; i++) {
        assertThat(read.get(i).item()).isEqualTo(Items.item(3, i, 100));
      }
    }
  }

  @Test
  void itemsLargerThanTheWriteBufferAndEmptyItemsRoundTrip() {
    byte[] big = Items.item(4, 0, 300_000);
    big = java.util.Arrays.copyOf(big, 300_000);
    try (DepotQueue queue =
        DepotQueue.builder(dir).writeBufferBytes(4096).readBufferBytes(4096).build()) {
      long small = queue.append(utf8("x"));
      long large = queue.append(big);
      long empty = queue.append(new byte[0]);
      long after = queue.append(utf8("after"));
      List<Read> read = Items.readAll(queue, 0);
      assertThat(read).extracting(Read::id).containsExactly(small, large, empty, after);
      assertThat(read.get(1).item()).isEqualTo(big);
      assertThat(read.get(2).item()).isEmpty();
      assertThat(read.get(3).item()).isEqualTo(utf8("after"));
    }
  }

  @Test
  void appendOfByteBufferLeavesItsPositionAndAppendWithOffsetTakesTheSlice() {
    try (DepotQueue queue = DepotQueue.open(dir)) {
      ByteBuffer buffer = ByteBuffer.wrap(utf8("0123456789"));
      buffer.position(3).limit(7);
      queue.append(buffer);
      assertThat(buffer.position()).isEqualTo(3);
      queue.append(utf8("0123456789"), 5, 2);
      assertThat(Items.readAll(queue, 0))
          .extracting(r -> new String(r.item(), StandardCharsets.UTF_8))
          .containsExactly("3456", "56");
    }
  }

  @Test
  void appendAllReturnsIdsInOrderAndChecksEveryItemFirst() {
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      long[] ids = queue.appendAll(List.of(utf8("a"), utf8("b"), utf8("c")));
      assertThat(ids).hasSize(3);
      assertThat(ids[0]).isLessThan(ids[1]);
      assertThat(ids[1]).isLessThan(ids[2]);

      assertThat(queue.maxItemBytes()).isEqualTo(4052);
      List<byte[]> withHuge = List.of(utf8("d"), new byte[5000]);
      assertThatThrownBy(() -> queue.appendAll(withHuge))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "item of 5000 bytes is larger than 4052 bytes, the largest item segmentBytes=4096"
                  + " allows; raise segmentBytes");
      // nothing of the refused batch was appended, and the queue still works
      assertThat(Items.readAll(queue, 0)).hasSize(3);
      queue.appendTimed(new byte[4052], 1, 2); // the largest item fits, with a tag and a timestamp
      assertThat(Items.readAll(queue, 0)).hasSize(4);
    }
  }

  @Test
  void builderRejectsBadSettingsNamingThem() {
    assertThatThrownBy(() -> DepotQueue.builder(dir).segmentBytes(12))
        .hasMessage("segmentBytes must be between 4096 and 4294967295, was 12");
    assertThatThrownBy(() -> DepotQueue.builder(dir).segmentBytes(1L << 32))
        .hasMessage("segmentBytes must be between 4096 and 4294967295, was 4294967296");
    assertThatThrownBy(() -> DepotQueue.builder(dir).writeBufferBytes(10))
        .hasMessage("writeBufferBytes must be between 4096 and 67108864, was 10");
    assertThatThrownBy(() -> DepotQueue.builder(dir).indexIntervalBytes(127))
        .hasMessage("indexIntervalBytes must be between 128 and 67108864, was 127");
    assertThatThrownBy(() -> DepotQueue.builder(dir).indexIntervalBytes((64 << 20) + 1))
        .hasMessage("indexIntervalBytes must be between 128 and 67108864, was 67108865");
    assertThatThrownBy(() -> DepotQueue.builder(dir).retentionBytes(0))
        .hasMessage("retentionBytes must be >= 1, was 0");
    assertThatThrownBy(() -> DepotQueue.builder(dir).retention(Duration.ZERO))
        .hasMessage("retention must be positive, was PT0S");
    assertThatThrownBy(() -> SyncPolicy.everyItems(0)).hasMessage("sync items must be >= 1, was 0");
    assertThatThrownBy(() -> SyncPolicy.interval(Duration.ZERO))
        .hasMessage("sync interval must be at least 1 ms, was PT0S");
    assertThatThrownBy(() -> DepotQueue.builder(null)).hasMessage("directory cannot be null");
  }

  @Test
  void timedAppendsRefuseTheNoTagValueAndTakeNoTimestampAsATaggedAppend() {
    try (DepotQueue queue = DepotQueue.open(dir)) {
      assertThatThrownBy(() -> queue.appendTimed(utf8("x"), DepotRecord.NO_TAG, 5))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("tag -9223372036854775808 is reserved for records without a tag");
      long id = queue.appendTimed(utf8("y"), 3, DepotRecord.NO_TIMESTAMP);
      long next = queue.appendTimed(utf8("z"), 4, -1);
      assertThat(next - id).as("a tagged frame: 20 bytes of header and 1 of item").isEqualTo(21);
      try (DepotCursor cursor = queue.stream()) {
        DepotRecord y = cursor.next();
        assertThat(y.tag()).isEqualTo(3);
        assertThat(y.timestamp()).isEqualTo(DepotRecord.NO_TIMESTAMP);
        DepotRecord z = cursor.next();
        assertThat(z.tag()).isEqualTo(4);
        assertThat(z.timestamp()).isEqualTo(-1);
      }
    }
  }

  @Test
  void aSecondWriterInTheSameProcessIsRefusedAndReadOnlyWorksBesideIt() {
    try (DepotQueue writer = DepotQueue.open(dir)) {
      writer.append(utf8("one"));
      assertThatThrownBy(() -> DepotQueue.open(dir))
          .isInstanceOf(DepotLockedException.class)
          .hasMessageContaining("already open for writing in this process");
      writer.sync();
      try (DepotQueue reader = DepotQueue.builder(dir).readOnly(true).build()) {
        assertThat(Items.readAll(reader, 0)).hasSize(1);
        assertThat(reader.lastId()).isEqualTo(writer.lastId());
        assertThatThrownBy(() -> reader.append(utf8("no")))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("is open read-only");
      }
    }
    // the lock is released on close
    try (DepotQueue again = DepotQueue.open(dir)) {
      assertThat(Items.readAll(again, 0)).hasSize(1);
    }
  }

  @Test
  void readOnlyOpenOfAMissingDirectoryNamesIt() {
    Path missing = dir.resolve("nope");
    assertThatThrownBy(() -> DepotQueue.builder(missing).readOnly(true).build())
        .isInstanceOf(DepotException.class)
        .hasMessage("no depot queue at " + missing + ": not a directory");
  }

  @Test
  void closedQueueRefusesWork() {
    DepotQueue queue = DepotQueue.open(dir);
    DepotCursor cursor = queue.stream();
    queue.close();
    queue.close(); // idempotent
    assertThatThrownBy(() -> queue.append(utf8("x")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is closed");
    assertThatThrownBy(cursor::next).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void statsCountItemsBytesAndSegments() {
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      assertThat(queue.stats().items()).isZero();
      assertThat(queue.stats().firstId()).isEqualTo(-1);
      long first = queue.append(new byte[100]);
      long last = first;
      for (int i = 1; i < 100; i++) {
        last = queue.append(new byte[100]);
      }
      QueueStats stats = queue.stats();
      assertThat(stats.items()).isEqualTo(100);
      assertThat(stats.itemBytes()).isEqualTo(100 * 100);
      assertThat(stats.partialRecords()).isZero();
      assertThat(stats.corruptRecords()).isZero();
      assertThat(stats.firstId()).isEqualTo(first);
      assertThat(stats.lastId()).isEqualTo(last);
      assertThat(stats.segments()).isEqualTo(queue.segments().size()).isGreaterThan(2);
      assertThat(stats.diskBytes()).isEqualTo(stats.segments() * 16L + 100 * (100 + 12));
    }
  }

  @Test
  void syncAdvancesSyncedIdAndEveryItemsPolicySyncsOnItsOwn() {
    try (DepotQueue queue = DepotQueue.builder(dir).syncPolicy(SyncPolicy.everyItems(3)).build()) {
      assertThat(queue.syncedId()).isEqualTo(-1);
      long a = queue.append(utf8("a"));
      queue.append(utf8("b"));
      assertThat(queue.syncedId()).isEqualTo(-1);
      long c = queue.append(utf8("c"));
      assertThat(queue.syncedId()).isEqualTo(c);
      long d = queue.append(utf8("d"));
      assertThat(queue.syncedId()).isEqualTo(c);
      queue.sync();
      assertThat(queue.syncedId()).isEqualTo(d);
      assertThat(a).isLessThan(c);
    }
  }

  @Test
  void intervalPolicySyncsFromTheBackground() throws Exception {
    try (DepotQueue queue =
        DepotQueue.builder(dir).syncPolicy(SyncPolicy.interval(Duration.ofMillis(5))).build()) {
      long id = queue.append(utf8("a"));
      Await.until("the background sync", Duration.ofSeconds(30), () -> queue.syncedId() >= id);
      assertThat(queue.syncedId()).isEqualTo(id);
      // and another process can read it without any explicit sync or buffer flush
      try (DepotQueue reader = DepotQueue.builder(dir).readOnly(true).build()) {
        assertThat(Items.readAll(reader, 0)).hasSize(1);
      }
    }
  }
}
