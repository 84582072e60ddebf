package dev.depot.streams.internal;

import dev.depot.store.DepotCorruptionException;
import dev.depot.store.DepotException;
import dev.depot.store.internal.AtomicFiles;
import dev.depot.store.internal.FileSync;
import dev.depot.store.timekey.TimeKey;
import dev.depot.store.timekey.TimeKeyStats;
import dev.depot.store.timekey.TimeKeyStreamSet;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.BatchingStateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A persistent Kafka Streams store over a {@link TimeKeyStreamSet}, seen by Streams as a {@code
 * KeyValueStore<Bytes, byte[]>} whose keys are 16-byte {@link TimeKey#toBytes() time keys} and
 * whose values are ignored (a present key reads back as an empty array). Streams wraps it in its
 * change-logging and metering layers; {@link #putIfAbsent} and the {@link InsertBatch} query are
 * the dedup operations.
 *
 * <h2>Committed keys only on disk</h2>
 *
 * The set under {@code stateDir()/name()/set/} holds only keys whose input is committed: the
 * transaction that logged them committed ({@code exactly_once_v2}), or the input offsets of their
 * records were committed after their output was flushed ({@code at_least_once}). Newer keys live in
 * an {@link Overlay} in memory, never evicted to disk, and move into the set once committed:
 *
 * <ul>
 *   <li>{@code at_least_once}: Streams calls {@link #commit} after committing the input offsets;
 *       everything inserted before is committed then.
 *   <li>{@code exactly_once_v2}: Streams calls no store method on a running task's commits; the
 *       store learns of them from the thread's commit count ({@link CommitWatch}).
 * </ul>
 *
 * A <em>checkpoint</em> (every {@code checkpointInterval}, and on close) writes the set's changed
 * segments, then the changelog offset its keys reach to {@code changelog.offsets} (beside, fsync,
 * rename): the offsets Streams passed to the last {@link #commit}, or under exactly-once the
 * changelog's last stable offset (no record of an open transaction lies below it, and every
 * transaction below it that committed is in the set). After a crash the store reopens from its
 * files, reports those offsets, and Streams replays only the changelog written since (read
 * committed under exactly-once): no wipe and full restore. Only when the files do not open (damage)
 * does the store start empty and report no offsets, and Streams restores it in full.
 *
 * <h2>At-least-once never loses a reading</h2>
 *
 * Under {@code at_least_once} a crash can leave keys in the changelog whose records were never
 * forwarded and will be processed again. So each changelog record then carries its source (the
 * input topic, partition and offset, in a {@link KeyBlock} source header) and how far that
 * partition was known committed. Restore keeps the keys of records not known committed as
 * <em>tentative</em>, by source; a record processed again finds its own keys there and forwards
 * them again (a duplicate downstream, which at-least-once allows; never a loss). Tentative keys
 * become committed when a later commit covers their offsets.
 *
 * <p>Not a general key-value store: deletes, range scans and interactive queries are not supported
 * (keys leave by retention only).
 */
public final class TimeKeyStore implements KeyValueStore<Bytes, byte[]> {
  private static final Logger LOG = LoggerFactory.getLogger(TimeKeyStore.class);
  static final byte[] PRESENT = new byte[0];
  static final String OFFSETS_FILE = "changelog.offsets";
  static final String OPEN_MARKER = ".open";

  private final String name;
  private final Duration segmentInterval;
  private final long memoryLimit;
  private final Duration retention;
  private final long checkpointIntervalNanos;

  private Path dir;
  private Path stateDirOverride;
  private boolean exactlyOnce;
  private long lastCheckpointNanos;
  private StoreMetrics metrics;

  /** Committed keys only (see the class comment). */
  private TimeKeyStreamSet set;

  private StateStoreContext context;

  /** The changelog offsets the set's keys reach, as last checkpointed or committed. */
  private Map<TopicPartition, Long> committed = new HashMap<>();

  /** Offsets Streams passed to {@link #commit} since the last checkpoint. */
  private final Map<TopicPartition, Long> pending = new HashMap<>();

  private Position position = Position.emptyPosition();
  private volatile boolean open;

  private final Overlay overlay = new Overlay();
  private CommitWatch commits;
  private ChangelogEnd changelogEnd;
  private TopicPartition changelog;

  /** At-least-once: tentative keys by source, and how far each input partition was processed. */
  private final Tentative tentative = new Tentative();

  private final Map<TopicPartition, Long> processed = new HashMap<>();
  private final Map<TopicPartition, Long> committedThrough = new HashMap<>();

  // single-key insert without allocation (stream threads use a store from one thread at a time)
  private final long[] micros = new long[1];
  private final long[] ids = new long[1];
  private final boolean[] isNew = new boolean[1];

  private final KeyBlock.Encoder blocks = new KeyBlock.Encoder();
  private byte[] loggedBlock;
  private final KeyBlock.Decoded restored = new KeyBlock.Decoded();
  private final KeyBlock.Decoded oneBlock = new KeyBlock.Decoded();
  private boolean[] restoredIsNew = new boolean[0];
  private long restoredKeys;

  TimeKeyStore(
      String name,
      Duration segmentInterval,
      long memoryLimit,
      Duration retention,
      Duration checkpointInterval) {
    this.name = name;
    this.segmentInterval = segmentInterval;
    this.memoryLimit = memoryLimit;
    this.retention = retention;
    this.checkpointIntervalNanos = checkpointInterval.toNanos();
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * Keeps the store's files under {@code stateDir} instead of the context's {@code stateDir()} (a
   * {@code java.io.File}, so always the default file system): for tests on another file system.
   */
  TimeKeyStore inStateDir(Path stateDir) {
    this.stateDirOverride = stateDir;
    return this;
  }

  @Override
  public void init(StateStoreContext context, StateStore root) {
    this.context = context;
    this.dir =
        (stateDirOverride != null ? stateDirOverride : context.stateDir().toPath()).resolve(name);
    exactlyOnce =
        StreamsConfig.EXACTLY_ONCE_V2.equals(
            String.valueOf(context.appConfigs().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)));
    Object appId = context.appConfigs().get(StreamsConfig.APPLICATION_ID_CONFIG);
    changelog = new TopicPartition(appId + "-" + name + "-changelog", context.taskId().partition());
    try {
      FileSync.createDirectories(dir); // durable in the task directory, like its files
      boolean uncleanShutdown = Files.exists(dir.resolve(OPEN_MARKER));
      committed = readOffsets(dir.resolve(OFFSETS_FILE));
      try {
        set = openSet();
        if (uncleanShutdown) {
          set.verify(); // a crash may have left damage: find it now, not on first use
        }
      } catch (DepotCorruptionException e) {
        if (set != null) {
          set.close();
          set = null;
        }
        LOG.warn(
            "time-key store {} in {}: its files are damaged ({}); starting empty, so Streams"
                + " restores it from the changelog",
            name,
            dir,
            e.getMessage());
        deleteTree(dir.resolve("set"));
        Files.deleteIfExists(dir.resolve(OFFSETS_FILE));
        committed = new HashMap<>();
        set = openSet();
      }
      if (segmentInterval == null
          && retention != null
          && set.segmentInterval().compareTo(TimeKeyStreamSet.DEFAULT_SEGMENT_INTERVAL) > 0) {
        LOG.warn(
            "time-key store {} in {} keeps segments of {} (fixed when it was created), but its"
                + " changelog's retention.ms was computed for the default {}: the changelog may"
                + " drop keys the store still holds; set the store's segment interval"
                + " (dedup.segment.interval.ms) to {}",
            name,
            dir,
            set.segmentInterval(),
            TimeKeyStreamSet.DEFAULT_SEGMENT_INTERVAL,
            set.segmentInterval().toMillis());
      }
      if (uncleanShutdown) {
        LOG.warn(
            "time-key store {} in {} was not closed cleanly; it holds committed keys only and"
                + " resumes from changelog offsets {}",
            name,
            dir,
            committed);
      }
      Files.writeString(dir.resolve(OPEN_MARKER), "open\n", StandardCharsets.UTF_8);
      fsync(dir.resolve(OPEN_MARKER));
      fsync(dir);
    } catch (IOException | DepotException e) {
      if (set != null) {
        set.close();
      }
      throw new ProcessorStateException("cannot open time-key store " + name + " in " + dir, e);
    }
    context.register(root, (BatchingStateRestoreCallback) this::restore);
    commits = new CommitWatch(context.metrics());
    changelogEnd = new ChangelogEnd(context.appConfigs(), changelog);
    lastCheckpointNanos = System.nanoTime();
    metrics = StoreMetrics.register(context, name, this::stats, memoryLimit);
    open = true;
  }

  private TimeKeyStreamSet openSet() {
    TimeKeyStreamSet.Builder builder =
        TimeKeyStreamSet.builder().directory(dir.resolve("set")).memoryLimit(memoryLimit);
    if (segmentInterval != null) {
      builder.segmentInterval(segmentInterval);
    }
    if (retention != null) {
      builder.retention(retention);
    }
    return builder.build();
  }

  /**
   * Inserts the keys of a batch of changelog records: single time keys (16-byte record keys, the
   * values carry nothing) and {@link KeyBlock}s. Restored keys are committed (exactly-once restores
   * read committed), except under at-least-once the keys of records not known committed, which stay
   * tentative (see the class comment).
   */
  private void restore(Collection<KeyValue<byte[], byte[]>> records) {
    KeyBlock.Decoded keys = restored;
    keys.clear();
    for (KeyValue<byte[], byte[]> record : records) {
      if (KeyBlock.isBlockKey(record.key)) {
        KeyBlock.Decoded block = oneBlock;
        block.clear();
        try {
          KeyBlock.decode(record.value, block);
        } catch (IllegalArgumentException e) {
          throw new ProcessorStateException(
              "store " + name + ": a key block in the changelog does not decode: " + e.getMessage(),
              e);
        }
        KeyBlock.Source source = block.source;
        if (source == null) {
          for (int i = 0; i < block.size; i++) {
            keys.add(block.micros[i], block.ids[i]);
          }
          continue;
        }
        TopicPartition input = new TopicPartition(source.topic(), source.partition());
        Tentative.Keys done = tentative.committedThrough(input, source.committedThrough());
        for (int i = 0; done != null && i < done.size(); i++) {
          keys.add(done.micros(i), done.id(i));
        }
        tentative.add(input, source.offset(), block.micros, block.ids, block.size);
        restoredKeys += block.size;
      } else {
        TimeKey key = decode(record.key);
        keys.add(key.micros(), key.id());
      }
    }
    if (restoredIsNew.length < keys.size) {
      restoredIsNew = new boolean[keys.micros.length];
    }
    set.insert(keys.micros, keys.ids, 0, keys.size, restoredIsNew);
    restoredKeys += keys.size;
  }

  private TimeKey decode(byte[] key) {
    if (key == null || key.length != TimeKey.BYTES) {
      throw new ProcessorStateException(
          "store "
              + name
              + " holds time keys of 16 bytes; got "
              + (key == null ? "null" : key.length + " bytes"));
    }
    return TimeKey.fromBytes(key);
  }

  /** Keys restored since the store opened (single keys and keys of blocks). */
  long restoredKeys() {
    return restoredKeys;
  }

  /** Inserts; returns whether the key was new. */
  boolean insert(Bytes key) {
    byte[] raw = key.get();
    if (raw.length != TimeKey.BYTES) {
      throw new IllegalArgumentException(
          "store " + name + " takes 16-byte time keys, got " + raw.length + " bytes");
    }
    micros[0] = readLong(raw, 0);
    ids[0] = readLong(raw, 8);
    return insert(micros, ids, 1, isNew) > 0;
  }

  /**
   * The dedup insert: answers which keys are new (in the set, the overlay and earlier in the
   * batch), adds them to the overlay, and returns how many. Under at-least-once a record processed
   * again gets its own tentative keys answered new again.
   */
  private int insert(long[] keyMicros, long[] keyIds, int n, boolean[] answers) {
    long count = promoteCommitted();
    Overlay.Generation current = overlay.current(count);
    RecordMetadata source = context == null ? null : context.recordMetadata().orElse(null);
    Tentative.Keys own = null;
    if (!tentative.isEmpty() && source != null && source.topic() != null) {
      own = tentative.get(new TopicPartition(source.topic(), source.partition()), source.offset());
    }
    int fresh = 0;
    for (int i = 0; i < n; i++) {
      long m = keyMicros[i];
      long id = keyIds[i];
      boolean known =
          overlay.contains(m, id) || tentative.contains(m, id) || set.contains(TimeKey.of(m, id));
      if (!known) {
        answers[i] = current.add(m, id);
      } else if (own != null && own.contains(m, id)) {
        answers[i] = current.add(m, id); // its own key from before a crash: forward it again
      } else {
        answers[i] = false;
      }
      if (answers[i]) {
        fresh++;
      }
    }
    if (source != null && source.topic() != null) {
      processed.merge(
          new TopicPartition(source.topic(), source.partition()), source.offset(), Math::max);
    }
    if (fresh > 0) {
      trackPosition();
    }
    return fresh;
  }

  /**
   * Under exactly-once, moves the overlay's committed generations into the set (and checkpoints
   * when one is due); returns the commit count new keys are tagged with.
   */
  private long promoteCommitted() {
    if (!exactlyOnce) {
      return 0; // at-least-once: commit() promotes
    }
    long count = commits.count();
    if (count < 0) {
      return 0; // no commit count (not a stream thread): promoted on commit() only
    }
    boolean promoted = false;
    Overlay.Generation g;
    while ((g = overlay.pollCommitted(count)) != null) {
      promote(g);
      promoted = true;
    }
    if (promoted && checkpointDue()) {
      Long stable = changelogEnd.lastStableOffset();
      if (stable != null && stable > 0) {
        pending.put(changelog, stable - 1);
        checkpoint();
      }
    }
    return count;
  }

  private void promote(Overlay.Generation g) {
    if (g.size() > 0) {
      set.insert(g.micros(), g.ids(), 0, g.size(), promoteAnswers(g.size()));
    }
  }

  private boolean[] promoteAnswers(int n) {
    if (restoredIsNew.length < n) {
      restoredIsNew = new boolean[Math.max(n, restoredIsNew.length * 2)];
    }
    return restoredIsNew;
  }

  /** Due every interval, and at once while the store has no offsets on disk yet. */
  private boolean checkpointDue() {
    return committed.isEmpty()
        || System.nanoTime() - lastCheckpointNanos >= checkpointIntervalNanos;
  }

  /** Answers a batch insert: the dedup insert, and the key block of the new keys. */
  private void insertBatch(InsertBatch batch) {
    int n = batch.size;
    int fresh = insert(batch.micros, batch.ids, n, batch.isNew);
    batch.inserted = fresh;
    if (fresh > 0) {
      KeyBlock.Source source = exactlyOnce ? null : source();
      batch.block = blocks.encode(batch.micros, batch.ids, batch.isNew, n, fresh, source);
      batch.blockKey = blocks.key();
      loggedBlock = batch.block;
    }
  }

  /** The current record's source header for at-least-once blocks, or null outside a record. */
  private KeyBlock.Source source() {
    RecordMetadata meta = context == null ? null : context.recordMetadata().orElse(null);
    if (meta == null || meta.topic() == null) {
      return null;
    }
    TopicPartition input = new TopicPartition(meta.topic(), meta.partition());
    return new KeyBlock.Source(
        meta.topic(), meta.partition(), meta.offset(), committedThrough.getOrDefault(input, -1L));
  }

  /** Whether the processor should log single keys as blocks with their source (at-least-once). */
  boolean logsSources() {
    return !exactlyOnce;
  }

  private void trackPosition() {
    if (context == null) {
      return;
    }
    java.util.Optional<RecordMetadata> meta = context.recordMetadata();
    if (meta.isPresent() && meta.get().topic() != null) {
      position =
          position.withComponent(meta.get().topic(), meta.get().partition(), meta.get().offset());
    }
  }

  private static long readLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xFF);
    }
    return v;
  }

  @Override
  public byte[] putIfAbsent(Bytes key, byte[] value) {
    return insert(key) ? null : PRESENT;
  }

  @Override
  public void put(Bytes key, byte[] value) {
    if (KeyBlock.isBlockKey(key.get())) {
      if (value != null && value == loggedBlock) {
        loggedBlock = null; // the processor logging the block its insert just made
        return;
      }
      KeyBlock.Decoded keys = new KeyBlock.Decoded();
      KeyBlock.decode(value, keys);
      insert(keys.micros, keys.ids, keys.size, new boolean[keys.size]);
      return;
    }
    if (value == null) {
      throw new UnsupportedOperationException(
          "time-key store " + name + " cannot delete keys; they leave by retention");
    }
    insert(key);
  }

  @Override
  public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
    for (KeyValue<Bytes, byte[]> entry : entries) {
      put(entry.key, entry.value);
    }
  }

  @Override
  public byte[] delete(Bytes key) {
    throw new UnsupportedOperationException(
        "time-key store " + name + " cannot delete keys; they leave by retention");
  }

  @Override
  public byte[] get(Bytes key) {
    byte[] raw = key.get();
    if (raw.length != TimeKey.BYTES) {
      return null;
    }
    TimeKey k = TimeKey.fromBytes(raw);
    return overlay.contains(k.micros(), k.id())
            || tentative.contains(k.micros(), k.id())
            || set.contains(k)
        ? PRESENT
        : null;
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
    throw unsupported("range");
  }

  @Override
  public KeyValueIterator<Bytes, byte[]> all() {
    throw unsupported("all");
  }

  private UnsupportedOperationException unsupported(String what) {
    return new UnsupportedOperationException(
        "time-key store " + name + " does not support " + what);
  }

  @Override
  public long approximateNumEntries() {
    return set.stats().keys() + overlay.keys();
  }

  /** The set's figures (committed keys), for metrics. */
  public TimeKeyStats stats() {
    return set.stats();
  }

  /** Keys held in memory only, not yet known committed. */
  long uncommittedKeys() {
    return overlay.keys();
  }

  /** Tentative keys held after an at-least-once restore. */
  long tentativeKeys() {
    return tentative.keys();
  }

  /**
   * Streams calls this after it committed the input offsets (at-least-once) or the transaction
   * (exactly-once), with the changelog offsets reached: every key inserted so far is committed, so
   * the overlay moves into the set; under at-least-once tentative keys of records processed so far
   * are committed too. Writes a checkpoint when one is due. An empty map (Streams' word for a
   * corrupted task) forgets the offsets.
   */
  @Override
  public void commit(Map<TopicPartition, Long> changelogOffsets) {
    if (changelogOffsets.isEmpty()) {
      committed.clear();
      pending.clear();
      try {
        Files.deleteIfExists(dir.resolve(OFFSETS_FILE));
        fsync(dir);
      } catch (IOException e) {
        throw new ProcessorStateException(
            "cannot forget the offsets of time-key store " + name + " in " + dir, e);
      }
      return;
    }
    Overlay.Generation g;
    while ((g = overlay.poll()) != null) {
      promote(g);
    }
    for (Map.Entry<TopicPartition, Long> done : processed.entrySet()) {
      Tentative.Keys keys = tentative.committedThrough(done.getKey(), done.getValue());
      if (keys != null && keys.size() > 0) {
        set.insert(keys.micros(), keys.ids(), 0, keys.size(), promoteAnswers(keys.size()));
      }
      committedThrough.put(done.getKey(), done.getValue());
    }
    for (Map.Entry<TopicPartition, Long> e : changelogOffsets.entrySet()) {
      if (e.getValue() != null && e.getValue() >= 0) {
        pending.put(e.getKey(), e.getValue());
      } else {
        pending.remove(e.getKey()); // unknown (Streams' -4): keep the last known
      }
    }
    if (checkpointDue()) {
      checkpoint();
    }
  }

  /** Writes the changed segments, then the offsets they reach. */
  private void checkpoint() {
    try {
      set.checkpoint();
      if (!pending.isEmpty()) {
        committed.putAll(pending);
        pending.clear();
        writeOffsets(dir, committed);
      }
      lastCheckpointNanos = System.nanoTime();
    } catch (IOException | DepotException e) {
      throw new ProcessorStateException(
          "cannot checkpoint time-key store " + name + " in " + dir, e);
    }
  }

  /** Does nothing: {@link #commit} does the work (KIP-1035). */
  @Override
  @SuppressWarnings("deprecation")
  public void flush() {}

  @Override
  public Long committedOffset(TopicPartition partition) {
    return committed.get(partition);
  }

  @Override
  @SuppressWarnings("deprecation") // deprecated in 4.3 on the way to every store managing offsets
  public boolean managesOffsets() {
    return true;
  }

  /**
   * Checkpoints the set (committed keys only; the overlay, not known committed, is dropped) and
   * closes it. The files are consistent whether or not the task committed first, so the next start
   * trusts them.
   */
  @Override
  public void close() {
    if (!open) {
      return;
    }
    open = false;
    if (metrics != null) {
      metrics.remove();
    }
    overlay.clear();
    try {
      try {
        checkpoint();
      } finally {
        set.close();
        changelogEnd.close();
      }
      Files.deleteIfExists(dir.resolve(OPEN_MARKER));
      fsync(dir);
    } catch (IOException | DepotException e) {
      throw new ProcessorStateException("cannot close time-key store " + name + " in " + dir, e);
    }
  }

  @Override
  public boolean persistent() {
    return true;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public Position getPosition() {
    return position;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
    if (query instanceof InsertBatch) {
      insertBatch((InsertBatch) query);
      QueryResult<R> result = QueryResult.forResult((R) query);
      result.setPosition(position);
      return result;
    }
    return QueryResult.forUnknownQueryType(query, this);
  }

  // ---- the offsets file: Java properties "topic-partition=offset", written atomically ----

  private static Map<TopicPartition, Long> readOffsets(Path file) throws IOException {
    Map<TopicPartition, Long> out = new HashMap<>();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return out;
    }
    Properties props = new Properties();
    props.load(new java.io.StringReader(text));
    for (String key : props.stringPropertyNames()) {
      int dash = key.lastIndexOf('-');
      try {
        out.put(
            new TopicPartition(key.substring(0, dash), Integer.parseInt(key.substring(dash + 1))),
            Long.parseLong(props.getProperty(key).trim()));
      } catch (RuntimeException e) {
        throw new IOException("cannot read " + file + ": bad line " + key, e);
      }
    }
    return out;
  }

  private static void writeOffsets(Path dir, Map<TopicPartition, Long> offsets) throws IOException {
    StringBuilder text =
        new StringBuilder("# changelog offsets the time-key set holds, per partition\n");
    offsets.entrySet().stream()
        .sorted(Comparator.comparing(e -> e.getKey().toString()))
        .forEach(e -> text.append(e.getKey()).append('=').append(e.getValue()).append('\n'));
    AtomicFiles.write(dir.resolve(OFFSETS_FILE), text.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }

  /** fsyncs a file or a directory (making a creation or rename in it durable). */
  private static void fsync(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
