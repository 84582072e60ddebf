package dev.depot.connect;

import dev.depot.connect.internal.QueueReplayer;
import dev.depot.connect.internal.SourceMetrics;
import dev.depot.connect.internal.SourceQueues;
import dev.depot.connect.internal.SourceQueues.QueueRef;
import dev.depot.connect.internal.TaskMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays the depot queues the connector assigned to it into Kafka.
 *
 * <ul>
 *   <li>{@link #start}: opens each queue read-only and positions it after the record of its
 *       committed source offset, or where {@code replay.start} says when there is none.
 *   <li>{@link #poll}: up to {@code replay.batch.max.records} records, taken from the queues in
 *       turn; when all are caught up it waits up to {@code replay.poll.wait.ms} for appends, then
 *       returns nothing.
 * </ul>
 *
 * With the worker's {@code exactly.once.source.support=enabled}, each poll's records and their
 * source offsets (depot ids) are committed in one producer transaction, so a task that dies resumes
 * exactly after the last committed record.
 */
public class DepotSourceTask extends SourceTask {
  private static final Logger LOG = LoggerFactory.getLogger(DepotSourceTask.class);

  /** Task config key: the queues of this task, {@code topic/partition} comma-separated. */
  static final String QUEUES_CONFIG = "depot.source.task.queues";

  private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private DepotSourceConfig config;
  private SourceMetrics metrics;
  private final List<QueueReplayer> replayers = new ArrayList<>();
  private int next;
  private volatile boolean stopping;
  private volatile Thread polling;

  /** Held by a poll, and by stop to close the queues once no poll reads them. */
  private final Object lock = new Object();

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = new DepotSourceConfig(props);
    List<QueueRef> queues = new ArrayList<>();
    String assigned = props.getOrDefault(QUEUES_CONFIG, "");
    for (String name : assigned.split(",")) {
      if (!name.isBlank()) {
        queues.add(QueueRef.parse(name.trim()));
      }
    }
    SourceQueues.checkRoot(Path.of(config.path()), DepotSourceConfig.PATH_CONFIG);
    List<Map<String, Object>> partitions = new ArrayList<>();
    for (QueueRef ref : queues) {
      partitions.add(QueueReplayer.sourcePartition(ref));
    }
    Map<Map<String, Object>, Map<String, Object>> committed = committedOffsets(partitions);
    // made once nothing above can fail: the worker calls no stop() after a failed start()
    metrics = new SourceMetrics(TaskMetrics.plugin(() -> context.pluginMetrics()));
    try {
      for (QueueRef ref : queues) {
        replayers.add(
            QueueReplayer.open(
                config, ref, committed.get(QueueReplayer.sourcePartition(ref)), metrics));
      }
    } catch (RuntimeException e) {
      closeAll();
      throw e;
    }
    LOG.info("replaying {} depot queues: {}", replayers.size(), queues);
  }

  private Map<Map<String, Object>, Map<String, Object>> committedOffsets(
      List<Map<String, Object>> partitions) {
    OffsetStorageReader reader = context.offsetStorageReader();
    Map<Map<String, Object>, Map<String, Object>> offsets =
        reader == null || partitions.isEmpty() ? null : reader.offsets(partitions);
    return offsets == null ? Map.of() : offsets;
  }

  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    synchronized (lock) {
      polling = Thread.currentThread();
      try {
        return pollQueues();
      } finally {
        polling = null;
      }
    }
  }

  private List<SourceRecord> pollQueues() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.pollWaitMs());
    long pause = TimeUnit.MICROSECONDS.toNanos(500);
    int max = config.batchMaxRecords();
    while (!stopping) {
      List<SourceRecord> out = new ArrayList<>();
      boolean allFinished = true;
      int n = replayers.size();
      for (int i = 0; i < n && out.size() < max; i++) {
        QueueReplayer replayer = replayers.get((next + i) % n);
        if (!replayer.finished()) {
          replayer.readInto(out, max - out.size());
          allFinished &= replayer.finished();
        }
      }
      next = n == 0 ? 0 : (next + 1) % n;
      if (!out.isEmpty()) {
        return out;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      // Caught up (or finished): wait for the sink's next write to reach the file system.
      LockSupport.parkNanos(allFinished ? left : Math.min(pause, left));
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
      pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
    }
    return null;
  }

  @Override
  public void stop() {
    stopping = true;
    Thread poller = polling;
    if (poller != null) {
      LockSupport.unpark(poller); // a waiting poll sees the flag and returns at once
    }
    synchronized (lock) {
      closeAll();
    }
  }

  /** Releases the queues and the metrics. */
  private void closeAll() {
    ConnectException failure = null;
    for (QueueReplayer replayer : replayers) {
      try {
        replayer.close();
      } catch (RuntimeException e) {
        failure = new ConnectException("cannot close the depot queue of " + replayer.ref(), e);
      }
    }
    replayers.clear();
    if (metrics != null) {
      metrics.close();
    }
    if (failure != null) {
      throw failure;
    }
  }
}
