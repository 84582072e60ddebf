package dev.depot.bench;

import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.TimeKeyExtractor;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorSupplier;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The dedup processors of the peers: the classic Kafka Streams pattern over a RocksDB window store,
 * the same over a RocksDB key-value store, and a floor without any state store. Each takes the time
 * key with the same extractor as the time-key store's processor and keys its store by the key's 16
 * bytes ({@link TimeKey#toBytes()}), as that processor does.
 */
final class PeerDedupProcessors {
  /** The value stored with each key: nothing, as the time-key store stores nothing either. */
  private static final byte[] MARKER = new byte[0];

  private PeerDedupProcessors() {}

  /** Whether a key is seen for the first time (and remember it); one per processor instance. */
  private interface FirstSeen {
    boolean test(Bytes key, long timestamp);
  }

  /**
   * Duplicate if the window store holds the key at the record's timestamp ({@code fetch(key,
   * time)}); else {@code put(key, marker, time)} and forward.
   */
  static FixedKeyProcessorSupplier<byte[], byte[], byte[]> window(
      StoreBuilder<WindowStore<Bytes, byte[]>> store, TimeKeyExtractor<byte[], byte[]> extractor) {
    return new Supplier(
        store,
        extractor,
        context -> {
          WindowStore<Bytes, byte[]> seen = context.getStateStore(store.name());
          return (key, time) -> {
            if (seen.fetch(key, time) != null) {
              return false;
            }
            seen.put(key, MARKER, time);
            return true;
          };
        });
  }

  /**
   * Duplicate if {@code putIfAbsent(key, marker)} finds the key (RocksDB's putIfAbsent is a get,
   * then a put when absent); else forward. Keys never expire.
   */
  static FixedKeyProcessorSupplier<byte[], byte[], byte[]> keyValue(
      StoreBuilder<KeyValueStore<Bytes, byte[]>> store,
      TimeKeyExtractor<byte[], byte[]> extractor) {
    return new Supplier(
        store,
        extractor,
        context -> {
          KeyValueStore<Bytes, byte[]> seen = context.getStateStore(store.name());
          return (key, time) -> seen.putIfAbsent(key, MARKER) == null;
        });
  }

  /**
   * No state store: a {@code HashSet} of time keys on the heap, no changelog. Not a contender (it
   * survives no restart); it shows what the driver, the extraction and the forwarding cost alone.
   */
  static FixedKeyProcessorSupplier<byte[], byte[], byte[]> heapSet(
      TimeKeyExtractor<byte[], byte[]> extractor) {
    return new Supplier(
        null,
        extractor,
        context -> {
          Set<Bytes> seen = new HashSet<>();
          return (key, time) -> seen.add(key);
        });
  }

  /** One processor for every peer: extract the time key, forward it when first seen. */
  private static final class Supplier implements FixedKeyProcessorSupplier<byte[], byte[], byte[]> {
    private final StoreBuilder<?> store;
    private final TimeKeyExtractor<byte[], byte[]> extractor;
    private final Function<FixedKeyProcessorContext<byte[], byte[]>, FirstSeen> open;

    Supplier(
        StoreBuilder<?> store,
        TimeKeyExtractor<byte[], byte[]> extractor,
        Function<FixedKeyProcessorContext<byte[], byte[]>, FirstSeen> open) {
      this.store = store;
      this.extractor = extractor;
      this.open = open;
    }

    @Override
    public FixedKeyProcessor<byte[], byte[], byte[]> get() {
      return new FixedKeyProcessor<>() {
        private FixedKeyProcessorContext<byte[], byte[]> context;
        private FirstSeen firstSeen;

        @Override
        public void init(FixedKeyProcessorContext<byte[], byte[]> context) {
          this.context = context;
          this.firstSeen = open.apply(context);
        }

        @Override
        public void process(FixedKeyRecord<byte[], byte[]> record) {
          TimeKey key = extractor.extract(record.key(), record.value(), record.timestamp());
          if (firstSeen.test(Bytes.wrap(key.toBytes()), record.timestamp())) {
            context.forward(record);
          }
        }
      };
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      return store == null ? null : Set.of(store);
    }
  }
}
