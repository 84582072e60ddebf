package dev.depot.streams.internal;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;

/**
 * Under at-least-once, the keys restored from changelog records whose input records are not known
 * committed, by source (input partition and offset): a record processed again after a crash finds
 * its own keys here and forwards them again. Entries leave when a commit covers their offset (then
 * their keys are committed). Not thread-safe.
 */
final class Tentative {
  /** Keys of one source record; {@link Overlay.Generation} gives membership and order. */
  static final class Keys {
    private final Overlay.Generation keys = new Overlay.Generation(0);

    int size() {
      return keys.size();
    }

    long micros(int i) {
      return keys.micros()[i];
    }

    long id(int i) {
      return keys.ids()[i];
    }

    long[] micros() {
      return keys.micros();
    }

    long[] ids() {
      return keys.ids();
    }

    boolean contains(long m, long id) {
      return keys.contains(m, id);
    }

    void add(long m, long id) {
      keys.add(m, id);
    }
  }

  private final Map<TopicPartition, NavigableMap<Long, Keys>> bySource = new HashMap<>();

  /** Every tentative key (and some committed since): answers "seen?" in one lookup. */
  private Overlay.Generation all = new Overlay.Generation(0);

  private long entries;

  boolean isEmpty() {
    return entries == 0;
  }

  long keys() {
    long n = 0;
    for (NavigableMap<Long, Keys> m : bySource.values()) {
      for (Keys k : m.values()) {
        n += k.size();
      }
    }
    return n;
  }

  void add(TopicPartition input, long offset, long[] micros, long[] ids, int n) {
    Keys keys = bySource.computeIfAbsent(input, p -> new TreeMap<>()).get(offset);
    if (keys == null) {
      keys = new Keys();
      bySource.get(input).put(offset, keys);
      entries++;
    }
    for (int i = 0; i < n; i++) {
      keys.add(micros[i], ids[i]);
      all.add(micros[i], ids[i]);
    }
  }

  Keys get(TopicPartition input, long offset) {
    NavigableMap<Long, Keys> m = bySource.get(input);
    return m == null ? null : m.get(offset);
  }

  boolean contains(long micros, long id) {
    return entries > 0 && all.contains(micros, id);
  }

  /**
   * Removes the entries of {@code input} at or below {@code offset}, now known committed; returns
   * their keys, or null when there were none.
   */
  Keys committedThrough(TopicPartition input, long offset) {
    NavigableMap<Long, Keys> m = bySource.get(input);
    if (m == null || offset < 0) {
      return null;
    }
    Keys out = null;
    Iterator<Keys> done = m.headMap(offset, true).values().iterator();
    while (done.hasNext()) {
      Keys keys = done.next();
      if (out == null) {
        out = keys;
      } else {
        for (int i = 0; i < keys.size(); i++) {
          out.add(keys.micros(i), keys.id(i));
        }
      }
      done.remove();
      entries--;
    }
    if (m.isEmpty()) {
      bySource.remove(input);
    }
    if (entries == 0) {
      all = new Overlay.Generation(0);
    }
    return out;
  }
}
