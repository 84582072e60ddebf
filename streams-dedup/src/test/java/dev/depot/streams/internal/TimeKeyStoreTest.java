package dev.depot.streams.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.store.timekey.TimeKey;
import dev.depot.store.timekey.TimeKeyStreamSet;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
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
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.QueryConfig;
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
  private CapturingContext context;
  private RecordMetadata current;

  @AfterEach
  void closeAll() {
    opened.forEach(TimeKeyStore::close);
  }

  private TimeKeyStore open() {
    return open(stateDir, "at_least_once", Duration.ofHours(1));
  }

  private TimeKeyStore open(Path dir, String guarantee, Duration checkpointInterval) {
    TimeKeyStore store =
        new TimeKeyStore("dedup", Duration.ofMinutes(10), 1 << 20, null, checkpointInterval);
    Properties props = new Properties();
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    StateStoreContext mock =
        new MockProcessorContext<>(props, new TaskId(0, 3), dir.toFile()).getStateStoreContext();
    context = new CapturingContext(mock);
    store.init(context, store);
    opened.add(store);
    return store;
  }

  /**
   * What a crash at this moment would leave: a copy of the files, taken while the store is open.
   */
  private Path crashCopy() throws IOException {
    Path copy = Files.createTempDirectory(stateDir.getParent(), "crash");
    try (Stream<Path> files = Files.walk(stateDir)) {
      for (Path from : (Iterable<Path>) files::iterator) {
        Path to = copy.resolve(stateDir.relativize(from).toString());
        if (Files.isDirectory(from)) {
          Files.createDirectories(to);
        } else if (!from.getFileName().toString().endsWith(".lock")) {
          Files.copy(from, to);
        }
      }
    }
    return copy;
  }

  private Path offsetsFile() {
    return stateDir.resolve("dedup").resolve(TimeKeyStore.OFFSETS_FILE);
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
  void thePositionFollowsTheInputOffsetsOfNewKeysOnly() {
    TimeKeyStore store = open();
    assertThat(store.getPosition().isEmpty()).isTrue();
    current = metadata("readings", 1, 10);
    store.putIfAbsent(key(T0, 1, 1), new byte[0]);
    current = metadata("readings", 1, 11);
    store.putIfAbsent(key(T0, 1, 1), new byte[0]); // a repeat changes nothing
    current = metadata("readings", 0, 4);
    store.putIfAbsent(key(T0, 2, 1), new byte[0]);
    assertThat(store.getPosition().getPartitionPositions("readings"))
        .isEqualTo(Map.of(1, 10L, 0, 4L));
  }

  private static RecordMetadata metadata(String topic, int partition, long offset) {
    return new RecordMetadata() {
      @Override
      public String topic() {
        return topic;
      }

      @Override
      public int partition() {
        return partition;
      }

      @Override
      public long offset() {
        return offset;
      }
    };
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
  void atLeastOnceCheckpointsWhenDueAndACrashReopensAtTheCheckpointedOffsets() throws Exception {
    TimeKeyStore lazy = open(stateDir, "at_least_once", Duration.ofHours(1));
    lazy.put(key(T0, 1, 1), new byte[0]);
    lazy.commit(Map.of(CHANGELOG, 4L));
    // the first commit checkpoints at once (no offsets on disk yet), later ones when due
    assertThat(offsetsFile()).content().contains("app-dedup-changelog-3=4");
    lazy.commit(Map.of(CHANGELOG, 5L));
    assertThat(offsetsFile()).content().contains("app-dedup-changelog-3=4"); // only noted
    lazy.close();
    assertThat(offsetsFile()).content().contains("app-dedup-changelog-3=5");

    TimeKeyStore eager = open(stateDir, "at_least_once", Duration.ZERO);
    eager.put(key(T0 + 1, 1, 1), new byte[0]);
    eager.commit(Map.of(CHANGELOG, 6L));
    eager.put(key(T0 + 2, 1, 1), new byte[0]); // after the checkpoint: may or may not survive
    Path crashed = crashCopy();
    assertThat(crashed.resolve("dedup").resolve(TimeKeyStore.OPEN_MARKER)).exists();

    TimeKeyStore reopened = open(crashed, "at_least_once", Duration.ZERO);
    assertThat(reopened.committedOffset(CHANGELOG)).isEqualTo(6L);
    assertThat(reopened.get(key(T0, 1, 1))).isNotNull();
    assertThat(reopened.get(key(T0 + 1, 1, 1))).isNotNull();
  }

  @Test
  void exactlyOnceKeepsKeysNotKnownCommittedOffDiskAndACrashResumesFromItsOwnFiles()
      throws Exception {
    TimeKeyStore store = open(stateDir, "exactly_once_v2", Duration.ZERO);
    store.put(key(T0, 1, 1), new byte[0]);
    assertThat(store.uncommittedKeys()).isEqualTo(1);
    Path beforeCommit = crashCopy();
    store.commit(Map.of(CHANGELOG, 7L)); // after the transaction committed: into the set, on disk
    assertThat(store.uncommittedKeys()).isZero();
    store.put(key(T0 + 1, 1, 1), new byte[0]); // a transaction that may still abort
    Path afterCommit = crashCopy();
    store.close();

    // killed before the commit: nothing of the open transaction on disk, no offsets yet
    TimeKeyStore early = open(beforeCommit, "exactly_once_v2", Duration.ZERO);
    assertThat(early.get(key(T0, 1, 1))).isNull();
    assertThat(early.committedOffset(CHANGELOG)).isNull();
    // killed after it: the committed key and its offsets are trusted (no wipe); the open
    // transaction's key is not there, for Streams to replay or the retried transaction to insert
    TimeKeyStore late = open(afterCommit, "exactly_once_v2", Duration.ZERO);
    assertThat(late.committedOffset(CHANGELOG)).isEqualTo(7L);
    assertThat(late.get(key(T0, 1, 1))).isNotNull();
    assertThat(late.get(key(T0 + 1, 1, 1))).isNull();
  }

  @Test
  void aCloseWithoutCommitDropsTheKeysNotKnownCommittedAndKeepsTheRest() {
    TimeKeyStore store = open(stateDir, "exactly_once_v2", Duration.ZERO);
    store.put(key(T0, 1, 1), new byte[0]);
    store.commit(Map.of(CHANGELOG, 3L));
    store.put(key(T0 + 1, 1, 1), new byte[0]); // part of a transaction that never commits
    store.close();
    assertThat(stateDir.resolve("dedup").resolve(TimeKeyStore.OPEN_MARKER)).doesNotExist();
    TimeKeyStore again = open(stateDir, "exactly_once_v2", Duration.ZERO);
    assertThat(again.committedOffset(CHANGELOG)).isEqualTo(3L);
    assertThat(again.get(key(T0, 1, 1))).isNotNull();
    assertThat(again.get(key(T0 + 1, 1, 1))).isNull();
  }

  @Test
  void anEmptyCommitForgetsTheOffsetsAsStreamsAsksOfACorruptedTask() {
    TimeKeyStore store = open(stateDir, "exactly_once_v2", Duration.ZERO);
    store.commit(Map.of(CHANGELOG, 3L));
    assertThat(store.committedOffset(CHANGELOG)).isEqualTo(3L);
    store.commit(Map.of());
    assertThat(store.committedOffset(CHANGELOG)).isNull();
    assertThat(offsetsFile()).doesNotExist();
  }

  @Test
  void damagedSetFilesStartTheStoreEmptyWithNoOffsetsSoStreamsRestoresIt() throws Exception {
    TimeKeyStore store = open(stateDir, "exactly_once_v2", Duration.ZERO);
    for (int i = 0; i < 100; i++) {
      store.put(key(T0 + i * 1_000_000L, 1, 1), new byte[0]);
    }
    store.commit(Map.of(CHANGELOG, 9L));
    store.close();
    try (Stream<Path> files = Files.walk(stateDir.resolve("dedup").resolve("set"))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".tks")).toList()) {
        byte[] bytes = Files.readAllBytes(f);
        bytes[bytes.length / 2] ^= 0x55;
        bytes[bytes.length - 3] ^= 0x55;
        Files.write(f, bytes);
      }
    }
    TimeKeyStore again = open(stateDir, "exactly_once_v2", Duration.ZERO);
    assertThat(again.committedOffset(CHANGELOG)).isNull();
    assertThat(again.approximateNumEntries()).isZero();
  }

  /**
   * Makes every later write of {@code file} fail: a non-empty directory where {@link
   * dev.depot.store.internal.AtomicFiles} writes its temp file, or where the file itself goes.
   */
  private static Path blockWritesOf(Path file) throws IOException {
    Path blocker = Files.createDirectories(file);
    Files.writeString(blocker.resolve("in-the-way"), "x");
    return blocker;
  }

  private static void deleteBlocker(Path blocker) throws IOException {
    Files.delete(blocker.resolve("in-the-way"));
    Files.delete(blocker);
  }

  /** Fails unless no one holds the set's directory lock (this process's open set would). */
  private void assertSetReleased() {
    try (TimeKeyStreamSet set =
        TimeKeyStreamSet.builder().directory(stateDir.resolve("dedup").resolve("set")).build()) {
      assertThat(set.directory()).exists();
    }
  }

  @Test
  void aCloseWhoseCheckpointFailsStillClosesTheSet() throws Exception {
    TimeKeyStore store = open(stateDir, "at_least_once", Duration.ofHours(1));
    store.put(key(T0, 1, 1), new byte[0]);
    store.commit(Map.of(CHANGELOG, 4L)); // the first checkpoint, at once
    store.put(key(T0 + 1, 1, 1), new byte[0]);
    store.commit(Map.of(CHANGELOG, 5L)); // noted: written by the close
    Path blocker =
        blockWritesOf(stateDir.resolve("dedup").resolve(TimeKeyStore.OFFSETS_FILE + ".tmp"));

    assertThatThrownBy(store::close)
        .isInstanceOf(ProcessorStateException.class)
        .hasMessageContaining("cannot checkpoint time-key store dedup");
    assertThat(store.isOpen()).isFalse();
    assertSetReleased();

    deleteBlocker(blocker);
    TimeKeyStore again = open();
    assertThat(again.committedOffset(CHANGELOG)).isEqualTo(4L); // the last offsets written
    assertThat(again.get(key(T0, 1, 1))).isNotNull();
  }

  @Test
  void anInitThatCannotWriteTheOpenMarkerClosesTheSet() throws Exception {
    TimeKeyStore store = open();
    store.put(key(T0, 1, 1), new byte[0]);
    store.commit(Map.of(CHANGELOG, 4L));
    store.close();
    Path blocker = blockWritesOf(stateDir.resolve("dedup").resolve(TimeKeyStore.OPEN_MARKER));

    assertThatThrownBy(this::open)
        .isInstanceOf(ProcessorStateException.class)
        .hasMessageContaining("cannot open time-key store dedup");
    assertSetReleased();

    deleteBlocker(blocker);
    TimeKeyStore again = open();
    assertThat(again.committedOffset(CHANGELOG)).isEqualTo(4L);
    assertThat(again.get(key(T0, 1, 1))).isNotNull();
  }

  @Test
  void aStoreWhoseSegmentsOutlastTheAssumedChangelogRetentionWarnsNamingTheSetting()
      throws Exception {
    Path setDir = stateDir.resolve("dedup").resolve("set");
    TimeKeyStreamSet.builder()
        .directory(setDir)
        .segmentInterval(Duration.ofHours(2))
        .build()
        .close();
    Path defaults = stateDir.resolve("defaults");
    TimeKeyStreamSet.builder().directory(defaults.resolve("dedup").resolve("set")).build().close();

    String warned = standardErrorOf(() -> openUnsetInterval(stateDir));
    assertThat(warned.lines().filter(line -> line.contains(" WARN ")))
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("time-key store dedup")
                    .contains("keeps segments of PT2H")
                    .contains(
                        "set the store's segment interval (dedup.segment.interval.ms) to 7200000"));
    assertThat(standardErrorOf(() -> openUnsetInterval(defaults)))
        .doesNotContain("dedup.segment.interval.ms");
  }

  /** A store with a retention and no segment interval of its own: the directory's is used. */
  private void openUnsetInterval(Path dir) {
    TimeKeyStore store =
        new TimeKeyStore("dedup", null, 1 << 20, Duration.ofDays(1), Duration.ofHours(1));
    StateStoreContext mock =
        new MockProcessorContext<>(new Properties(), new TaskId(0, 3), dir.toFile())
            .getStateStoreContext();
    store.init(new CapturingContext(mock), store);
    opened.add(store);
  }

  /**
   * What {@code action} writes to standard error, where the slf4j-simple binding of this module's
   * tests logs (it looks up {@code System.err} on every message).
   */
  private static String standardErrorOf(Runnable action) {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      action.run();
    } finally {
      System.setErr(original);
    }
    String text = captured.toString(StandardCharsets.UTF_8);
    original.print(text);
    return text;
  }

  /** A record of the input, as the store sees it while a processor handles it. */
  private void processing(String topic, int partition, long offset) {
    current = new Meta(topic, partition, offset);
  }

  private record Meta(String topic, int partition, long offset) implements RecordMetadata {}

  private static InsertBatch batchOf(long... micros) {
    InsertBatch batch = new InsertBatch();
    batch.reset(micros.length);
    for (int i = 0; i < micros.length; i++) {
      batch.micros[i] = micros[i];
      batch.ids[i] = TimeKey.of(0, 1, 1).id();
    }
    return batch;
  }

  private InsertBatch insert(TimeKeyStore store, long... micros) {
    InsertBatch batch = batchOf(micros);
    store.query(batch, PositionBound.unbounded(), new QueryConfig(false));
    return batch;
  }

  @Test
  void atLeastOnceARecordProcessedAgainAfterACrashIsForwardedAgainAndNoOtherRepeatIs()
      throws Exception {
    TimeKeyStore store = open(stateDir, "at_least_once", Duration.ZERO);
    processing("in", 0, 4);
    InsertBatch first = insert(store, T0, T0 + 1);
    store.commit(Map.of(CHANGELOG, 0L)); // offset 4 of the input committed
    processing("in", 0, 5);
    InsertBatch second = insert(store, T0 + 2, T0 + 3); // logged, never forwarded: then a crash
    assertThat(second.inserted).isEqualTo(2);
    Path crashed = crashCopy();
    store.close();

    TimeKeyStore again = open(crashed, "at_least_once", Duration.ZERO);
    assertThat(again.committedOffset(CHANGELOG)).isEqualTo(0L);
    ((BatchingStateRestoreCallback) restoreCallback)
        .restoreAll(List.of(KeyValue.pair(second.blockKey, second.block)));
    assertThat(again.tentativeKeys()).isEqualTo(2);

    processing("in", 0, 5); // the same record again: its own keys are new again
    InsertBatch replay = insert(again, T0 + 2, T0 + 3, T0);
    assertThat(replay.isNew).startsWith(true, true, false);
    processing("in", 0, 6); // another record holding them: repeats
    assertThat(insert(again, T0 + 2, T0 + 3).inserted).isZero();
    again.commit(Map.of(CHANGELOG, 2L)); // offset 6 committed: offset 5's keys are committed
    assertThat(again.tentativeKeys()).isZero();
    processing("in", 0, 5);
    assertThat(insert(again, T0 + 2, T0 + 3).inserted).isZero();
    assertThat(first.block).isNotNull();
  }

  @Test
  void atLeastOnceRestoreCommitsTheKeysOfRecordsALaterBlockSaysWereCommitted() {
    TimeKeyStore writer = open(stateDir, "at_least_once", Duration.ofHours(1));
    processing("in", 1, 10);
    InsertBatch a = insert(writer, T0);
    processing("in", 1, 11);
    InsertBatch b = insert(writer, T0 + 1);
    writer.commit(Map.of(CHANGELOG, 1L)); // offsets through 11 committed
    processing("in", 1, 12);
    InsertBatch c = insert(writer, T0 + 2); // says: through 11 committed
    List<KeyValue<byte[], byte[]>> changelog =
        List.of(
            KeyValue.pair(a.blockKey, a.block),
            KeyValue.pair(b.blockKey, b.block),
            KeyValue.pair(c.blockKey, c.block));

    TimeKeyStore restored = open(stateDir.resolve("other"), "at_least_once", Duration.ZERO);
    ((BatchingStateRestoreCallback) restoreCallback).restoreAll(changelog);
    assertThat(restored.tentativeKeys()).isEqualTo(1); // only offset 12's key
    processing("in", 1, 11);
    assertThat(insert(restored, T0 + 1).inserted).isZero();
    processing("in", 1, 12);
    assertThat(insert(restored, T0 + 2).inserted).isEqualTo(1);
  }

  @Test
  void aMarkerLeftUnderAtLeastOnceStillTrustsTheOffsetsBecauseReplayIsIdempotent()
      throws Exception {
    TimeKeyStore store = open(stateDir, "at_least_once", Duration.ZERO);
    store.put(key(T0, 1, 1), new byte[0]);
    store.commit(Map.of(CHANGELOG, 4L));
    store.close();
    Files.writeString(stateDir.resolve("dedup").resolve(TimeKeyStore.OPEN_MARKER), "open\n");
    assertThat(open().committedOffset(CHANGELOG)).isEqualTo(4L);
  }

  @Test
  void gaugesReportKeysMemoryAndDiskBytesWithStreamsStoreTags() {
    TimeKeyStore store = open(stateDir, "at_least_once", Duration.ZERO);
    for (int i = 0; i < 100; i++) {
      store.put(key(T0 + i * 100_000L, 1, 1), new byte[0]);
    }
    store.commit(Map.of(CHANGELOG, 99L));
    assertThat(gauge("keys")).isEqualTo(100);
    assertThat(gauge("memory-bytes")).isPositive();
    assertThat(gauge("memory-limit-bytes")).isEqualTo(1 << 20);
    assertThat(gauge("disk-bytes")).isPositive();
    MetricName keys =
        context.metrics().metrics().keySet().stream()
            .filter(m -> m.name().equals("keys"))
            .findFirst()
            .orElseThrow();
    assertThat(keys.tags())
        .containsEntry("task-id", "0_3")
        .containsEntry("timekey-state-id", "dedup")
        .containsKey("thread-id");
    store.close();
    assertThat(context.metrics().metrics().keySet())
        .noneMatch(m -> m.group().equals(StoreMetrics.GROUP));
  }

  private double gauge(String name) {
    return context.metrics().metrics().entrySet().stream()
        .filter(e -> e.getKey().group().equals(StoreMetrics.GROUP))
        .filter(e -> e.getKey().name().equals(name))
        .map(e -> ((Number) e.getValue().metricValue()).doubleValue())
        .findFirst()
        .orElseThrow(() -> new AssertionError("no gauge " + name));
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
      return Optional.ofNullable(current);
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
