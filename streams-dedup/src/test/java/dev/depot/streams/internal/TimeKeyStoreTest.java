package dev.depot.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.store.timekey.TimeKey;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.BatchingStateRestoreCallback;
import org.apache.kafka.streams.processor.CommitCallback;
import org.apache.kafka.streams.processor.StateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store on its own: files, offsets, restore and the parts of the store contract it refuses. */
class TimeKeyStoreTest {
  private static final TopicPartition CHANGELOG = new TopicPartition("app-dedup-changelog", 3);
  private static final long T0 = 1_700_000_000_000_000L;

  @TempDir Path stateDir;
  private final List<TimeKeyStore> opened = new ArrayList<>();
  private StateRestoreCallback restoreCallback;

  @AfterEach
  void closeAll() {
    opened.forEach(TimeKeyStore::close);
  }

  private TimeKeyStore open() {
    TimeKeyStore store = new TimeKeyStore("dedup", Duration.ofMinutes(10), 1 << 20, null);
    StateStoreContext mock =
        new MockProcessorContext<>(new Properties(), new TaskId(0, 3), stateDir.toFile())
            .getStateStoreContext();
    store.init(new CapturingContext(mock), store);
    opened.add(store);
    return store;
  }

  private static Bytes key(long micros, int user, int device) {
    return Bytes.wrap(TimeKey.of(micros, user, device).toBytes());
  }

  @Test
  void putIfAbsentAnswersNullForANewKeyOnly() {
    TimeKeyStore store = open();
    assertThat(store.putIfAbsent(key(T0, 1, 2), new byte[] {1})).isNull();
    assertThat(store.putIfAbsent(key(T0, 1, 2), new byte[] {1})).isNotNull();
    assertThat(store.putIfAbsent(key(T0, 2, 1), new byte[] {1})).isNull();
    assertThat(store.get(key(T0, 1, 2))).isNotNull();
    assertThat(store.get(key(T0 + 1, 1, 2))).isNull();
    assertThat(store.approximateNumEntries()).isEqualTo(2);
  }

  @Test
  void keysAndCommittedOffsetsSurviveACleanReopen() {
    TimeKeyStore store = open();
    store.put(key(T0, 1, 1), new byte[0]);
    store.put(key(T0 + 5, 1, 1), new byte[0]);
    store.commit(Map.of(CHANGELOG, 42L));
    store.close();

    TimeKeyStore again = open();
    assertThat(again.committedOffset(CHANGELOG)).isEqualTo(42L);
    assertThat(again.committedOffset(new TopicPartition("other", 0))).isNull();
    assertThat(again.putIfAbsent(key(T0, 1, 1), new byte[0])).isNotNull();
    assertThat(again.putIfAbsent(key(T0 + 5, 1, 1), new byte[0])).isNotNull();
    assertThat(again.putIfAbsent(key(T0 + 9, 1, 1), new byte[0])).isNull();
  }

  @Test
  void aStoreThatWasNotClosedReportsNoOffsetsSoStreamsRestoresFromTheStart() throws Exception {
    TimeKeyStore store = open();
    store.put(key(T0, 1, 1), new byte[0]);
    store.commit(Map.of(CHANGELOG, 7L));
    assertThat(stateDir.resolve("dedup").resolve(TimeKeyStore.OPEN_MARKER)).exists();
    store.close();
    assertThat(stateDir.resolve("dedup").resolve(TimeKeyStore.OPEN_MARKER)).doesNotExist();
    // what a killed process leaves behind: the marker of the open store
    Files.writeString(stateDir.resolve("dedup").resolve(TimeKeyStore.OPEN_MARKER), "open\n");

    TimeKeyStore again = open();
    assertThat(again.committedOffset(CHANGELOG)).isNull();
    again.commit(Map.of(CHANGELOG, 9L));
    again.close();
    assertThat(open().committedOffset(CHANGELOG)).isEqualTo(9L);
  }

  @Test
  void theRestoreCallbackInsertsAWholeBatchAndRefusesAKeyOfTheWrongSize() {
    TimeKeyStore store = open();
    assertThat(restoreCallback).isInstanceOf(BatchingStateRestoreCallback.class);
    BatchingStateRestoreCallback restore = (BatchingStateRestoreCallback) restoreCallback;
    List<KeyValue<byte[], byte[]>> batch = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      batch.add(KeyValue.pair(TimeKey.of(T0 + i * 1000L, 3, i % 4).toBytes(), new byte[0]));
    }
    restore.restoreAll(batch);
    assertThat(store.approximateNumEntries()).isEqualTo(1000);
    assertThat(store.putIfAbsent(key(T0 + 999_000L, 3, 3), new byte[0])).isNotNull();

    assertThatThrownBy(() -> restore.restoreAll(List.of(KeyValue.pair(new byte[3], new byte[0]))))
        .isInstanceOf(ProcessorStateException.class)
        .hasMessage("store dedup holds time keys of 16 bytes; got 3 bytes");
  }

  @Test
  void aTornOffsetsFileIsAnErrorNamingTheFile() throws Exception {
    TimeKeyStore store = open();
    store.commit(Map.of(CHANGELOG, 1L));
    store.close();
    Path offsets = stateDir.resolve("dedup").resolve(TimeKeyStore.OFFSETS_FILE);
    Files.writeString(offsets, "app-dedup-changelog-3=12x\n", StandardCharsets.UTF_8);
    assertThatThrownBy(this::open)
        .isInstanceOf(ProcessorStateException.class)
        .hasMessageContaining("cannot open time-key store dedup")
        .hasRootCauseInstanceOf(NumberFormatException.class)
        .cause()
        .hasMessageContaining(offsets.toString());
  }

  @Test
  void deletesScansAndWrongSizedKeysAreRefusedNamingTheStore() {
    TimeKeyStore store = open();
    assertThatThrownBy(() -> store.delete(key(T0, 1, 1)))
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("time-key store dedup cannot delete keys");
    assertThatThrownBy(() -> store.put(key(T0, 1, 1), null))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(store::all).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> store.range(key(T0, 0, 0), key(T0 + 1, 0, 0)))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> store.putIfAbsent(Bytes.wrap(new byte[8]), new byte[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("store dedup takes 16-byte time keys, got 8 bytes");
    assertThat(store.get(Bytes.wrap(new byte[8]))).isNull();
  }

  /** A mock context that keeps the restore callback the store registers. */
  private final class CapturingContext implements StateStoreContext {
    private final StateStoreContext delegate;

    CapturingContext(StateStoreContext delegate) {
      this.delegate = delegate;
    }

    @Override
    public void register(StateStore store, StateRestoreCallback callback) {
      restoreCallback = callback;
    }

    @Override
    public void register(StateStore store, StateRestoreCallback callback, CommitCallback commit) {
      restoreCallback = callback;
    }

    @Override
    public String applicationId() {
      return delegate.applicationId();
    }

    @Override
    public TaskId taskId() {
      return delegate.taskId();
    }

    @Override
    public Optional<RecordMetadata> recordMetadata() {
      return Optional.empty();
    }

    @Override
    public Serde<?> keySerde() {
      return delegate.keySerde();
    }

    @Override
    public Serde<?> valueSerde() {
      return delegate.valueSerde();
    }

    @Override
    public File stateDir() {
      return delegate.stateDir();
    }

    @Override
    public StreamsMetrics metrics() {
      return delegate.metrics();
    }

    @Override
    public Map<String, Object> appConfigs() {
      return delegate.appConfigs();
    }

    @Override
    public Map<String, Object> appConfigsWithPrefix(String prefix) {
      return delegate.appConfigsWithPrefix(prefix);
    }
  }
}
