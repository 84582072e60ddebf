package dev.depot.store.internal.timekey;

import java.util.Arrays;

/**
 * The timestamps of one id (one user's device) within one segment: sorted, non-overlapping {@link
 * Block}s, the last of which (the tail) takes appends. Callers hold the stream's monitor.
 *
 * <p>A batch that continues the stream costs one comparison per key plus its encoding. Keys at or
 * below the newest one go the general way: sorted, de-duplicated, checked against the blocks they
 * fall into (decoding each such block once) and merged into those blocks.
 */
final class Stream {
  /** Accounted size of a stream without its blocks: object, block array, map entry. */
  static final long OVERHEAD_BYTES = 96;

  final long id;
  Block[] blocks;
  int blockCount;
  long keys;

  /**
   * Holds keys its segment's file does not: such a stream stays resident until the file is
   * rewritten. Written under the stream's monitor, read under the slot's write lock.
   */
  boolean dirty;

  /** When an insert or lookup last used the stream ({@link System#nanoTime()}), for eviction. */
  volatile long lastUsed;

  Stream(long id) {
    this.id = id;
    this.blocks = new Block[2];
  }

  /** A stream rebuilt from a segment file. */
  Stream(long id, Block[] blocks, long keys) {
    this.id = id;
    this.blocks = blocks;
    this.blockCount = blocks.length;
    this.keys = keys;
  }

  long memoryBytes() {
    long bytes = OVERHEAD_BYTES + 4L * blocks.length;
    for (int i = 0; i < blockCount; i++) {
      bytes += blocks[i].memoryBytes();
    }
    return bytes;
  }

  long newest() {
    return blockCount == 0 ? Long.MIN_VALUE : blocks[blockCount - 1].last;
  }

  /**
   * Inserts {@code micros[from..to)} in order, setting {@code isNew[i]} for each; returns the
   * number of keys added.
   */
  int insert(long[] micros, int from, int to, boolean[] isNew, InsertContext ctx) {
    int i = from;
    int added = 0;
    if (blockCount == 0) {
      addBlock(blockCount, Block.starting(micros[i]), ctx);
      isNew[i++] = true;
      added++;
    }
    Block tail = blocks[blockCount - 1];
    long newest = tail.last;
    // The common case: the batch continues the stream.
    while (i < to) {
      long ts = micros[i];
      if (ts <= newest) {
        break;
      }
      if (tail.full()) {
        ctx.memoryDelta -= tail.trim();
        tail = Block.starting(ts);
        addBlock(blockCount, tail, ctx);
      } else {
        ctx.memoryDelta += tail.append(ts);
      }
      newest = ts;
      isNew[i++] = true;
      added++;
    }
    if (i < to) {
      added += insertGeneral(micros, i, to, isNew, ctx);
    }
    keys += added;
    if (added > 0) {
      dirty = true;
    }
    return added;
  }

  /** Keys that go back in time or repeat: sort, de-duplicate, look up, merge. */
  private int insertGeneral(long[] micros, int from, int to, boolean[] isNew, InsertContext ctx) {
    int n = to - from;
    ctx.ensureKeys(n);
    long[] ts = ctx.ts;
    int[] index = ctx.index;
    boolean sorted = true;
    for (int k = 0; k < n; k++) {
      ts[k] = micros[from + k];
      index[k] = from + k;
      if (k > 0 && ts[k] < ts[k - 1]) {
        sorted = false;
      }
    }
    if (!sorted) {
      MergeSort.sort(ts, index, n, ctx.sortTs, ctx.sortIndex);
    }
    // Walk the sorted keys: the first of equal keys (lowest batch index) is the candidate.
    long[] absent = ctx.absent;
    int[] absentIndex = ctx.absentIndex;
    int absentCount = 0;
    long newest = newest();
    int block = -1;
    int decodedCount = 0;
    int cursor = 0;
    long[] decoded = ctx.decoded;
    for (int k = 0; k < n; k++) {
      long t = ts[k];
      if (k > 0 && t == ts[k - 1]) {
        isNew[index[k]] = false;
        continue;
      }
      boolean present = false;
      if (t <= newest) {
        int b = findBlock(t);
        if (b >= 0 && t <= blocks[b].last) {
          if (b != block) {
            block = b;
            decodedCount = blocks[b].decode(decoded);
            cursor = 0;
          }
          while (cursor < decodedCount && decoded[cursor] < t) {
            cursor++;
          }
          present = cursor < decodedCount && decoded[cursor] == t;
        }
      }
      if (present) {
        isNew[index[k]] = false;
      } else {
        absent[absentCount] = t;
        absentIndex[absentCount++] = index[k];
        isNew[index[k]] = true;
      }
    }
    // Keys below the newest go into the blocks they fall in; the rest continue the tail.
    int backfill = 0;
    while (backfill < absentCount && absent[backfill] <= newest) {
      backfill++;
    }
    if (backfill > 0) {
      mergeIntoBlocks(absent, backfill, ctx);
    }
    Block tail = blocks[blockCount - 1];
    for (int k = backfill; k < absentCount; k++) {
      if (tail.full()) {
        ctx.memoryDelta -= tail.trim();
        tail = Block.starting(absent[k]);
        addBlock(blockCount, tail, ctx);
      } else {
        ctx.memoryDelta += tail.append(absent[k]);
      }
    }
    return absentCount;
  }

  /** Index of the last block whose first key is at most {@code ts}, or -1. */
  int findBlock(long ts) {
    int lo = 0;
    int hi = blockCount - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (blocks[mid].first <= ts) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * Merges {@code keys[0..count)} (sorted, distinct, absent, none above the newest key) into the
   * blocks they fall in. A key before the first block joins the first block; a key in a gap joins
   * the block before the gap. Each touched block is decoded once and re-encoded, split into blocks
   * of at most {@link Block#MAX_KEYS}.
   */
  private void mergeIntoBlocks(long[] keys, int count, InsertContext ctx) {
    int k = 0;
    while (k < count) {
      int b = Math.max(0, findBlock(keys[k]));
      long nextFirst = b + 1 < blockCount ? blocks[b + 1].first : Long.MAX_VALUE;
      int end = k;
      while (end < count && keys[end] < nextFirst) {
        end++;
      }
      Block old = blocks[b];
      int oldCount = old.decode(ctx.decoded);
      long[] merged = ctx.merged(oldCount + end - k);
      int m = mergeSorted(ctx.decoded, oldCount, keys, k, end, merged);
      boolean tail = b == blockCount - 1;
      Block[] replacement = ctx.pieces;
      int pieces = 0;
      for (int from = 0; from < m; ) {
        Block piece = Block.encodeUntilFull(merged, from, m);
        from += piece.count;
        if (!(tail && from == m)) {
          piece.trim();
        }
        if (pieces == replacement.length) {
          replacement = ctx.pieces = Arrays.copyOf(replacement, pieces * 2);
        }
        replacement[pieces++] = piece;
        ctx.memoryDelta += piece.memoryBytes();
      }
      ctx.memoryDelta -= old.memoryBytes();
      replaceBlock(b, replacement, pieces, ctx);
      Arrays.fill(replacement, 0, pieces, null);
      k = end;
    }
  }

  private static int mergeSorted(long[] a, int aCount, long[] b, int bFrom, int bTo, long[] out) {
    int i = 0;
    int j = bFrom;
    int o = 0;
    while (i < aCount && j < bTo) {
      out[o++] = a[i] < b[j] ? a[i++] : b[j++];
    }
    while (i < aCount) {
      out[o++] = a[i++];
    }
    while (j < bTo) {
      out[o++] = b[j++];
    }
    return o;
  }

  private void addBlock(int at, Block block, InsertContext ctx) {
    ensureBlockRoom(blockCount + 1, ctx);
    System.arraycopy(blocks, at, blocks, at + 1, blockCount - at);
    blocks[at] = block;
    blockCount++;
    ctx.memoryDelta += block.memoryBytes();
  }

  private void replaceBlock(int at, Block[] replacement, int count, InsertContext ctx) {
    int extra = count - 1;
    ensureBlockRoom(blockCount + extra, ctx);
    System.arraycopy(blocks, at + 1, blocks, at + 1 + extra, blockCount - at - 1);
    System.arraycopy(replacement, 0, blocks, at, count);
    blockCount += extra;
  }

  private void ensureBlockRoom(int needed, InsertContext ctx) {
    if (needed > blocks.length) {
      int size = Math.max(needed, blocks.length * 2);
      ctx.memoryDelta += 4L * (size - blocks.length);
      blocks = Arrays.copyOf(blocks, size);
    }
  }

  /** Whether {@code ts} is in the stream. */
  boolean contains(long ts, long[] scratch) {
    int b = findBlock(ts);
    return b >= 0 && blocks[b].contains(ts, scratch);
  }
}
