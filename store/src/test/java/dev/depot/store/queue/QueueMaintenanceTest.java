package dev.depot.store.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.store.queue.Items.Read;
import dev.depot.testing.TestFiles;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole-segment operations: rewrite, delete, retention. */
class QueueMaintenanceTest {
  @TempDir Path dir;

  private List<Long> fill(DepotQueue queue, int count) {
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(queue.append(Items.item(21, i, 60)));
    }
    return ids;
  }

  private static Map<Long, byte[]> byId(List<Read> reads) {
    return reads.stream().collect(Collectors.toMap(Read::id, Read::item));
  }

  @Test
  void rewriteDropsAndReplacesRecordsKeepingIdsAndSurvivesReopen() throws Exception {
    List<Long> ids;
    Map<Long, byte[]> before;
    long newSize;
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      ids = fill(queue, 300);
      before = byId(Items.readAll(queue, 0));
      long oldSize = Files.size(TestFiles.segment(dir, 1));
      newSize =
          queue.rewriteSegment(
              1,
              r -> {
                long index = Items.indexOf(r.item());
                if (index % 3 == 0) {
                  return null; // drop
                }
                if (index % 3 == 1) {
                  return ByteBuffer.wrap(new byte[] {(byte) index}); // replace with a smaller item
                }
                return r.buffer(); // keep
              });
      assertThat(newSize).isLessThan(oldSize).isEqualTo(Files.size(TestFiles.segment(dir, 1)));
      assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.endsWith(".rewrite"));
    }
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      List<Read> reads = Items.readAll(queue, 0);
      for (Read r : reads) {
        assertThat(ids).contains(r.id());
        if (DepotIds.segment(r.id()) != 1) {
          assertThat(r.item()).isEqualTo(before.get(r.id()));
          continue;
        }
        long index = ids.indexOf(r.id());
        assertThat(index % 3).isNotZero();
        if (index % 3 == 1) {
          assertThat(r.item()).containsExactly((byte) index);
        } else {
          assertThat(r.item()).isEqualTo(before.get(r.id()));
        }
      }
      long dropped =
          ids.stream().filter(id -> DepotIds.segment(id) == 1 && ids.indexOf(id) % 3 == 0).count();
      assertThat(dropped).isPositive();
      assertThat(reads).hasSize(300 - (int) dropped);
      // stream(id) lands on the same record, or the next kept one, in the rewritten segment
      List<Long> kept = reads.stream().map(Read::id).toList();
      for (long id : ids.stream().filter(id -> DepotIds.segment(id) == 1).toList()) {
        for (long from : new long[] {id, id + 1}) {
          long expected = kept.stream().filter(k -> k >= from).findFirst().orElseThrow();
          assertThat(Items.readAll(queue, from).get(0).id()).isEqualTo(expected);
        }
      }
      assertThat(queue.stats().items()).isEqualTo(reads.size());
      assertThat(newSize).isPositive();
    }
  }

  @Test
  void rewriteRefusesTheActiveSegmentMissingSegmentsAndGrowth() throws Exception {
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      List<Long> ids = fill(queue, 200);
      int active = DepotIds.segment(ids.get(199));
      assertThatThrownBy(() -> queue.rewriteSegment(active, r -> r.buffer()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is being appended to; only full segments can be rewritten");
      assertThatThrownBy(() -> queue.rewriteSegment(999, r -> r.buffer()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("segment 999 does not exist in " + dir.toAbsolutePath());
      byte[] original = Files.readAllBytes(TestFiles.segment(dir, 0));
      assertThatThrownBy(() -> queue.rewriteSegment(0, r -> ByteBuffer.allocate(r.length() + 40)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("would move record 0:");
      assertThat(Files.readAllBytes(TestFiles.segment(dir, 0))).isEqualTo(original);
      assertThat(Files.list(dir).map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.endsWith(".rewrite"));
    }
  }

  @Test
  void aLeftoverRewriteFileIsDeletedOnOpen() throws Exception {
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      fill(queue, 100);
    }
    Files.write(dir.resolve("0000000000.seg.rewrite"), new byte[] {1, 2, 3});
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      assertThat(dir.resolve("0000000000.seg.rewrite")).doesNotExist();
      assertThat(Items.readAll(queue, 0)).hasSize(100);
    }
  }

  @Test
  void partialRecordsSurviveARewriteThatKeepsThem() throws Exception {
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      fill(queue, 10);
    }
    // a torn tail in segment 0, then more appends roll over to segment 1
    Path zero = TestFiles.segment(dir, 0);
    try (RandomAccessFile f = new RandomAccessFile(zero.toFile(), "rw")) {
      f.setLength(f.length() - 3);
    }
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      fill(queue, 100);
      assertThat(queue.stats().partialRecords()).isEqualTo(1);
      queue.rewriteSegment(0, RecordRewriter.keepIf(r -> true));
      List<Read> reads = Items.readAll(queue, 0);
      assertThat(reads.stream().filter(r -> !r.complete())).hasSize(1);
      assertThat(reads.get(9).complete()).isFalse();
      queue.rewriteSegment(0, RecordRewriter.keepIf(DepotRecord::complete));
      assertThat(queue.stats().partialRecords()).isZero();
      assertThat(queue.stats().items()).isEqualTo(109);
    }
  }

  @Test
  void deleteBeforeRemovesWholeSegmentsBelowTheIdButNeverTheActiveOne() throws Exception {
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      List<Long> ids = fill(queue, 300);
      long last = ids.get(299);
      assertThat(queue.deleteBefore(DepotIds.of(2, 100))).isEqualTo(2);
      assertThat(queue.segments().get(0).number()).isEqualTo(2);
      assertThat(Items.readAll(queue, 0).get(0).id()).isEqualTo(DepotIds.of(2, 16));
      assertThat(queue.deleteBefore(Long.MAX_VALUE)).isPositive();
      assertThat(queue.segments()).hasSize(1);
      assertThat(queue.segments().get(0).number()).isEqualTo(DepotIds.segment(last));
      assertThat(Items.readAll(queue, 0)).extracting(Read::id).contains(last);
      long next = queue.append(new byte[] {1});
      assertThat(next).isGreaterThan(last);
    }
  }

  @Test
  void retentionBytesKeepsTheQueueUnderTheLimitAsSegmentsRoll() throws Exception {
    try (DepotQueue queue =
        DepotQueue.builder(dir).segmentBytes(4096).retentionBytes(5 * 4096).build()) {
      List<Long> ids = fill(queue, 2000);
      List<DepotQueue.SegmentInfo> segments = queue.segments();
      long total = segments.stream().mapToLong(DepotQueue.SegmentInfo::bytes).sum();
      assertThat(total).isLessThanOrEqualTo(5 * 4096 + 4096);
      assertThat(segments.size()).isBetween(5, 6);
      List<Read> reads = Items.readAll(queue, 0);
      assertThat(reads.get(reads.size() - 1).id()).isEqualTo(ids.get(1999));
      // what is left is a contiguous tail of what was written
      int start = ids.indexOf(reads.get(0).id());
      assertThat(reads).extracting(Read::id).containsExactlyElementsOf(ids.subList(start, 2000));
    }
  }

  @Test
  void retentionByAgeDeletesSegmentsLastWrittenBeforeTheCutoffOnOpenAndOnDemand() throws Exception {
    Instant now = Instant.parse("2026-11-21T12:00:00Z");
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      fill(queue, 300);
    }
    List<Path> files;
    try (var list = Files.list(dir)) {
      files = list.filter(p -> p.toString().endsWith(".seg")).sorted().toList();
    }
    // segments 0 and 1 were last written three hours ago, the rest a minute ago
    for (int i = 0; i < files.size(); i++) {
      Duration age = i < 2 ? Duration.ofHours(3) : Duration.ofMinutes(1);
      Files.setLastModifiedTime(files.get(i), FileTime.from(now.minus(age)));
    }
    Function<Instant, DepotQueue> open =
        at ->
            DepotQueue.builder(dir)
                .segmentBytes(4096)
                .retention(Duration.ofHours(2))
                .clock(Clock.fixed(at, ZoneOffset.UTC))
                .build();
    try (DepotQueue queue = open.apply(now)) {
      assertThat(queue.segments()).hasSize(files.size() - 2);
      assertThat(queue.segments().get(0).number()).isEqualTo(2);
      assertThat(queue.applyRetention()).isZero();
    }
    try (DepotQueue queue = open.apply(now.plus(Duration.ofHours(5)))) {
      // everything is old now, but the segment being appended to stays
      assertThat(queue.segments()).hasSize(1);
      assertThat(queue.stats().items()).isPositive();
    }
  }
}
