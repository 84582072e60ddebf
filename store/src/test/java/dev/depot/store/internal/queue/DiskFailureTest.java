package dev.depot.store.internal.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.store.DepotException;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.store.queue.SyncPolicy;
import dev.depot.testing.TestFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A disk that fills up or fails to fsync: clear errors naming the file, nothing synced lost. */
class DiskFailureTest {
  @TempDir Path dir;

  private QueueEngine open(SegmentChannels channels) {
    return QueueEngine.open(
        new QueueConfig(
            dir,
            8192,
            4096,
            4096,
            SyncPolicy.none(),
            false,
            -1,
            -1,
            Clock.systemUTC(),
            QueueConfig.DEFAULT_INDEX_INTERVAL_BYTES),
        channels);
  }

  private static byte[] item(int i) {
    byte[] item = new byte[100];
    Arrays.fill(item, (byte) i);
    return item;
  }

  @Test
  void aFullDiskFailsTheAppendNamingTheFileAndLosesNothingSynced() {
    FailingChannels disk = new FailingChannels(20_000);
    Map<Long, byte[]> synced = new LinkedHashMap<>();
    Map<Long, byte[]> pending = new LinkedHashMap<>();
    DepotException failure = null;
    QueueEngine queue = open(disk);
    try {
      for (int i = 0; i < 1000; i++) {
        pending.put(queue.append(item(i)), item(i));
        if (i % 10 == 9) {
          queue.sync();
          synced.putAll(pending);
          pending.clear();
        }
      }
    } catch (DepotException e) {
      failure = e;
    }
    assertThat(failure).as("the disk filled up").isNotNull();
    assertThat(failure.getMessage())
        .matches("cannot (write to .*/\\d{10}\\.seg|sync .*): .*No space left on device");
    assertThat(synced).isNotEmpty();
    assertThatThrownBy(() -> queue.append(item(1)))
        .isInstanceOf(DepotException.class)
        .hasMessageContaining("failed earlier and must be reopened")
        .hasMessageContaining("No space left on device");
    assertThatThrownBy(queue::sync).hasMessageContaining("failed earlier and must be reopened");
    queue.close(); // releases the lock without trying to sync

    try (DepotQueue reopened = DepotQueue.open(dir)) {
      Map<Long, byte[]> found = new LinkedHashMap<>();
      try (DepotCursor cursor = reopened.stream()) {
        DepotRecord r;
        while ((r = cursor.next()) != null) {
          if (r.complete()) {
            found.put(r.id(), r.item());
          }
        }
      }
      for (Map.Entry<Long, byte[]> e : synced.entrySet()) {
        assertThat(found.get(e.getKey())).isEqualTo(e.getValue());
      }
      long id = reopened.append(item(7));
      assertThat(id)
          .isGreaterThan(synced.keySet().stream().mapToLong(Long::longValue).max().orElseThrow());
    }
  }

  @Test
  void aFailedFsyncFailsSyncAndRefusesLaterWrites() {
    FailingChannels disk = new FailingChannels(Long.MAX_VALUE);
    QueueEngine queue = open(disk);
    queue.append(item(1));
    queue.sync();
    long synced = queue.syncedId();
    queue.append(item(2));
    disk.failForce.set(true);
    assertThatThrownBy(queue::sync)
        .isInstanceOf(DepotException.class)
        .hasMessage(
            "cannot sync " + dir.toAbsolutePath() + ": java.io.IOException: Input/output error");
    assertThat(queue.syncedId()).isEqualTo(synced);
    assertThatThrownBy(() -> queue.append(item(3))).hasMessageContaining("must be reopened");
    queue.close();
  }

  @Test
  void aChannelThatFailsToCloseStillReleasesTheDirectoryLock() {
    FailingChannels disk = new FailingChannels(Long.MAX_VALUE);
    QueueEngine queue = open(disk);
    long id = queue.append(item(1));
    disk.failClose.set(true);
    assertThatThrownBy(queue::close)
        .isInstanceOf(DepotException.class)
        .hasMessage(
            "cannot close " + dir.toAbsolutePath() + ": java.io.IOException: Input/output error");
    try (QueueEngine reopened = open(SegmentChannels.FILES)) {
      assertThat(reopened.lastId()).isEqualTo(id);
    }
  }

  @Test
  void indexFilesThatCannotBeWrittenCostOnlyScansAndAreRebuiltLater() throws Exception {
    FailingChannels disk = new FailingChannels(Long.MAX_VALUE);
    disk.failIndexes.set(true);
    List<Long> ids = new ArrayList<>();
    try (QueueEngine queue = open(disk)) {
      for (int i = 0; i < 400; i++) {
        ids.add(queue.appendTimed(item(i), i, 1000L * i)); // rolls, each failing to write an index
      }
      queue.rewriteSegment(1, DepotRecord::buffer);
      for (int i = 0; i < 400; i += 7) {
        try (DepotCursor cursor = queue.streamFromTimestamp(1000L * i - 1)) {
          assertThat(cursor.next().id()).isEqualTo(ids.get(i));
        }
      }
    }
    try (var files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.contains(".idx"));
    }
    disk.failIndexes.set(false);
    try (QueueEngine queue = open(disk)) {
      for (int i = 0; i < 400; i += 7) {
        try (DepotCursor cursor = queue.streamFromTag(i)) {
          assertThat(cursor.next().id()).isEqualTo(ids.get(i));
        }
      }
      assertThat(TestFiles.segment(dir, 1).resolveSibling("0000000001.idx")).exists();
    }
  }

  @Test
  void aRewriteOnAFullDiskFailsNamingTheSegmentAndLeavesItAsItWas() throws Exception {
    FailingChannels disk = new FailingChannels(Long.MAX_VALUE);
    try (QueueEngine queue = open(disk)) {
      for (int i = 0; i < 200; i++) {
        queue.append(item(i));
      }
      queue.sync();
      Path first = TestFiles.segment(dir, 0).toAbsolutePath();
      byte[] before = Files.readAllBytes(first);
      disk.budget.set(100);
      assertThatThrownBy(() -> queue.rewriteSegment(0, DepotRecord::buffer))
          .isInstanceOf(DepotException.class)
          .hasMessage("cannot rewrite " + first + ": java.io.IOException: No space left on device");
      assertThat(Files.readAllBytes(first)).isEqualTo(before);
      try (var files = Files.list(dir)) {
        assertThat(files.map(f -> f.getFileName().toString()))
            .noneMatch(n -> n.endsWith("rewrite"));
      }
    }
  }
}
