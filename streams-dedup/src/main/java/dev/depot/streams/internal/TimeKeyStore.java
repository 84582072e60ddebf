package dev.depot.streams.internal;

import dev.depot.store.DepotException;
import dev.depot.store.timekey.TimeKey;
import dev.depot.store.timekey.TimeKeyStats;
import dev.depot.store.timekey.TimeKeyStreamSet;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * change-logging and metering layers; {@link #putIfAbsent} is the dedup operation.
 *
 * <h2>Files, offsets and checkpoints</h2>
 *
 * The set lives under {@code stateDir()/name()/set/}. The store manages its changelog offsets
 * (KIP-1035). Streams calls {@link #commit} on every task commit (each {@code commit.interval.ms},
 * 100 ms by default under exactly-once); the store notes the offsets and writes a
 * <em>checkpoint</em> only when one is due, because a checkpoint writes every changed segment in
 * full. A checkpoint writes the set's changed segments, then the offsets to {@code
 * changelog.offsets} (beside, fsync, rename), so the offsets on disk never run ahead of the data;
 * data ahead of the offsets is harmless, as replaying inserts is idempotent.
 *
 * <ul>
 *   <li>{@code at_least_once}: a checkpoint is due once {@code checkpointInterval} has passed since
 *       the last. After a crash the store reopens with the last checkpoint's offsets and Streams
 *       replays the changelog from there.
 *   <li>{@code exactly_once_v2}: no checkpoint while running. The data may hold inserts of a
 *       transaction that later aborts, and a store trusted after a crash would then drop the
 *       records of the retried transaction. A file {@code .open} exists while the store is open;
 *       found on {@link #init}, it means the last run did not close cleanly, so {@link
 *       #committedOffset} answers null and Streams wipes the store and restores it from the
 *       changelog (as it does for its own RocksDB stores under exactly-once).
 *   <li>A clean {@link #close} always checkpoints with the offsets of the last commit and removes
 *       {@code .open}: the next start restores nothing.
 * </ul>
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
  private boolean exactlyOnce;
  private long lastCheckpointNanos;
  private boolean insertedSinceCommit;
  private final Map<TopicPartition, Long> pending = new HashMap<>();
  private StoreMetrics metrics;
  private TimeKeyStreamSet set;
  private StateStoreContext context;
  private Map<TopicPartition, Long> committed = new HashMap<>();
  private Position position = Position.emptyPosition();
  private volatile boolean open;

  // single-key insert without allocation (stream threads use a store from one thread at a time)
  private final long[] micros = new long[1];
  private final long[] ids = new long[1];
  private final boolean[] isNew = new boolean[1];

  private final KeyBlock.Encoder blocks = new KeyBlock.Encoder();
  private byte[] loggedBlock;
  private final KeyBlock.Decoded restored = new KeyBlock.Decoded();
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

  @Override
  public void init(StateStoreContext context, StateStore root) {
    this.context = context;
    this.dir = context.stateDir().toPath().resolve(name);
    try {
      Files.createDirectories(dir);
      exactlyOnce =
          StreamsConfig.EXACTLY_ONCE_V2.equals(
              String.valueOf(context.appConfigs().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)));
      boolean uncleanShutdown = Files.exists(dir.resolve(OPEN_MARKER));
      if (uncleanShutdown && exactlyOnce) {
        LOG.warn(
            "time-key store {} in {} was not closed cleanly; under exactly-once it reports no"
                + " offsets, so Streams wipes it and restores it from the changelog",
            name,
            dir);
        committed = new HashMap<>();
      } else {
        committed = readOffsets(dir.resolve(OFFSETS_FILE));
      }
      TimeKeyStreamSet.Builder builder =
          TimeKeyStreamSet.builder().directory(dir.resolve("set")).memoryLimit(memoryLimit);
      if (segmentInterval != null) {
        builder.segmentInterval(segmentInterval);
      }
      if (retention != null) {
        builder.retention(retention);
      }
      set = builder.build();
      Files.writeString(dir.resolve(OPEN_MARKER), "open\n", StandardCharsets.UTF_8);
      fsync(dir.resolve(OPEN_MARKER));
      fsync(dir);
    } catch (IOException | DepotException e) {
      throw new ProcessorStateException("cannot open time-key store " + name + " in " + dir, e);
    }
    context.register(root, (BatchingStateRestoreCallback) this::restore);
    lastCheckpointNanos = System.nanoTime();
    metrics = StoreMetrics.register(context, name, this::stats, memoryLimit);
    open = true;
  }

  /**
   * Inserts the keys of a batch of changelog records: single time keys (16-byte record keys, the
   * values carry nothing) and {@link KeyBlock}s, all in one set insert.
   */
  private void restore(Collection<KeyValue<byte[], byte[]>> records) {
    KeyBlock.Decoded keys = restored;
    keys.clear();
    for (KeyValue<byte[], byte[]> record : records) {
      if (KeyBlock.isBlockKey(record.key)) {
        try {
          KeyBlock.decode(record.value, keys);
        } catch (IllegalArgumentException e) {
          throw new ProcessorStateException(
              "store " + name + ": a key block in the changelog does not decode: " + e.getMessage(),
              e);
        }
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

  /** Keys restored since the store opened (single keys and keys of blocks). */
  long restoredKeys() {
    return restoredKeys;
  }

  /** Answers a batch insert: the set insert, and the key block of the new keys. */
  private void insertBatch(InsertBatch batch) {
    int n = batch.size;
    set.insert(batch.micros, batch.ids, 0, n, batch.isNew);
    int fresh = 0;
    for (int i = 0; i < n; i++) {
      if (batch.isNew[i]) {
        fresh++;
      }
    }
    batch.inserted = fresh;
    if (fresh > 0) {
      insertedSinceCommit = true;
      trackPosition();
      batch.block = blocks.encode(batch.micros, batch.ids, batch.isNew, n, fresh);
      batch.blockKey = blocks.key();
      loggedBlock = batch.block;
    }
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

  /** Inserts; returns whether the key was new. */
  boolean insert(Bytes key) {
    byte[] raw = key.get();
    if (raw.length != TimeKey.BYTES) {
      throw new IllegalArgumentException(
          "store " + name + " takes 16-byte time keys, got " + raw.length + " bytes");
    }
    micros[0] = readLong(raw, 0);
    ids[0] = readLong(raw, 8);
    set.insert(micros, ids, 0, 1, isNew);
    if (isNew[0]) {
      insertedSinceCommit = true;
      trackPosition();
    }
    return isNew[0];
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
      boolean[] fresh = new boolean[keys.size];
      set.insert(keys.micros, keys.ids, 0, keys.size, fresh);
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
    return set.contains(TimeKey.fromBytes(raw)) ? PRESENT : null;
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
    return set.stats().keys();
  }

  /** The set's figures, for metrics. */
  public TimeKeyStats stats() {
    return set.stats();
  }

  /**
   * Notes the offsets the data now reaches; writes a checkpoint when one is due (see the class
   * comment).
   */
  @Override
  public void commit(Map<TopicPartition, Long> changelogOffsets) {
    pending.putAll(changelogOffsets);
    insertedSinceCommit = false;
    if (!exactlyOnce && System.nanoTime() - lastCheckpointNanos >= checkpointIntervalNanos) {
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

  @Override
  @SuppressWarnings("deprecation")
  public void flush() {
    commit(Map.of());
  }

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
   * Closes the set. Checkpoints first, unless this is exactly-once and keys were inserted after the
   * last commit (a close without commit, after an error): those keys may belong to an aborted
   * transaction, so the {@code .open} marker stays and the next start restores from the changelog.
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
    boolean clean = !(exactlyOnce && insertedSinceCommit);
    try {
      if (clean) {
        checkpoint();
      }
      set.close();
      if (clean) {
        Files.deleteIfExists(dir.resolve(OPEN_MARKER));
        fsync(dir);
      }
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
    Path temp = dir.resolve(OFFSETS_FILE + ".tmp");
    Files.writeString(temp, text, StandardCharsets.UTF_8);
    fsync(temp);
    Files.move(
        temp,
        dir.resolve(OFFSETS_FILE),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    fsync(dir);
  }

  /** fsyncs a file or a directory (making a creation or rename in it durable). */
  private static void fsync(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
