package dev.depot.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Measures the task directory of one store: at any time ({@link #taskDirBytes}), and right after
 * the store has closed, before TopologyTestDriver deletes the state directory ({@link
 * #bytesAtClose}). A store reaches this by being built through {@link #keyValue} or {@link
 * #window}, which wrap the fully built store (metering and change-logging layers included) in a
 * pass-through store that notes the task directory on {@code init} and measures it after {@code
 * close}. Every contender gets the same wrapper, so its cost (one virtual call) is the same for
 * all.
 *
 * <p>Why at close: Kafka Streams runs RocksDB with its write-ahead log off, and in Kafka 4.3 a
 * commit writes the changelog offsets into RocksDB without flushing its memtables, so keys a
 * RocksDB store holds in a memtable are on disk only after its next flush (a full memtable, or the
 * flush on close). The time-key store writes a checkpoint on close as well.
 */
final class StoreProbe {
  private volatile Path taskDir;
  private volatile long bytesAtClose = -1;
  private volatile Map<String, Long> filesAtClose = Map.of();

  Path taskDir() {
    return taskDir;
  }

  long bytesAtClose() {
    return bytesAtClose;
  }

  /** Bytes per kind of file at close (see {@link #sizes}). */
  Map<String, Long> filesAtClose() {
    return filesAtClose;
  }

  long taskDirBytes() {
    return sizes(taskDir).getOrDefault("total", 0L);
  }

  private void opened(StateStoreContext context) {
    taskDir = context.stateDir().toPath();
  }

  private void closed() {
    Map<String, Long> sizes = sizes(taskDir);
    filesAtClose = sizes;
    bytesAtClose = sizes.getOrDefault("total", 0L);
  }

  /**
   * Bytes of all regular files under {@code dir}, recursively, in total and by kind: RocksDB's
   * {@code sst}, {@code wal} ({@code *.log}), {@code manifest} ({@code MANIFEST-*}), {@code
   * options} ({@code OPTIONS-*}), its info {@code LOG} files; the time-key set's {@code segment}
   * files; anything else is {@code other} (CURRENT, IDENTITY, LOCK, checkpoints, offsets files).
   */
  static Map<String, Long> sizes(Path dir) {
    Map<String, Long> sizes = new TreeMap<>();
    if (dir == null) {
      return sizes;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        long size;
        try {
          size = Files.size(file);
        } catch (NoSuchFileException e) {
          continue; // RocksDB deletes files as it compacts
        }
        sizes.merge(kind(file.getFileName().toString()), size, Long::sum);
        sizes.merge("total", size, Long::sum);
      }
    } catch (NoSuchFileException e) {
      return sizes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return sizes;
  }

  private static String kind(String name) {
    if (name.endsWith(".sst")) {
      return "sst";
    } else if (name.endsWith(".log")) {
      return "wal";
    } else if (name.startsWith("MANIFEST-")) {
      return "manifest";
    } else if (name.startsWith("OPTIONS-")) {
      return "options";
    } else if (name.equals("LOG") || name.startsWith("LOG.old")) {
      return "info_log";
    } else if (name.endsWith(".seg") || name.matches("\\d+.*")) {
      return "segment";
    }
    return "other";
  }

  /** Builds {@code inner}'s store wrapped so that this probe measures it. */
  StoreBuilder<KeyValueStore<Bytes, byte[]>> keyValue(
      StoreBuilder<KeyValueStore<Bytes, byte[]>> inner) {
    return new Builder<>(inner, store -> new ProbedKeyValueStore(store, this));
  }

  /** Builds {@code inner}'s store wrapped so that this probe measures it. */
  StoreBuilder<WindowStore<Bytes, byte[]>> window(StoreBuilder<WindowStore<Bytes, byte[]>> inner) {
    return new Builder<>(inner, store -> new ProbedWindowStore(store, this));
  }

  private static final class Builder<S extends StateStore> implements StoreBuilder<S> {
    private final StoreBuilder<S> inner;
    private final java.util.function.UnaryOperator<S> wrap;

    Builder(StoreBuilder<S> inner, java.util.function.UnaryOperator<S> wrap) {
      this.inner = Objects.requireNonNull(inner, "inner cannot be null");
      this.wrap = wrap;
    }

    @Override
    public StoreBuilder<S> withCachingEnabled() {
      inner.withCachingEnabled();
      return this;
    }

    @Override
    public StoreBuilder<S> withCachingDisabled() {
      inner.withCachingDisabled();
      return this;
    }

    @Override
    public StoreBuilder<S> withLoggingEnabled(Map<String, String> config) {
      inner.withLoggingEnabled(config);
      return this;
    }

    @Override
    public StoreBuilder<S> withLoggingDisabled() {
      inner.withLoggingDisabled();
      return this;
    }

    @Override
    public S build() {
      return wrap.apply(inner.build());
    }

    @Override
    public Map<String, String> logConfig() {
      return inner.logConfig();
    }

    @Override
    public boolean loggingEnabled() {
      return inner.loggingEnabled();
    }

    @Override
    public String name() {
      return inner.name();
    }
  }

  /** Passes every call through; notes the task directory on init, measures it after close. */
  private abstract static class ProbedStore<S extends StateStore> implements StateStore {
    final S inner;
    private final StoreProbe probe;

    ProbedStore(S inner, StoreProbe probe) {
      this.inner = inner;
      this.probe = probe;
    }

    @Override
    public String name() {
      return inner.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
      probe.opened(context);
      inner.init(context, root);
    }

    @Override
    @SuppressWarnings("deprecation")
    public void flush() {
      inner.flush();
    }

    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
      inner.commit(changelogOffsets);
    }

    @Override
    public Long committedOffset(TopicPartition partition) {
      return inner.committedOffset(partition);
    }

    @Override
    @SuppressWarnings("deprecation")
    public boolean managesOffsets() {
      return inner.managesOffsets();
    }

    @Override
    public void close() {
      inner.close();
      probe.closed();
    }

    @Override
    public boolean persistent() {
      return inner.persistent();
    }

    @Override
    public boolean isOpen() {
      return inner.isOpen();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound bound, QueryConfig config) {
      return inner.query(query, bound, config);
    }

    @Override
    public Position getPosition() {
      return inner.getPosition();
    }
  }

  private static final class ProbedKeyValueStore extends ProbedStore<KeyValueStore<Bytes, byte[]>>
      implements KeyValueStore<Bytes, byte[]> {
    ProbedKeyValueStore(KeyValueStore<Bytes, byte[]> inner, StoreProbe probe) {
      super(inner, probe);
    }

    @Override
    public void put(Bytes key, byte[] value) {
      inner.put(key, value);
    }

    @Override
    public byte[] putIfAbsent(Bytes key, byte[] value) {
      return inner.putIfAbsent(key, value);
    }

    @Override
    public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
      inner.putAll(entries);
    }

    @Override
    public byte[] delete(Bytes key) {
      return inner.delete(key);
    }

    @Override
    public byte[] get(Bytes key) {
      return inner.get(key);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
      return inner.range(from, to);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> all() {
      return inner.all();
    }

    @Override
    public long approximateNumEntries() {
      return inner.approximateNumEntries();
    }
  }

  private static final class ProbedWindowStore extends ProbedStore<WindowStore<Bytes, byte[]>>
      implements WindowStore<Bytes, byte[]> {
    ProbedWindowStore(WindowStore<Bytes, byte[]> inner, StoreProbe probe) {
      super(inner, probe);
    }

    @Override
    public void put(Bytes key, byte[] value, long windowStartTimestamp) {
      inner.put(key, value, windowStartTimestamp);
    }

    @Override
    public byte[] fetch(Bytes key, long time) {
      return inner.fetch(key, time);
    }

    @Override
    public WindowStoreIterator<byte[]> fetch(Bytes key, long timeFrom, long timeTo) {
      return inner.fetch(key, timeFrom, timeTo);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> fetch(
        Bytes keyFrom, Bytes keyTo, long timeFrom, long timeTo) {
      return inner.fetch(keyFrom, keyTo, timeFrom, timeTo);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> fetchAll(long timeFrom, long timeTo) {
      return inner.fetchAll(timeFrom, timeTo);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> all() {
      return inner.all();
    }
  }
}
