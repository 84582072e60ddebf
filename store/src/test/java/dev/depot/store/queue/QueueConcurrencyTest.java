package dev.depot.store.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.store.queue.Items.Read;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueueConcurrencyTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void stopPool() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
  }

  /** Reads {@code count} items by tailing, returning their ids and indexes. */
  private static List<long[]> tail(DepotQueue queue, int count, long seed) throws Exception {
    List<long[]> got = new ArrayList<>();
    try (DepotCursor cursor = queue.stream()) {
      while (got.size() < count) {
        DepotRecord r = cursor.poll(WAIT);
        assertThat(r).as("record %d arrived in time", got.size()).isNotNull();
        assertThat(r.complete()).isTrue();
        byte[] item = r.item();
        long index = Items.indexOf(item);
        assertThat(item).isEqualTo(Items.item(seed, index, 300));
        got.add(new long[] {r.id(), index});
      }
    }
    return got;
  }

  @Test
  void tailingReadersInTheWritersProcessAndAnotherSeeEveryItemInOrder() throws Exception {
    int count = 30_000;
    try (DepotQueue queue =
        DepotQueue.builder(dir)
            .segmentBytes(64 << 10)
            .syncPolicy(SyncPolicy.interval(Duration.ofMillis(2)))
            .build()) {
      List<Future<List<long[]>>> readers = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        readers.add(pool.submit(() -> tail(queue, count, 5)));
      }
      // A read-only open stands for another process: it sees what the writer wrote out.
      DepotQueue other = DepotQueue.builder(dir).readOnly(true).build();
      Future<List<long[]>> otherReader = pool.submit(() -> tail(other, count, 5));
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ids.add(queue.append(Items.item(5, i, 300)));
      }
      for (Future<List<long[]>> reader : readers) {
        List<long[]> got = reader.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        for (int i = 0; i < count; i++) {
          assertThat(got.get(i)[0]).isEqualTo(ids.get(i));
          assertThat(got.get(i)[1]).isEqualTo(i);
        }
      }
      List<long[]> got = otherReader.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(got).extracting(a -> a[0]).containsExactlyElementsOf(ids);
      other.close();
    }
  }

  @Test
  void appendsFromManyThreadsAreAllKeptWithEachThreadsOrder() throws Exception {
    int threads = 4;
    int perThread = 5_000;
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(32 << 10).build()) {
      List<Future<?>> writers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        writers.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < perThread; i++) {
                    ByteBuffer item = ByteBuffer.allocate(8).putInt(thread).putInt(i).flip();
                    if (i % 100 == 0) {
                      queue.appendAll(List.of(item.array()));
                      queue.sync();
                    } else {
                      queue.append(item);
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> w : writers) {
        w.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
      List<Read> reads = Items.readAll(queue, 0);
      assertThat(reads).hasSize(threads * perThread);
      int[] next = new int[threads];
      Set<Long> ids = new HashSet<>();
      for (Read r : reads) {
        ByteBuffer b = ByteBuffer.wrap(r.item());
        int thread = b.getInt();
        assertThat(b.getInt()).isEqualTo(next[thread]++);
        assertThat(ids.add(r.id())).isTrue();
      }
    }
  }

  @Test
  void pollWakesUpForAnAppendAndTimesOutWithoutOne() throws Exception {
    try (DepotQueue queue = DepotQueue.open(dir);
        DepotCursor cursor = queue.stream()) {
      assertThat(cursor.poll(Duration.ofMillis(20))).isNull();
      AtomicReference<Thread> reader = new AtomicReference<>();
      Future<Long> waiting =
          pool.submit(
              () -> {
                reader.set(Thread.currentThread());
                return cursor.poll(WAIT).id();
              });
      // The only timed wait in poll is the wait for data: the reader found nothing and sleeps.
      Await.until(
          "the reader to wait for data",
          WAIT,
          () -> reader.get() != null && reader.get().getState() == Thread.State.TIMED_WAITING);
      assertThat(waiting).isNotDone();
      long id = queue.append(new byte[] {1, 2, 3});
      assertThat(waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(id);
    }
  }

  @Test
  void closingTheQueueStopsAWaitingReader() throws Exception {
    DepotQueue queue = DepotQueue.open(dir);
    DepotCursor cursor = queue.stream();
    Future<DepotRecord> waiting = pool.submit(() -> cursor.poll(WAIT));
    Await.until("the reader to wait", WAIT, () -> !waiting.isDone() && queue.lastId() == -1);
    queue.close();
    assertThat(
            org.assertj.core.api.Assertions.catchThrowable(
                () -> waiting.get(WAIT.toSeconds(), TimeUnit.SECONDS)))
        .hasCauseInstanceOf(IllegalStateException.class);
  }

  @Test
  void deletingAndRewritingSegmentsDoesNotBreakOpenReaders() throws Exception {
    try (DepotQueue queue = DepotQueue.builder(dir).segmentBytes(4096).build()) {
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        ids.add(queue.append(Items.item(9, i, 60)));
      }
      int segments = queue.segments().size();
      assertThat(segments).isGreaterThan(3);

      DepotCursor early = queue.stream(); // will be inside segment 0 when it is deleted
      assertThat(early.next().id()).isEqualTo(ids.get(0));
      DepotCursor inRewritten = queue.stream(DepotIds.of(2, 0)); // inside segment 2
      long first2 = inRewritten.next().id(); // the record is a view: keep the id, not the record
      assertThat(DepotIds.segment(first2)).isEqualTo(2);

      assertThat(queue.deleteBefore(DepotIds.of(2, 0))).isEqualTo(2);
      queue.rewriteSegment(2, RecordRewriter.keepIf(r -> Items.indexOf(r.item()) % 2 == 0));

      // The early reader finishes segment 0 from its open file, then skips the deleted segment 1.
      List<Long> earlyIds = new ArrayList<>();
      DepotRecord r;
      while ((r = early.next()) != null) {
        earlyIds.add(r.id());
      }
      long inSegment0 = ids.stream().filter(id -> DepotIds.segment(id) == 0).count();
      assertThat(earlyIds.subList(0, (int) inSegment0 - 1))
          .allMatch(id -> DepotIds.segment(id) == 0);
      assertThat(earlyIds).noneMatch(id -> DepotIds.segment(id) == 1);
      // ...and reads the rewritten segment 2 as it is now: even items only
      assertThat(earlyIds.stream().filter(id -> DepotIds.segment(id) == 2))
          .isNotEmpty()
          .allMatch(id -> Items.indexOf(itemOf(ids, id)) % 2 == 0);

      // The reader inside segment 2 finishes it with the old content: every item, same ids.
      List<Long> rest = new ArrayList<>();
      while ((r = inRewritten.next()) != null) {
        if (DepotIds.segment(r.id()) == 2) {
          rest.add(r.id());
        }
      }
      assertThat(rest)
          .containsExactlyElementsOf(
              ids.stream().filter(id -> DepotIds.segment(id) == 2 && id > first2).toList());
      early.close();
      inRewritten.close();
    }
  }

  private static byte[] itemOf(List<Long> ids, long id) {
    return Items.item(9, ids.indexOf(id), 60);
  }
}
