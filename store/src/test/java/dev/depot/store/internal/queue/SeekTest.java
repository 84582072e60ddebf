package dev.depot.store.internal.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.store.queue.Items;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeks by id, timestamp and tag: every record and the gaps between them, against an oracle of what
 * was appended; that a seek reads one index interval, not a segment; and that missing, truncated,
 * damaged and stale index files never change what a seek returns.
 */
class SeekTest {
  private static final long SEED = 77;
  private static final int INTERVAL = 256;
  private static final long BASE = 1_764_504_000_000L;

  @TempDir Path dir;

  /** One appended record as the oracle knows it. */
  record Written(long id, long tag, long timestamp, byte[] item) {}

  private final List<Written> written = new ArrayList<>();

  private DepotQueue.Builder builder() {
    return DepotQueue.builder(dir)
        .segmentBytes(8192)
        .indexIntervalBytes(INTERVAL)
        .readBufferBytes(4096);
  }

  private DepotQueue readOnly() {
    return builder().readOnly(true).build();
  }

  /**
   * Appends {@code n} records of 8 to 120 bytes: timestamps that jitter around a rising clock (some
   * equal), tags that rise by 2 (Kafka offsets with gaps), and every 7th record without a
   * timestamp, every 11th without a tag either.
   */
  private void appendRecords(DepotQueue queue, int n) {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = written.size(), end = written.size() + n; i < end; i++) {
      byte[] item = Items.item(SEED, i, 120);
      long tag = 2L * i;
      long timestamp = BASE + 10L * i + random.nextInt(-25, 26);
      long id;
      if (i % 11 == 0) {
        id = queue.append(item);
        tag = DepotRecord.NO_TAG;
        timestamp = DepotRecord.NO_TIMESTAMP;
      } else if (i % 7 == 0) {
        id = queue.append(item, tag);
        timestamp = DepotRecord.NO_TIMESTAMP;
      } else {
        id = queue.appendTimed(item, tag, timestamp);
      }
      written.add(new Written(id, tag, timestamp, item));
    }
  }

  private DepotQueue writeQueue(int n) {
    DepotQueue queue = builder().build();
    appendRecords(queue, n);
    return queue;
  }

  /** The index of the first written record a seek for {@code target} must return, or size. */
  private int expectedFirst(Function<Written, Long> field, long target, List<Written> records) {
    for (int i = 0; i < records.size(); i++) {
      long value = field.apply(records.get(i));
      if (value != Long.MIN_VALUE && value >= target) {
        return i;
      }
    }
    return records.size();
  }

  private int expectedFirstId(long id, List<Written> records) {
    for (int i = 0; i < records.size(); i++) {
      if (records.get(i).id() >= id) {
        return i;
      }
    }
    return records.size();
  }

  /**
   * Opens a cursor, checks its first records against the oracle from {@code first}, and returns the
   * frames it parsed to find the first one.
   */
  private long checkSeek(DepotCursor cursor, List<Written> records, int first, String what) {
    try (cursor) {
      DepotRecord record = cursor.next();
      long framesRead = ((QueueCursor) cursor).framesRead();
      if (first == records.size()) {
        assertThat(record).as(what).isNull();
        return framesRead;
      }
      for (int i = first; i < Math.min(first + 3, records.size()); i++) {
        if (i > first) {
          record = cursor.next();
        }
        Written expected = records.get(i);
        assertThat(record).as(what).isNotNull();
        assertThat(record.id()).as(what).isEqualTo(expected.id());
        assertThat(record.tag()).as(what).isEqualTo(expected.tag());
        assertThat(record.timestamp()).as(what).isEqualTo(expected.timestamp());
        assertThat(record.item()).as(what).isEqualTo(expected.item());
      }
      return framesRead;
    }
  }

  /**
   * Seeks to every id and the ids around it, and to every stored timestamp and tag, one below and
   * one above each, and before and after all of them. With {@code bounded}, checks that each seek
   * parsed at most one index interval of frames, plus one per segment it stepped over.
   */
  private void checkAllSeeks(DepotQueue queue, List<Written> records, boolean bounded) {
    long segments = queue.segments().size();
    // frames are at least 20 bytes: 12 bytes of header and 8 of item
    long bound = segments + INTERVAL / 20 + 4;
    List<Long> reads = new ArrayList<>();
    TreeSet<Long> ids = new TreeSet<>();
    for (Written w : records) {
      ids.add(w.id() - 1);
      ids.add(w.id());
      ids.add(w.id() + 1);
    }
    ids.add(0L);
    ids.add(records.get(records.size() - 1).id() + 1000);
    for (long id : ids) {
      reads.add(checkSeek(queue.stream(id), records, expectedFirstId(id, records), "id " + id));
    }
    TreeSet<Long> times = new TreeSet<>();
    TreeSet<Long> tags = new TreeSet<>();
    for (Written w : records) {
      if (w.timestamp() != DepotRecord.NO_TIMESTAMP) {
        times.addAll(List.of(w.timestamp() - 1, w.timestamp(), w.timestamp() + 1));
      }
      if (w.tag() != DepotRecord.NO_TAG) {
        tags.addAll(List.of(w.tag() - 1, w.tag(), w.tag() + 1));
      }
    }
    long lastTime = times.isEmpty() ? BASE : times.last(); // version 1 records have none
    times.addAll(List.of(Long.MIN_VALUE, 0L, BASE - 1000, lastTime + 1000, Long.MAX_VALUE));
    tags.addAll(List.of(Long.MIN_VALUE, -1L, tags.last() + 1000, Long.MAX_VALUE));
    for (long t : times) {
      reads.add(
          checkSeek(
              queue.streamFromTimestamp(t),
              records,
              expectedFirst(Written::timestamp, t, records),
              "timestamp " + t));
    }
    for (long t : tags) {
      reads.add(
          checkSeek(
              queue.streamFromTag(t),
              records,
              expectedFirst(Written::tag, t, records),
              "tag " + t));
    }
    if (bounded) {
      assertThat(reads).as("frames parsed per seek").allMatch(n -> n <= bound);
    }
  }

  @Test
  void seeksToEveryIdTimestampAndTagInTheWritersProcessReadingOneIndexInterval() {
    try (DepotQueue queue = writeQueue(600)) {
      assertThat(queue.segments()).hasSizeGreaterThan(5);
      checkAllSeeks(queue, written, true);
      // unflushed appends are seen too: the active segment's index lives in memory
      appendRecords(queue, 30);
      checkAllSeeks(queue, written, true);
    }
  }

  @Test
  void seeksFromAnotherProcessUseTheIndexFilesAndSeeTheLiveWritersNewRecords() {
    try (DepotQueue queue = writeQueue(600)) {
      queue.sync(); // also brings the active segment's index file up to date
      try (DepotQueue reader = readOnly()) {
        checkAllSeeks(reader, written, true);
      }
      appendRecords(queue, 100);
      queue.sync();
      try (DepotQueue reader = readOnly()) {
        checkAllSeeks(reader, written, true);
      }
    }
    try (DepotQueue reader = readOnly()) {
      checkAllSeeks(reader, written, true); // close wrote the last segment's index
    }
  }

  @Test
  void aTimestampSeekBeforeAnyMatchWaitsForTheFirstMatchingAppend() throws Exception {
    try (DepotQueue queue = writeQueue(100)) {
      long future = BASE + 1_000_000;
      try (DepotCursor cursor = queue.streamFromTimestamp(future)) {
        assertThat(cursor.next()).isNull();
        queue.appendTimed(new byte[] {1}, 5000, future - 1);
        assertThat(cursor.next()).isNull();
        long id = queue.appendTimed(new byte[] {2}, 5001, future);
        long after = queue.appendTimed(new byte[] {3}, 5002, BASE); // older, but after the start
        DepotRecord record = cursor.poll(java.time.Duration.ofSeconds(10));
        assertThat(record.id()).isEqualTo(id);
        assertThat(cursor.next().id()).isEqualTo(after);
      }
    }
  }

  @Test
  void seeksRaceAppendsAndRollsInTheWritersProcess() throws Exception {
    int n = 3000;
    long[] ids = new long[n];
    AtomicInteger appended = new AtomicInteger();
    try (DepotQueue queue = builder().build()) {
      Thread writer =
          new Thread(
              () -> {
                for (int i = 0; i < n; i++) {
                  ids[i] = queue.appendTimed(Items.item(SEED, i, 60), i, BASE + i);
                  appended.set(i + 1); // publishes ids[i]
                }
              });
      writer.start();
      SplittableRandom random = new SplittableRandom(SEED);
      int seeks = 0;
      while (writer.isAlive() || seeks < 300) {
        int known = appended.get();
        if (known < 2) {
          continue;
        }
        int k = random.nextInt(known - 1);
        try (DepotCursor cursor = queue.streamFromTimestamp(BASE + k)) {
          assertThat(cursor.next().tag()).isEqualTo(k);
        }
        try (DepotCursor cursor = queue.streamFromTag(k)) {
          assertThat(cursor.next().id()).isEqualTo(ids[k]);
        }
        try (DepotCursor cursor = queue.stream(ids[k] + 1)) {
          assertThat(cursor.next().tag()).isEqualTo(k + 1);
        }
        seeks++;
      }
      writer.join();
      assertThat(queue.segments().size()).isGreaterThan(10);
    }
  }

  private Path indexFile(int segment) {
    return dir.resolve(SegmentFormat.indexFileName(segment));
  }

  @Test
  void deletedIndexFilesAreScannedAroundAndRebuiltByTheWriter() throws IOException {
    writeQueue(600).close();
    int segments;
    try (DepotQueue reader = readOnly()) {
      segments = reader.segments().size();
    }
    for (int s = 0; s < segments; s++) {
      assertThat(indexFile(s)).exists();
      Files.delete(indexFile(s));
    }
    try (DepotQueue reader = readOnly()) {
      checkAllSeeks(reader, written, false);
    }
    for (int s = 0; s < segments; s++) {
      assertThat(indexFile(s)).as("a read-only queue never writes").doesNotExist();
    }
    try (DepotQueue queue = builder().build()) {
      checkAllSeeks(queue, written, false); // rebuilds on the first seek into each segment
      for (int s = 0; s < segments - 1; s++) {
        assertThat(indexFile(s)).exists();
      }
      checkAllSeeks(queue, written, true);
    }
  }

  @Test
  void truncatedIndexFilesGiveTheSameSeeksAndTheWriterRebuildsThem() throws IOException {
    writeQueue(600).close();
    long full = Files.size(indexFile(1));
    try (var channel = Files.newByteChannel(indexFile(1), StandardOpenOption.WRITE)) {
      channel.truncate(full / 2); // cut in the middle of an entry, or between two
    }
    try (var channel = Files.newByteChannel(indexFile(2), StandardOpenOption.WRITE)) {
      channel.truncate(SegmentIndex.HEADER_BYTES + 2 * SegmentIndex.ENTRY_BYTES);
    }
    try (var channel = Files.newByteChannel(indexFile(3), StandardOpenOption.WRITE)) {
      channel.truncate(5); // not even a header
    }
    try (DepotQueue reader = readOnly()) {
      checkAllSeeks(reader, written, false);
    }
    try (DepotQueue queue = builder().build()) {
      checkAllSeeks(queue, written, false);
      assertThat(Files.size(indexFile(1))).isEqualTo(full);
      checkAllSeeks(queue, written, true);
    }
  }

  /** Overwrites the entry at {@code entry} with a valid CRC over {@code mutate}'s values. */
  private void rewriteEntry(int segment, int entry, java.util.function.Consumer<ByteBuffer> mutate)
      throws IOException {
    Path file = indexFile(segment);
    byte[] bytes = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int at = SegmentIndex.HEADER_BYTES + entry * SegmentIndex.ENTRY_BYTES;
    mutate.accept(buf.slice(at, SegmentIndex.ENTRY_BYTES).order(ByteOrder.LITTLE_ENDIAN));
    CRC32C crc = new CRC32C();
    crc.update(bytes, at, 24);
    buf.putInt(at + 24, (int) crc.getValue());
    Files.write(file, bytes);
  }

  @Test
  void damagedAndStaleIndexEntriesAreCaughtByTheFrameCheckAndNeverChangeASeek() throws IOException {
    writeQueue(600).close();
    // flipped bits: the entry's CRC fails
    byte[] one = Files.readAllBytes(indexFile(1));
    one[SegmentIndex.HEADER_BYTES + 3 * SegmentIndex.ENTRY_BYTES + 2] ^= 0x10;
    Files.write(indexFile(1), one);
    // a valid CRC over positions that are not a frame start
    for (int e = 0; e < 20; e++) {
      rewriteEntry(2, e, b -> b.putInt(0, b.getInt(0) + 1).putInt(4, b.getInt(4) + 1));
    }
    // the index of another segment
    Files.copy(indexFile(1), indexFile(3), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    // zeros
    Files.write(indexFile(4), new byte[(int) Files.size(indexFile(4))]);
    try (DepotQueue reader = readOnly()) {
      checkAllSeeks(reader, written, false);
    }
    try (DepotQueue queue = builder().build()) {
      checkAllSeeks(queue, written, false);
      checkAllSeeks(queue, written, true); // all rebuilt
    }
  }

  /**
   * Makes a version 1 queue: segments written with records of types 0 to 2 only, their headers set
   * back to version 1, and no index files (version 1 had none).
   */
  private void makeVersionOne(int n) throws IOException {
    try (DepotQueue queue = builder().build()) {
      for (int i = 0; i < n; i++) {
        byte[] item = Items.item(SEED, i, 120);
        long id = i % 5 == 0 ? queue.append(item) : queue.append(item, 3L * i);
        written.add(
            new Written(
                id, i % 5 == 0 ? DepotRecord.NO_TAG : 3L * i, DepotRecord.NO_TIMESTAMP, item));
      }
    }
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        String name = file.getFileName().toString();
        if (name.endsWith(".idx")) {
          Files.delete(file);
        } else if (name.endsWith(".seg")) {
          byte[] bytes = Files.readAllBytes(file);
          bytes[4] = 1;
          CRC32C crc = new CRC32C();
          crc.update(bytes, 0, 12);
          ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(12, (int) crc.getValue());
          Files.write(file, bytes);
        }
      }
    }
  }

  @Test
  void versionOneQueuesSeekByIdAndTagGainIndexesAndTakeTimedRecordsInANewSegment()
      throws IOException {
    makeVersionOne(500);
    try (DepotQueue reader = readOnly()) {
      assertThat(reader.segments()).hasSizeGreaterThan(4);
      checkAllSeeks(reader, written, false);
    }
    try (DepotQueue queue = builder().build()) {
      checkAllSeeks(queue, written, false); // rebuilds the indexes of the full segments
      checkAllSeeks(queue, written, true);
      int lastV1 = queue.segments().size() - 1;
      appendRecords(queue, 200); // timed records: a version 2 segment starts
      assertThat(Files.readAllBytes(dir.resolve(SegmentFormat.fileName(lastV1)))[4])
          .isEqualTo((byte) 1);
      assertThat(Files.readAllBytes(dir.resolve(SegmentFormat.fileName(lastV1 + 1)))[4])
          .isEqualTo((byte) 2);
      checkAllSeeks(queue, written, true);
    }
    try (DepotQueue reader = readOnly()) {
      checkAllSeeks(reader, written, true);
    }
  }

  @Test
  void retentionDeleteBeforeAndRewritesKeepTheIndexesTrue() throws IOException {
    try (DepotQueue queue = writeQueue(600)) {
      int deleted = queue.deleteBefore(DepotIds.of(2, 0));
      assertThat(deleted).isEqualTo(2);
      assertThat(indexFile(0)).doesNotExist();
      assertThat(indexFile(1)).doesNotExist();
      written.removeIf(w -> DepotIds.segment(w.id()) < 2);
      // drop every record whose index is odd, and shorten the others: frames move, ids stay
      for (int s = 2; s < 5; s++) {
        queue.rewriteSegment(
            s,
            r -> {
              long i = Items.indexOf(r.item());
              return i % 2 == 1 ? null : ByteBuffer.wrap(r.item(), 0, 8).slice();
            });
      }
      List<Written> after = new ArrayList<>();
      for (Written w : written) {
        long i = Items.indexOf(w.item());
        if (DepotIds.segment(w.id()) >= 2 && DepotIds.segment(w.id()) < 5) {
          if (i % 2 == 0) {
            after.add(
                new Written(w.id(), w.tag(), w.timestamp(), java.util.Arrays.copyOf(w.item(), 8)));
          }
        } else {
          after.add(w);
        }
      }
      written.clear();
      written.addAll(after);
      checkAllSeeks(queue, written, true);
    }
    try (DepotQueue reader = readOnly()) {
      checkAllSeeks(reader, written, true);
    }
  }

  @Test
  void corruptAndPartialRecordsAreSteppedOverOrReportedAndSeeksStillLand() throws IOException {
    writeQueue(600).close();
    // damage one record's payload in segment 2 (its length stays intact) and tear the tail of
    // the last segment in the middle of its last record
    Written victim =
        written.stream().filter(w -> DepotIds.segment(w.id()) == 2).skip(10).findFirst().get();
    Path seg2 = dir.resolve(SegmentFormat.fileName(2));
    byte[] bytes = Files.readAllBytes(seg2);
    bytes[(int) DepotIds.position(victim.id()) + 30] ^= 0x55;
    Files.write(seg2, bytes);
    Written last = written.get(written.size() - 1);
    Path lastSegment = dir.resolve(SegmentFormat.fileName(DepotIds.segment(last.id())));
    try (var channel = Files.newByteChannel(lastSegment, StandardOpenOption.WRITE)) {
      channel.truncate(DepotIds.position(last.id()) + 20);
    }
    List<Written> intact = new ArrayList<>(written);
    intact.remove(victim);
    intact.remove(last);
    for (boolean writer : new boolean[] {false, true}) {
      try (DepotQueue queue = writer ? builder().build() : readOnly()) {
        for (Written target : written) {
          for (long delta = -1; delta <= 1; delta++) { // before, equal to and after each
            long id = target.id() + delta;
            checkLanding(queue.stream(id), intact, expectedFirstId(id, intact));
            if (target.timestamp() != DepotRecord.NO_TIMESTAMP) {
              long t = target.timestamp() + delta;
              checkLanding(
                  queue.streamFromTimestamp(t),
                  intact,
                  expectedFirst(Written::timestamp, t, intact));
            }
            if (target.tag() != DepotRecord.NO_TAG) {
              long t = target.tag() + delta;
              checkLanding(queue.streamFromTag(t), intact, expectedFirst(Written::tag, t, intact));
            }
          }
        }
      }
    }
  }

  /**
   * The first complete record a cursor returns, stepping over corruption it reports, is the
   * expected one; a partial record is returned only where the torn tail is.
   */
  private void checkLanding(DepotCursor cursor, List<Written> intact, int first) {
    try (cursor) {
      for (int errors = 0; errors < 3; errors++) {
        DepotRecord record;
        try {
          record = cursor.next();
        } catch (DepotCorruptionException e) {
          continue;
        }
        while (record != null && !record.complete()) {
          record = cursor.next();
        }
        if (first == intact.size()) {
          assertThat(record).isNull();
        } else {
          assertThat(record).isNotNull();
          assertThat(record.id()).isEqualTo(intact.get(first).id());
        }
        return;
      }
      throw new AssertionError("more than 2 corrupt records reported");
    }
  }
}
