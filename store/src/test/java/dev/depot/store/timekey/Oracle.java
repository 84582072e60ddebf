package dev.depot.store.timekey;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a {@link TimeKeyStreamSet} must answer, modelled with a {@code HashSet}: the same segment
 * arithmetic, the same retention rule (whole segments ending before newest - retention are dropped,
 * keys in dropped time are answered new and not stored).
 */
final class Oracle {
  final long interval;
  final long retention;
  final Set<TimeKey> keys = new HashSet<>();
  long newest = Long.MIN_VALUE;
  long droppedBelow = Long.MIN_VALUE;

  Oracle(long intervalMicros, long retentionMicros) {
    this.interval = intervalMicros;
    this.retention = retentionMicros;
  }

  /** Floor division, the lowest segment cut off at Long.MIN_VALUE (written out, not shared). */
  long segmentOf(long micros) {
    java.math.BigInteger start =
        java.math.BigInteger.valueOf(Math.floorDiv(micros, interval))
            .multiply(java.math.BigInteger.valueOf(interval));
    return start.max(java.math.BigInteger.valueOf(Long.MIN_VALUE)).longValueExact();
  }

  boolean[] insert(List<TimeKey> batch) {
    long below = droppedBelow;
    boolean[] answers = new boolean[batch.size()];
    for (int i = 0; i < batch.size(); i++) {
      TimeKey key = batch.get(i);
      newest = Math.max(newest, key.micros());
      answers[i] = segmentOf(key.micros()) < below || keys.add(key);
    }
    if (retention >= 0 && newest != Long.MIN_VALUE) {
      long horizon =
          segmentOf(newest < Long.MIN_VALUE + retention ? Long.MIN_VALUE : newest - retention);
      if (horizon > droppedBelow) {
        drop(horizon);
      }
    }
    return answers;
  }

  void expireBefore(long micros) {
    drop(segmentOf(micros));
  }

  private void drop(long below) {
    droppedBelow = Math.max(droppedBelow, below);
    keys.removeIf(k -> segmentOf(k.micros()) < droppedBelow);
  }
}
