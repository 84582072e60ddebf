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
  Block[] pieces = new Block[4];

  /** Keys converted from a {@code List<TimeKey>}. */
  long[] listMicros = new long[256];

  long[] listIds = new long[256];

  /** A batch grouped by segment and id: see {@link TimeKeySetEngine}. */
  int[] keyGroup = new int[256];

  int[] order = new int[256];
  long[] groupMicros = new long[256];
  boolean[] groupNew = new boolean[256];
  int[] groupTable = new int[512];
  long[] groupSegment = new long[64];
  long[] groupId = new long[64];
  int[] groupStart = new int[64];
  int[] groupCount = new int[64];
  int[] groupCursor = new int[64];
  Stream[] groupStream = new Stream[64];

  /**
   * When the current call started ({@link System#nanoTime()}): what streams it uses are stamped.
   */
  long now;

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

  /** Room to group a batch of {@code n} keys; the group table is all zeros. */
  void ensureGrouping(int n) {
    if (keyGroup.length < n) {
      int size = Math.max(n, keyGroup.length * 2);
      keyGroup = new int[size];
      order = new int[size];
      groupMicros = new long[size];
      groupNew = new boolean[size];
    }
    int table = Integer.highestOneBit(Math.max(16, n) * 2 - 1) << 1;
    if (groupTable.length < table) {
      groupTable = new int[table];
    }
  }

  /** Room for group number {@code g}. */
  void ensureGroup(int g) {
    if (g >= groupSegment.length) {
      int size = groupSegment.length * 2;
      groupSegment = Arrays.copyOf(groupSegment, size);
      groupId = Arrays.copyOf(groupId, size);
      groupStart = Arrays.copyOf(groupStart, size);
      groupCount = Arrays.copyOf(groupCount, size);
      groupCursor = Arrays.copyOf(groupCursor, size);
      groupStream = Arrays.copyOf(groupStream, size);
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
