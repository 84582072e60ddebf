package dev.depot.store.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.store.DepotCorruptionException;
import dev.depot.testing.TestFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A power cut that writes back the unsynced tail out of order leaves never-written (zero) sectors
 * before records that reached the disk. Found by {@link QueuePowerLossTest}: the writer used to
 * refuse to open such a queue (damage in the middle). It now treats everything from the hole on as
 * a torn tail (one partial record): all of it was unsynced, and the queue stays a prefix of what
 * was appended, which the sink needs to resume after its last record.
 */
class TailHoleRecoveryTest {
  private static final long SEED = 41;

  @TempDir Path dir;

  private List<Long> fill(int count) {
    List<Long> ids = new ArrayList<>();
    try (DepotQueue queue = DepotQueue.builder(dir).syncPolicy(SyncPolicy.none()).build()) {
      for (int i = 0; i < count; i++) {
        ids.add(queue.append(Items.item(SEED, i, 60)));
      }
    }
    return ids;
  }

  private void zero(long from, long to) throws IOException {
    try (FileChannel ch = FileChannel.open(TestFiles.segment(dir, 0), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate((int) (to - from)), from);
    }
  }

  @Test
  void writerTreatsAZeroSectorHoleAndWhatFollowsAsATornTail() throws IOException {
    List<Long> ids = fill(120);
    zero(1024, 2048);
    long lastBefore = -1;
    long firstAfter = -1;
    for (int i = 0; i < ids.size(); i++) {
      long pos = DepotIds.position(ids.get(i));
      long end = i + 1 < ids.size() ? DepotIds.position(ids.get(i + 1)) : Long.MAX_VALUE;
      if (end <= 1024) {
        lastBefore = i;
      }
      if (firstAfter < 0 && pos >= 2048) {
        firstAfter = i;
      }
    }
    assertThat(firstAfter).as("whole records after the hole").isGreaterThan(lastBefore + 1);
    long appended;
    try (DepotQueue queue = DepotQueue.open(dir)) {
      appended = queue.append(new byte[] {7});
      queue.sync();
    }
    try (DepotQueue queue = DepotQueue.builder(dir).readOnly(true).build()) {
      List<Items.Read> reads = Items.readAll(queue, 0); // fails on any corruption
      List<Long> indexes = new ArrayList<>();
      int partial = 0;
      for (Items.Read read : reads) {
        if (!read.complete()) {
          partial++;
        } else if (read.id() != appended) {
          assertThat(read.item()).isEqualTo(Items.item(SEED, Items.indexOf(read.item()), 60));
          indexes.add(Items.indexOf(read.item()));
        }
      }
      assertThat(partial).isEqualTo(1);
      List<Long> expected = new ArrayList<>();
      for (long i = 0; i <= lastBefore; i++) {
        expected.add(i);
      }
      assertThat(indexes).containsExactlyElementsOf(expected);
      assertThat(reads.get(reads.size() - 1).id()).isEqualTo(appended);
    }
  }

  @Test
  void writerStillRefusesDamageWithoutAZeroSector() throws IOException {
    List<Long> ids = fill(120);
    long pos = DepotIds.position(ids.get(60));
    try (FileChannel ch =
        FileChannel.open(
            TestFiles.segment(dir, 0), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer lengthField = ByteBuffer.allocate(1);
      ch.read(lengthField, pos + 6);
      lengthField.put(0, (byte) (lengthField.get(0) ^ 0x10)); // a bit flip in the length field
      ch.write(lengthField.flip(), pos + 6);
    }
    try (DepotQueue queue = DepotQueue.open(dir)) {
      throw new AssertionError("opened " + queue + " over damage in the middle");
    } catch (DepotCorruptionException e) {
      assertThat(e.position()).isEqualTo(pos);
    }
  }
}
