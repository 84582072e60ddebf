package dev.depot.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.store.timekey.TimeKey;
import dev.depot.testing.powerloss.CrashPoints;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Streams store's files under power cuts (a {@link
 * dev.depot.testing.powerloss.PowerLossFileSystem}): its time-key set and its {@code
 * changelog.offsets}, at every file operation of a store that puts keys, commits (checkpointing
 * each time), closes, reopens and goes on. After each cut the store opens, reports a committed
 * offset at least as far as the last commit that returned, and holds every key of the changelog
 * below the offset it reports (so Streams' replay from there misses nothing), and no key never put.
 * On each reopen the workload replays the keys after the reported offset, as Streams restores the
 * changelog from there.
 */
class TimeKeyStorePowerLossTest {
  private static final TopicPartition CHANGELOG = new TopicPartition("app-dedup-changelog", 3);
  private static final long T0 = 1_700_000_000_000_000L;

  @TempDir Path temp;

  /** What the workload was promised. */
  static final class Promises {
    long put = 0; // keys 0..put-1 were put (key r is changelog offset r)
    long committed = -1; // the offset of the last commit that returned
  }

  /** Key r: changelog record r; 40 devices, 5 ms apart, over several 10-minute segments. */
  private static Bytes key(long r) {
    return Bytes.wrap(TimeKey.of(T0 + r * 5_000_000L, 7, (int) (r % 40)).toBytes());
  }

  private TimeKeyStore open(Path stateDir) {
    TimeKeyStore store =
        new TimeKeyStore("dedup", Duration.ofMinutes(10), 1 << 20, null, Duration.ZERO)
            .inStateDir(stateDir);
    Properties props = new Properties();
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, "at_least_once");
    MockProcessorContext<Object, Object> context =
        new MockProcessorContext<>(props, new TaskId(0, 3), temp.toFile());
    store.init(context.getStateStoreContext(), store);
    return store;
  }

  private static void put(TimeKeyStore store, Promises p, int count) {
    for (int i = 0; i < count; i++) {
      store.putIfAbsent(key(p.put), new byte[0]);
      p.put++;
      if (p.put % 6 == 0) {
        store.commit(Map.of(CHANGELOG, p.put));
        p.committed = p.put;
      }
    }
  }

  /**
   * What Streams does on open: restores the changelog written after the offset the store reports
   * (here by putting those keys again).
   */
  private static void replay(TimeKeyStore store, Promises p) {
    Long reported = store.committedOffset(CHANGELOG);
    for (long r = reported == null ? 0 : reported; r < p.put; r++) {
      store.putIfAbsent(key(r), new byte[0]);
    }
  }

  private final CrashPoints.Scenario<Promises> workload =
      new CrashPoints.Scenario<>() {
        @Override
        public void run(Path root, Promises p) {
          TimeKeyStore store = open(root);
          put(store, p, 40);
          store.close();
          TimeKeyStore again = open(root);
          replay(again, p);
          put(again, p, 30);
          again.close();
        }

        @Override
        public void check(Path root, Promises p) {
          TimeKeyStore store = open(root);
          try {
            Long reported = store.committedOffset(CHANGELOG);
            long committed = reported == null ? 0 : reported;
            assertThat(committed)
                .as("reported committed offset")
                .isGreaterThanOrEqualTo(p.committed);
            assertThat(committed).isLessThanOrEqualTo(p.put);
            for (long r = 0; r < committed; r++) {
              assertThat(store.get(key(r))).as("key of changelog offset %d", r).isNotNull();
            }
            assertThat(store.get(key(p.put + 1000))).isNull();
            assertThat(store.approximateNumEntries()).isLessThanOrEqualTo(p.put);
          } finally {
            store.close();
          }
        }
      };

  @Test
  void theStoreReportsOnlyOffsetsWhoseKeysAreOnDisk() throws Exception {
    CrashPoints.Result result =
        CrashPoints.builder("time-key store and changelog.offsets", temp.resolve("disks"))
            .maxPoints(400)
            .seed(5)
            .run(Promises::new, workload);
    System.err.println("streams store power-loss: " + result);
    assertThat(result.points()).isGreaterThan(50);
  }
}
