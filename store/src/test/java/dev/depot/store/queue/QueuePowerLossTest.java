package dev.depot.store.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.testing.powerloss.CrashPoints;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The depot queue under power cuts (a {@link dev.depot.testing.powerloss.PowerLossFileSystem}), at
 * every file operation of a workload that appends, syncs, rolls segments, deletes segments,
 * rewrites one, reopens (recovering the tail) and applies retention: after each cut, every item
 * appended before the last returned {@code sync()} is there and intact (unless its deletion was
 * asked for), nothing appears that was not appended, and the queue opens for writing.
 */
class QueuePowerLossTest {
  private static final long SEED = 14;
  private static final int MAX_LENGTH = 100;

  @TempDir Path temp;

  /** What the workload was promised, recorded as soon as each call returned (or was made). */
  static final class Promises {
    final Map<Long, byte[]> appended = new HashMap<>(); // before the append call
    final Set<Long> synced = new HashSet<>(); // after sync() returned
    final Set<Long> mayVanish = new HashSet<>(); // before a delete or retention was asked for
    final Set<Long> mayBeRewritten = new HashSet<>(); // before a rewrite was asked for
    long next;
  }

  private static byte[] item(long index) {
    return Items.item(SEED, index, MAX_LENGTH);
  }

  private static DepotQueue.Builder builder(Path q) {
    return DepotQueue.builder(q)
        .segmentBytes(4096)
        .writeBufferBytes(4096)
        .syncPolicy(SyncPolicy.none());
  }

  private static long append(DepotQueue queue, Promises p, Map<Long, Long> ids) {
    long index = p.next++;
    p.appended.put(index, item(index));
    ids.put(index, queue.append(item(index)));
    return index;
  }

  private static void sync(DepotQueue queue, Promises p) {
    queue.sync();
    for (long i = 0; i < p.next; i++) {
      p.synced.add(i);
    }
  }

  private static final CrashPoints.Scenario<Promises> WORKLOAD =
      new CrashPoints.Scenario<>() {
        @Override
        public void run(Path root, Promises p) {
          Path q = root.resolve("q");
          Map<Long, Long> ids = new HashMap<>();
          try (DepotQueue queue = builder(q).build()) {
            for (int i = 0; i < 120; i++) {
              append(queue, p, ids);
              if (i % 10 == 9) {
                sync(queue, p);
              }
            }
            // deleteBefore: whole segments below the one holding item 40
            long cut = ids.get(40L);
            for (long i = 0; i < p.next; i++) {
              if (DepotIds.segment(ids.get(i)) < DepotIds.segment(cut)) {
                p.mayVanish.add(i);
              }
            }
            queue.deleteBefore(cut);
            // rewrite the oldest full segment left: drop some items, shrink others
            int segment = DepotIds.segment(cut);
            for (long i = 0; i < p.next; i++) {
              if (DepotIds.segment(ids.get(i)) == segment) {
                p.mayBeRewritten.add(i);
              }
            }
            queue.rewriteSegment(segment, QueuePowerLossTest::rewrite);
            for (int i = 0; i < 25; i++) {
              append(queue, p, ids);
              if (i % 7 == 6) {
                sync(queue, p);
              }
            }
          }
          for (long i = 0; i < p.next; i++) {
            p.synced.add(i); // close() syncs
          }
          // reopen (recovery), append a little without syncing, then the crash may come
          try (DepotQueue queue = builder(q).build()) {
            append(queue, p, ids);
            sync(queue, p);
            for (int i = 0; i < 3; i++) {
              append(queue, p, ids);
            }
            queue.sync();
            sync(queue, p);
            int last = DepotIds.segment(queue.lastId());
            for (long i = 0; i < p.next; i++) {
              if (DepotIds.segment(ids.get(i)) < last - 1) {
                p.mayVanish.add(i);
              }
            }
          }
          // retention on open: keeps at least the last two segments (each at most 4096 bytes)
          try (DepotQueue queue = builder(q).retentionBytes(2 * 4096).build()) {
            append(queue, p, ids);
            sync(queue, p);
          }
        }

        @Override
        public void check(Path root, Promises p) {
          Path q = root.resolve("q");
          try (DepotQueue queue = builder(q).build()) {
            Set<Long> seen = new HashSet<>();
            long previous = -1;
            for (Items.Read read : Items.readAll(queue, 0)) {
              if (!read.complete()) {
                continue; // a record the crash cut short: never data
              }
              assertThat(read.item().length)
                  .as("record %s", DepotIds.toString(read.id()))
                  .isGreaterThanOrEqualTo(8);
              long index = Items.indexOf(read.item());
              byte[] expected = p.appended.get(index);
              assertThat(expected)
                  .as(
                      "record %s holds item %d, never appended",
                      DepotIds.toString(read.id()), index)
                  .isNotNull();
              boolean original = Arrays.equals(read.item(), expected);
              boolean rewritten =
                  p.mayBeRewritten.contains(index)
                      && Arrays.equals(read.item(), Arrays.copyOf(expected, 8))
                      && index % 3 == 1;
              assertThat(original || rewritten)
                  .as("item %d at %s is intact", index, DepotIds.toString(read.id()))
                  .isTrue();
              assertThat(seen.add(index)).as("item %d appears once", index).isTrue();
              assertThat(index).as("items in append order").isGreaterThan(previous);
              previous = index;
            }
            for (long index : p.synced) {
              boolean droppedByRewrite = p.mayBeRewritten.contains(index) && index % 3 == 0;
              if (!p.mayVanish.contains(index) && !droppedByRewrite) {
                assertThat(seen).as("synced item %d", index).contains(index);
              }
            }
            // the queue takes appends and keeps them
            long id = queue.append(new byte[] {1, 2, 3});
            queue.sync();
            assertThat(queue.syncedId()).isEqualTo(id);
          }
          try (DepotQueue reader = DepotQueue.builder(q).readOnly(true).build()) {
            List<Items.Read> all = Items.readAll(reader, 0);
            assertThat(all.get(all.size() - 1).item()).containsExactly(1, 2, 3);
          }
        }
      };

  private static ByteBuffer rewrite(DepotRecord record) {
    long index = Items.indexOf(record.item());
    if (index % 3 == 0) {
      return null;
    }
    if (index % 3 == 1) {
      return ByteBuffer.wrap(Arrays.copyOf(record.item(), 8));
    }
    return record.buffer();
  }

  @Test
  void everySyncedItemSurvivesAPowerCutAtEveryOperation() throws Exception {
    CrashPoints.Result result =
        CrashPoints.builder("depot queue", temp)
            .maxPoints(2_000)
            .seed(SEED)
            .run(Promises::new, WORKLOAD);
    System.err.println("depot queue power-loss: " + result);
    assertThat(result.points()).isGreaterThan(50);
  }
}
