package dev.depot.streams.internal;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Time keys not yet known to be committed, in memory only: never written to the store's files, lost
 * in a crash (as the transaction or the unacknowledged input they came from). Kept in generations,
 * each tagged with the commit count at which it was opened: a generation is committed once the
 * count has moved past its tag. Not thread-safe (one stream thread uses a store at a time).
 */
final class Overlay {
  /** One generation: an open-addressing hash set of 128-bit keys plus their insertion order. */
  static final class Generation {
    final long tag;
    private long[] table = new long[2 * 1024]; // pairs: micros, id; slot empty when id == EMPTY
    private boolean[] used = new boolean[1024];
    private long[] micros = new long[256];
    private long[] ids = new long[256];
    private int size;

    Generation(long tag) {
      this.tag = tag;
    }

    int size() {
      return size;
    }

    long[] micros() {
      return micros;
    }

    long[] ids() {
      return ids;
    }

    boolean contains(long m, long id) {
      int mask = used.length - 1;
      for (int slot = hash(m, id) & mask; used[slot]; slot = (slot + 1) & mask) {
        if (table[2 * slot] == m && table[2 * slot + 1] == id) {
          return true;
        }
      }
      return false;
    }

    /** Adds a key; false when it was there. */
    boolean add(long m, long id) {
      if ((size + 1) * 2 > used.length) {
        rehash(used.length * 2);
      }
      int mask = used.length - 1;
      int slot = hash(m, id) & mask;
      while (used[slot]) {
        if (table[2 * slot] == m && table[2 * slot + 1] == id) {
          return false;
        }
        slot = (slot + 1) & mask;
      }
      used[slot] = true;
      table[2 * slot] = m;
      table[2 * slot + 1] = id;
      if (size == micros.length) {
        micros = Arrays.copyOf(micros, size * 2);
        ids = Arrays.copyOf(ids, size * 2);
      }
      micros[size] = m;
      ids[size++] = id;
      return true;
    }

    /** Bytes of memory it takes, about. */
    long bytes() {
      return table.length * 8L + used.length + micros.length * 16L;
    }

    private void rehash(int slots) {
      long[] oldTable = table;
      boolean[] oldUsed = used;
      table = new long[2 * slots];
      used = new boolean[slots];
      int mask = slots - 1;
      for (int s = 0; s < oldUsed.length; s++) {
        if (oldUsed[s]) {
          long m = oldTable[2 * s];
          long id = oldTable[2 * s + 1];
          int slot = hash(m, id) & mask;
          while (used[slot]) {
            slot = (slot + 1) & mask;
          }
          used[slot] = true;
          table[2 * slot] = m;
          table[2 * slot + 1] = id;
        }
      }
    }

    private static int hash(long m, long id) {
      long h = m * 0x9E3779B97F4A7C15L ^ id * 0xC2B2AE3D27D4EB4FL;
      h ^= h >>> 29;
      return (int) (h ^ (h >>> 32));
    }
  }

  private final Deque<Generation> generations = new ArrayDeque<>();

  /** The generation new keys go to: opened when the commit count has moved. */
  Generation current(long commitCount) {
    Generation last = generations.peekLast();
    if (last == null || last.tag != commitCount) {
      last = new Generation(commitCount);
      generations.addLast(last);
    }
    return last;
  }

  boolean contains(long m, long id) {
    for (Generation g : generations) {
      if (g.contains(m, id)) {
        return true;
      }
    }
    return false;
  }

  /** Removes and returns the oldest generation whose tag is below {@code commitCount}, or null. */
  Generation pollCommitted(long commitCount) {
    Generation first = generations.peekFirst();
    if (first != null && first.tag < commitCount) {
      return generations.pollFirst();
    }
    return null;
  }

  /** Removes and returns the oldest generation, or null. */
  Generation poll() {
    return generations.pollFirst();
  }

  boolean isEmpty() {
    return generations.isEmpty();
  }

  long keys() {
    long n = 0;
    for (Generation g : generations) {
      n += g.size();
    }
    return n;
  }

  long bytes() {
    long n = 0;
    for (Generation g : generations) {
      n += g.bytes();
    }
    return n;
  }

  void clear() {
    generations.clear();
  }
}
