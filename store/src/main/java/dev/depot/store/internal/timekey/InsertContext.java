package dev.depot.store.internal.timekey;

import java.util.Arrays;

/**
 * Per-thread scratch space for inserts, so that the insert path allocates nothing once warm. Also
 * collects how much memory an insert added, to be accounted once per run of keys.
 */
final class InsertContext {
  static final ThreadLocal<InsertContext> CURRENT = ThreadLocal.withInitial(InsertContext::new);

  long[] ts = new long[256];
  int[] index = new int[256];
  long[] sortTs = new long[256];
  int[] sortIndex = new int[256];
  long[] absent = new long[256];
  int[] absentIndex = new int[256];
  long[] decoded = new long[Block.MAX_KEYS];
  long[] merged = new long[Block.MAX_KEYS + 256];

  /** Keys converted from a {@code List<TimeKey>}. */
  long[] listMicros = new long[256];

  long[] listIds = new long[256];

  /** Bytes of memory added (or, when negative, freed) since the last reset. */
  long memoryDelta;

  void ensureKeys(int n) {
    if (ts.length < n) {
      int size = Math.max(n, ts.length * 2);
      ts = new long[size];
      index = new int[size];
      sortTs = new long[size];
      sortIndex = new int[size];
      absent = new long[size];
      absentIndex = new int[size];
    }
  }

  long[] merged(int n) {
    if (merged.length < n) {
      merged = new long[Math.max(n, merged.length * 2)];
    }
    return merged;
  }

  void ensureList(int n) {
    if (listMicros.length < n) {
      listMicros = Arrays.copyOf(listMicros, Math.max(n, listMicros.length * 2));
      listIds = Arrays.copyOf(listIds, listMicros.length);
    }
  }
}
