package dev.depot.store.internal.timekey;

/**
 * The streams of one time interval that is resident in memory. Inserts of different ids run in
 * parallel (each stream has its own monitor); the owning {@link Slot}'s lock keeps eviction and
 * checkpoints out while they run.
 */
final class Segment {
  final long startMicros;
  final LongObjectMap<Stream> streams = new LongObjectMap<>();

  Segment(long startMicros) {
    this.startMicros = startMicros;
  }

  /** Inserts a run of keys of one id; returns how many were added. */
  int insert(long id, long[] micros, int from, int to, boolean[] isNew, InsertContext ctx) {
    Stream stream = streams.get(id);
    if (stream == null) {
      stream =
          streams.computeIfAbsent(
              id,
              key -> {
                ctx.memoryDelta += Stream.OVERHEAD_BYTES + 8;
                return new Stream(key);
              });
    }
    synchronized (stream) {
      return stream.insert(micros, from, to, isNew, ctx);
    }
  }

  boolean contains(long micros, long id, long[] scratch) {
    Stream stream = streams.get(id);
    if (stream == null) {
      return false;
    }
    synchronized (stream) {
      return stream.contains(micros, scratch);
    }
  }
}
