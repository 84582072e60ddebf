package dev.depot.streams.internal;

import java.util.Arrays;
import org.apache.kafka.streams.query.Query;

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
