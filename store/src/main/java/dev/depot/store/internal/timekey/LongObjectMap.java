package dev.depot.store.internal.timekey;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.StampedLock;
import java.util.function.LongFunction;

/**
 * A map from {@code long} to objects for many concurrent readers and rare writers, without boxing:
 * open addressing with linear probing, lookups under an optimistic read of a {@link StampedLock}.
 */
final class LongObjectMap<V> {
  /** Keys and values replaced together on resize, so an optimistic reader sees a matching pair. */
  private static final class Table {
    final long[] keys;
    final Object[] values;

    Table(int capacity) {
      keys = new long[capacity];
      values = new Object[capacity];
    }
  }

  private final StampedLock lock = new StampedLock();
  private volatile Table table = new Table(16);
  private int size;

  V get(long key) {
    long stamp = lock.tryOptimisticRead();
    V found = find(table, key);
    if (lock.validate(stamp)) {
      return found;
    }
    stamp = lock.readLock();
    try {
      return find(table, key);
    } finally {
      lock.unlockRead(stamp);
    }
  }

  V computeIfAbsent(long key, LongFunction<V> create) {
    V found = get(key);
    if (found != null) {
      return found;
    }
    long stamp = lock.writeLock();
    try {
      found = find(table, key);
      if (found == null) {
        found = create.apply(key);
        put(key, found);
      }
      return found;
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  /** Adds or replaces. */
  void putValue(long key, V value) {
    long stamp = lock.writeLock();
    try {
      put(key, value);
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  void remove(long key) {
    long stamp = lock.writeLock();
    try {
      Table t = table;
      int mask = t.keys.length - 1;
      int i = slot(key, mask);
      while (t.values[i] != null && t.keys[i] != key) {
        i = (i + 1) & mask;
      }
      if (t.values[i] == null) {
        return;
      }
      // Backward-shift deletion keeps every probe sequence unbroken.
      int hole = i;
      int j = (i + 1) & mask;
      while (t.values[j] != null) {
        int home = slot(t.keys[j], mask);
        if (((j - home) & mask) >= ((j - hole) & mask)) {
          t.keys[hole] = t.keys[j];
          t.values[hole] = t.values[j];
          hole = j;
        }
        j = (j + 1) & mask;
      }
      t.values[hole] = null;
      t.keys[hole] = 0;
      size--;
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  /** A snapshot of the values. */
  @SuppressWarnings("unchecked")
  List<V> values() {
    long stamp = lock.readLock();
    try {
      List<V> out = new ArrayList<>(size);
      for (Object v : table.values) {
        if (v != null) {
          out.add((V) v);
        }
      }
      return out;
    } finally {
      lock.unlockRead(stamp);
    }
  }

  int size() {
    long stamp = lock.readLock();
    try {
      return size;
    } finally {
      lock.unlockRead(stamp);
    }
  }

  private void put(long key, V value) {
    if ((size + 1) * 4 > table.keys.length * 3) {
      Table bigger = new Table(table.keys.length * 2);
      Table old = table;
      for (int i = 0; i < old.keys.length; i++) {
        if (old.values[i] != null) {
          insert(bigger, old.keys[i], old.values[i]);
        }
      }
      table = bigger;
    }
    if (insert(table, key, value)) {
      size++;
    }
  }

  private static boolean insert(Table t, long key, Object value) {
    int mask = t.keys.length - 1;
    int i = slot(key, mask);
    while (t.values[i] != null) {
      if (t.keys[i] == key) {
        t.values[i] = value;
        return false;
      }
      i = (i + 1) & mask;
    }
    t.keys[i] = key;
    t.values[i] = value;
    return true;
  }

  @SuppressWarnings("unchecked")
  private static <V> V find(Table t, long key) {
    long[] keys = t.keys;
    Object[] values = t.values;
    int mask = keys.length - 1;
    int i = slot(key, mask);
    for (int probes = 0; probes <= mask; probes++) {
      Object v = values[i];
      if (v == null) {
        return null;
      }
      if (keys[i] == key) {
        return (V) v;
      }
      i = (i + 1) & mask;
    }
    return null;
  }

  private static int slot(long key, int mask) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }
}
