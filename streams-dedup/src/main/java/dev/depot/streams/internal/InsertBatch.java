package dev.depot.streams.internal;

import java.util.Arrays;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A batch insert into the {@link TimeKeyStore}, handed to it as a {@link Query}. The dedup
 * processor sees its store only through Streams' wrapping layers (the read-write decorator,
 * metering, change-logging), and these pass a query type they do not know to the store beneath: so
 * this travels on public API only. The store answers it by inserting the keys and filling in which
 * were new, and the key block that carries them to the changelog; the processor then puts that
 * block through the same layers, which log it in the task's transaction. {@code BatchDedupTest}
 * fails if a Kafka version stops passing the query through.
 *
 * <p>One per processor, reused for every record; not thread-safe.
 */
public final class InsertBatch implements Query<InsertBatch> {
  long[] micros = new long[512];
  long[] ids = new long[512];
  boolean[] isNew = new boolean[512];
  int size;

  /** Filled in by the store. */
  int inserted;

  byte[] block;
  byte[] blockKey;

  private static final PositionBound UNBOUNDED = PositionBound.unbounded();
  private static final QueryConfig NO_INFO = new QueryConfig(false);

  /**
   * Inserts the keys into {@code store} (through its wrapping layers) and, when some were new, puts
   * their key block through the same layers so that the change-logging layer logs it in the task's
   * transaction. Returns how many keys were new.
   */
  int applyTo(KeyValueStore<Bytes, byte[]> store, String storeName) {
    QueryResult<InsertBatch> result = store.query(this, UNBOUNDED, NO_INFO);
    if (!result.isSuccess() || result.getResult() != this) {
      throw new StreamsException(
          "store "
              + storeName
              + " did not take a batch insert ("
              + (result.isSuccess() ? "another result" : result.getFailureMessage())
              + "): it must be a time-key store built by DedupStores.timeKeySet");
    }
    if (inserted > 0) {
      store.put(Bytes.wrap(blockKey), block);
    }
    return inserted;
  }

  void reset(int n) {
    if (micros.length < n) {
      int cap = Math.max(n, micros.length * 2);
      micros = Arrays.copyOf(micros, cap);
      ids = Arrays.copyOf(ids, cap);
      isNew = new boolean[cap];
    }
    size = n;
    inserted = 0;
    block = null;
    blockKey = null;
  }
}
