package dev.depot.connect.internal;

import dev.depot.connect.DepotSourceConfig;
import dev.depot.connect.DepotSourceConfig.Partitioning;
import dev.depot.connect.DepotSourceConfig.Start;
import dev.depot.connect.DepotSourceConfig.Stop;
import dev.depot.connect.internal.SourceQueues.QueueRef;
import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.store.DepotCorruptionException;
import dev.depot.store.DepotException;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays one queue, opened read-only (a sink may be writing it): reads its records from where the
 * replay starts or resumes, turns each into a {@link SourceRecord} with the queue as source
 * partition and the record's depot id as source offset, and stops where the replay ends. One thread
 * at a time (the task's); the metric gauges may be read from others.
 *
 * <h2>Source partition and offset</h2>
 *
 * <pre>
 * partition: {"queue": "&lt;topic&gt;/&lt;partition&gt;"}
 * offset:    {"id": depot id of the record, "offset": its Kafka offset,
 *             "end": depot id of the last record to replay, or -1 to tail for ever}
 * </pre>
 *
 * A resumed replay streams from {@code id + 1} (the first record whose id is larger) and keeps the
 * {@code end} it had, so that {@code replay.stop=end} means the end as of the first start.
 */
public final class QueueReplayer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(QueueReplayer.class);

  /** Source partition key. */
  public static final String PARTITION_KEY = "queue";

  /** Source offset keys. */
  public static final String ID_KEY = "id";

  public static final String OFFSET_KEY = "offset";
  public static final String END_KEY = "end";

  private static final long LAG_REFRESH_NANOS = 5_000_000_000L;

  private final QueueRef ref;
  private final Path dir;
  private final DepotQueue queue;
  private final boolean envelope;
  private final Map<String, Object> sourcePartition;
  private final String targetTopic;
  private final Integer targetPartition;
  private final boolean originHeaders;
  private final String offsetHeader;

  /**
   * The origin topic and partition headers, the same on every record of the queue: built (and their
   * schema checked) once, then shared by the records, as their byte arrays were before. Headers are
   * immutable.
   */
  private final Header originTopic;

  private final Header originPartition;
  private final long stopTimestampMs;
  private final boolean tolerateErrors;
  private final SourceMetrics metrics;

  /** Depot id of the last record to replay; {@link Long#MAX_VALUE} to tail for ever. */
  private final long endId;

  private final DepotCursor cursor;
  private boolean finished;

  /**
   * With replay.start=timestamp on a queue without frame timestamps: records are skipped until the
   * first whose envelope timestamp is at least this; {@link Long#MIN_VALUE} once found (or never
   * needed).
   */
  private long skipBeforeMs = Long.MIN_VALUE;

  private volatile long lastOffset;
  private volatile long storedOffset = -1;
  private volatile long storedOffsetAt;

  private QueueReplayer(
      DepotSourceConfig config,
      QueueRef ref,
      Path dir,
      DepotQueue queue,
      boolean envelope,
      Map<String, ?> committed,
      SourceMetrics metrics) {
    this.ref = ref;
    this.dir = dir;
    this.queue = queue;
    this.envelope = envelope;
    this.metrics = metrics;
    this.sourcePartition = sourcePartition(ref);
    this.targetTopic = config.targetTopic(ref.topic());
    this.targetPartition = config.partitioning() == Partitioning.SAME ? ref.partition() : null;
    this.originHeaders = config.originHeaders();
    this.offsetHeader = config.originOffsetHeader();
    this.originTopic =
        bytesHeader(config.originTopicHeader(), ref.topic().getBytes(StandardCharsets.UTF_8));
    this.originPartition =
        bytesHeader(
            config.originPartitionHeader(),
            Integer.toString(ref.partition()).getBytes(StandardCharsets.UTF_8));
    this.tolerateErrors = config.toleratesErrors();
    Stop stop = config.stop();
    this.stopTimestampMs = stop == Stop.TIMESTAMP ? config.stopTimestampMs() : Long.MAX_VALUE;
    boolean timed = oldestHasTimestamp(queue);
    if (!envelope && !timed && (stop == Stop.TIMESTAMP || config.start() == Start.TIMESTAMP)) {
      throw new ConnectException(
          "the queue at "
              + dir
              + " holds depot.format=value items without timestamps: replay.start=timestamp"
              + " and replay.stop=timestamp need envelope queues or timestamped items; use"
              + " replay.start=offsets or leave this topic out of source.topics");
    }

    Number committedId = committed == null ? null : (Number) committed.get(ID_KEY);
    long end;
    if (committedId != null) {
      Number committedEnd = (Number) committed.get(END_KEY);
      Number committedOffset = (Number) committed.get(OFFSET_KEY);
      lastOffset = committedOffset == null ? -1 : committedOffset.longValue();
      end =
          stop == Stop.NEVER
              ? Long.MAX_VALUE
              : committedEnd != null && committedEnd.longValue() >= 0
                  ? committedEnd.longValue()
                  : queue.lastId();
      this.endId = end;
      this.cursor = queue.stream(committedId.longValue() + 1); // the index finds any id
      LOG.info(
          "{}: resuming the replay of {} after depot id {} (offset {})",
          ref,
          dir,
          DepotIds.toString(committedId.longValue()),
          lastOffset);
    } else {
      lastOffset = -1;
      end = stop == Stop.NEVER ? Long.MAX_VALUE : queue.lastId();
      this.endId = end;
      this.cursor = startCursor(config, timed);
      LOG.info(
          "{}: replaying {} from {}{}",
          ref,
          dir,
          config.start().name().toLowerCase(java.util.Locale.ROOT),
          skipBeforeMs == Long.MIN_VALUE
              ? ""
              : " (no timestamps in the frames: reading from the oldest record, skipping by"
                  + " envelope timestamp)");
    }
    if (end < 0) {
      finish("the queue held no record when its replay started");
    }
    metrics.queue(ref, this::lag, () -> lastOffset);
  }

  /** A header of optional bytes, built as records' headers are. */
  private static Header bytesHeader(String key, byte[] value) {
    ConnectHeaders one = new ConnectHeaders();
    one.add(key, value, Schema.OPTIONAL_BYTES_SCHEMA);
    return one.lastWithName(key);
  }

  /** The source partition of a queue's records. */
  public static Map<String, Object> sourcePartition(QueueRef ref) {
    return Map.of(PARTITION_KEY, ref.toString());
  }

  /**
   * Opens the queue of {@code ref} under {@code depot.path} read-only, positioned after the record
   * of {@code committed} (the task's source offset for it, or null).
   */
  public static QueueReplayer open(
      DepotSourceConfig config, QueueRef ref, Map<String, ?> committed, SourceMetrics metrics) {
    Path dir = ref.directory(Path.of(config.path()));
    boolean envelope = readFormat(dir);
    DepotQueue queue;
    try {
      queue = DepotQueue.builder(dir).readOnly(true).build();
    } catch (DepotException e) {
      throw new ConnectException(
          "cannot open the depot queue " + dir + " (depot.path=" + config.path() + "): " + e, e);
    }
    try {
      return new QueueReplayer(config, ref, dir, queue, envelope, committed, metrics);
    } catch (RuntimeException e) {
      try {
        queue.close();
      } catch (RuntimeException closing) {
        e.addSuppressed(closing);
      }
      if (e instanceof DepotException) {
        throw new ConnectException("cannot replay the depot queue " + dir + ": " + e, e);
      }
      throw e;
    }
  }

  /** True for an envelope queue, false for a value queue, as its depot.format file says. */
  private static boolean readFormat(Path dir) {
    Path file = dir.resolve(PartitionWriter.FORMAT_FILE);
    String format;
    try {
      format = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
    } catch (NoSuchFileException e) {
      throw new ConnectException(
          "no depot queue at "
              + dir
              + ": "
              + file
              + " is missing (was the directory deleted, or not written by the depot sink?)");
    } catch (IOException e) {
      throw new ConnectException("cannot read " + file + ": " + e, e);
    }
    if (format.equals("envelope")) {
      return true;
    }
    if (format.equals("value")) {
      return false;
    }
    throw new ConnectException(
        file
            + " holds '"
            + format
            + "', not envelope or value: the directory was not written by this version of the"
            + " depot sink");
  }

  /**
   * Where a replay with no committed offset starts. By Kafka offset: the store's index over tags.
   * By timestamp: the store's index over frame timestamps when the queue's records carry them;
   * queues the sink wrote with the timestamp in the envelope only are read from the oldest record,
   * skipping until the first stamped at or after it ({@link #skipBeforeMs}).
   */
  private DepotCursor startCursor(DepotSourceConfig config, boolean timed) {
    switch (config.start()) {
      case TIMESTAMP:
        if (timed) {
          return queue.streamFromTimestamp(config.startTimestampMs());
        }
        skipBeforeMs = config.startTimestampMs();
        return queue.stream();
      case OFFSETS:
        Long offset = config.startOffsets().get(ref.toString());
        return offset == null ? queue.stream() : queue.streamFromTag(offset);
      default:
        return queue.stream();
    }
  }

  /**
   * Whether the oldest complete record carries a timestamp in its frame (appendTimed); true for a
   * queue with no complete record yet, which the sink will fill with timed records (it has written
   * every record with its timestamp in the frame since segment format version 2).
   */
  private static boolean oldestHasTimestamp(DepotQueue queue) {
    try (DepotCursor c = queue.stream()) {
      while (true) {
        DepotRecord r;
        try {
          r = c.next();
        } catch (DepotCorruptionException e) {
          continue;
        }
        if (r == null) {
          return true;
        }
        if (r.complete()) {
          return r.timestamp() != DepotRecord.NO_TIMESTAMP;
        }
      }
    }
  }

  public QueueRef ref() {
    return ref;
  }

  /** Whether the replay of this queue reached its stop. */
  public boolean finished() {
    return finished;
  }

  private void finish(String why) {
    if (!finished) {
      finished = true;
      LOG.info("{}: replay of {} finished: {}", ref, dir, why);
    }
  }

  /**
   * Appends up to {@code max} records to {@code out}; returns how many. Returns fewer when the
   * queue holds no more yet, or its replay finished.
   *
   * @throws ConnectException on a corrupt record, unless {@code errors.tolerance=all}
   */
  public int readInto(List<SourceRecord> out, int max) {
    int added = 0;
    long bytes = 0;
    try {
      while (added < max && !finished) {
        DepotRecord record;
        try {
          record = cursor.next();
        } catch (DepotCorruptionException e) {
          corrupt("a corrupt record: " + e.getMessage(), e);
          continue;
        } catch (DepotException e) {
          throw new ConnectException("cannot read the depot queue " + dir + ": " + e, e);
        }
        if (record == null) {
          if (endId != Long.MAX_VALUE) {
            // every record up to the end was visible when the replay started: none is left
            finish("replayed up to the end it had when its replay started");
          }
          break;
        }
        long id = record.id();
        if (id > endId) {
          finish("replayed up to the end it had when its replay started");
          break;
        }
        if (!record.complete()) {
          LOG.info(
              "{}: stepping over the partial record a crash left at {} in {}",
              ref,
              DepotIds.toString(id),
              dir);
          continue;
        }
        SourceRecord converted = envelope ? fromEnvelope(record) : fromValue(record);
        if (converted == null) {
          continue;
        }
        if (finished) {
          break;
        }
        out.add(converted);
        added++;
        bytes += record.length();
      }
    } finally {
      metrics.replayed(added, bytes); // once per read, not per record
    }
    return added;
  }

  private SourceRecord fromEnvelope(DepotRecord record) {
    DepotEnvelope e;
    try {
      e = EnvelopeCodec.decode(record.buffer()); // one copy: out of the segment into key and value
    } catch (IllegalArgumentException ex) {
      corrupt(
          "the record at depot id "
              + DepotIds.toString(record.id())
              + " is not a depot envelope ("
              + ex.getMessage()
              + ")",
          ex);
      return null;
    }
    Long timestamp =
        record.timestamp() != DepotRecord.NO_TIMESTAMP ? (Long) record.timestamp() : e.timestamp();
    if (skipBeforeMs != Long.MIN_VALUE) {
      if (timestamp == null || timestamp < skipBeforeMs) {
        return null;
      }
      skipBeforeMs = Long.MIN_VALUE;
    }
    if (timestamp != null && timestamp > stopTimestampMs) {
      finish("reached a record stamped after replay.stop.timestamp");
      return null;
    }
    ConnectHeaders headers = new ConnectHeaders();
    for (DepotEnvelope.Header h : e.headers()) {
      headers.add(h.key(), h.value(), Schema.OPTIONAL_BYTES_SCHEMA);
    }
    return build(record.id(), e.offset(), e.key(), e.value(), e.timestamp(), headers);
  }

  private SourceRecord fromValue(DepotRecord record) {
    long offset = record.tag();
    if (offset == DepotRecord.NO_TAG) {
      corrupt(
          "the record at depot id "
              + DepotIds.toString(record.id())
              + " carries no offset tag (not written by the depot sink)",
          null);
      return null;
    }
    Long timestamp = record.timestamp() != DepotRecord.NO_TIMESTAMP ? record.timestamp() : null;
    if (timestamp != null && timestamp > stopTimestampMs) {
      finish("reached a record stamped after replay.stop.timestamp");
      return null;
    }
    return build(record.id(), offset, null, record.item(), timestamp, new ConnectHeaders());
  }

  private SourceRecord build(
      long id, long offset, byte[] key, byte[] value, Long timestamp, ConnectHeaders headers) {
    if (originHeaders) {
      headers.add(originTopic);
      headers.add(originPartition);
      headers.add(offsetHeader, decimalAscii(offset), Schema.OPTIONAL_BYTES_SCHEMA);
    }
    Map<String, Object> sourceOffset = new HashMap<>(4);
    sourceOffset.put(ID_KEY, id);
    sourceOffset.put(OFFSET_KEY, offset);
    sourceOffset.put(END_KEY, endId == Long.MAX_VALUE ? -1L : endId);
    lastOffset = offset;
    return new SourceRecord(
        sourcePartition,
        sourceOffset,
        targetTopic,
        targetPartition,
        Schema.OPTIONAL_BYTES_SCHEMA,
        key,
        Schema.OPTIONAL_BYTES_SCHEMA,
        value,
        timestamp,
        headers);
  }

  /**
   * The bytes of {@code Long.toString(value)} in UTF-8 (ASCII digits), written straight into an
   * array of the right size: the origin offset header's value, built for every record.
   */
  static byte[] decimalAscii(long value) {
    if (value < 0) {
      return Long.toString(value).getBytes(StandardCharsets.UTF_8); // not a Kafka offset: rare
    }
    int digits = 1;
    for (long v = value; v >= 10; v /= 10) {
      digits++;
    }
    byte[] out = new byte[digits];
    long v = value;
    for (int i = digits - 1; i >= 0; i--) {
      out[i] = (byte) ('0' + (int) (v % 10));
      v /= 10;
    }
    return out;
  }

  private void corrupt(String what, Exception cause) {
    String message = ref + ": " + what + " in " + dir;
    if (!tolerateErrors) {
      throw new ConnectException(
          message
              + "; set errors.tolerance=all to step over corrupt records (each is logged and"
              + " counted), or check the queue with `depot verify "
              + dir
              + "`",
          cause);
    }
    LOG.warn("{}; stepping over it (errors.tolerance=all)", message);
    metrics.corruptSkipped();
  }

  /** Kafka offsets from the last replayed record to the newest stored, read at most every 5 s. */
  private long lag() {
    if (finished) {
      return 0;
    }
    long now = System.nanoTime();
    if (storedOffset < 0 || now - storedOffsetAt > LAG_REFRESH_NANOS) {
      storedOffsetAt = now;
      try {
        long last = queue.lastId();
        if (last >= 0) {
          try (DepotCursor c = queue.stream(last)) {
            DepotRecord r = c.next();
            if (r != null && r.tag() != DepotRecord.NO_TAG) {
              storedOffset = r.tag();
            }
          }
        }
      } catch (RuntimeException e) {
        return -1; // closed or unreadable meanwhile
      }
    }
    return storedOffset < 0 ? 0 : Math.max(0, storedOffset - lastOffset);
  }

  @Override
  public void close() {
    try {
      cursor.close();
    } finally {
      queue.close();
    }
  }
}
