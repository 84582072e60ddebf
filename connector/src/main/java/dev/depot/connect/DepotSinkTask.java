package dev.depot.connect;

import dev.depot.connect.internal.HeaderCheck;
import dev.depot.connect.internal.PartitionWriter;
import dev.depot.connect.internal.RecordEncoder;
import dev.depot.connect.internal.RecordEncoder.BadRecordException;
import dev.depot.connect.internal.SinkMetrics;
import dev.depot.connect.internal.TaskMetrics;
import dev.depot.connect.internal.WriteBehind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the records of its assigned partitions to their depot queues, exactly once.
 *
 * <ul>
 *   <li>{@link #open}: opens each partition's queue and rewinds the consumer to the record after
 *       the last one the queue holds (its offset is stored with it).
 *   <li>{@link #put}: appends each record with its offset; a record the queue already holds (a
 *       redelivery) is skipped, so nothing is written twice.
 *   <li>{@link #preCommit}: with {@code depot.sync.policy=commit} fsyncs the queues first; returns
 *       for each partition only offsets whose records are on stable storage. Queues that fill are
 *       also synced in the background meanwhile ({@code WriteBehind}), so that the fsync here has
 *       little left to write.
 *   <li>Header values that did not arrive as bytes (a parsing header converter) fail the task
 *       before they are stored, unless {@code behavior.on.converted.headers=write}.
 *   <li>{@link #flush}: does nothing: no fsync behind Connect's back.
 * </ul>
 */
public class DepotSinkTask extends SinkTask {
  private static final Logger LOG = LoggerFactory.getLogger(DepotSinkTask.class);

  private DepotSinkConfig config;
  private RecordEncoder encoder;
  private boolean checkHeaders;
  private ErrantRecordReporter reporter;
  private SinkMetrics metrics;
  private WriteBehind writeBehind;
  private final Map<TopicPartition, PartitionWriter> writers = new HashMap<>();
  private final List<Future<Void>> reports = new ArrayList<>();

  @Override
  public String version() {
    return Version.get();
  }

  @Override
  public void start(Map<String, String> props) {
    config = new DepotSinkConfig(props);
    encoder = new RecordEncoder(config);
    checkHeaders = HeaderCheck.applies(config);
    reporter = config.toleratesErrors() ? errantRecordReporter() : null;
    metrics = new SinkMetrics(TaskMetrics.plugin(() -> context.pluginMetrics()));
    if (config.syncPolicy() == DepotSinkConfig.SyncPolicy.COMMIT) {
      writeBehind = new WriteBehind(props.getOrDefault("name", "task"));
    }
  }

  private ErrantRecordReporter errantRecordReporter() {
    try {
      return context.errantRecordReporter();
    } catch (NoSuchMethodError | NoClassDefFoundError e) {
      return null; // a worker older than KIP-610
    }
  }

  @Override
  public void open(Collection<TopicPartition> partitions) {
    for (TopicPartition tp : partitions) {
      PartitionWriter writer = PartitionWriter.open(config, tp, metrics, writeBehind);
      writers.put(tp, writer);
      long next = writer.nextOffset();
      if (next >= 0) {
        context.offset(tp, next);
        LOG.info(
            "{}: resuming at offset {} after the last record in {}", tp, next, writer.directory());
      }
    }
  }

  @Override
  public void put(Collection<SinkRecord> records) {
    Set<PartitionWriter> started = new HashSet<>();
    for (SinkRecord record : records) {
      TopicPartition tp =
          new TopicPartition(record.originalTopic(), record.originalKafkaPartition());
      PartitionWriter writer = writers.get(tp);
      if (writer == null) {
        throw new ConnectException(
            "received the record at "
                + RecordEncoder.describe(record)
                + " for a partition this task was not assigned");
      }
      if (started.add(writer)) {
        writer.startRun();
      }
      long offset = record.originalKafkaOffset();
      if (writer.holds(offset)) {
        metrics.skipped();
        continue;
      }
      if (checkHeaders) {
        HeaderCheck.requireBytes(record); // a config error, not a bad record: fails the task
      }
      RecordEncoder.Item item;
      try {
        item = encoder.encode(record);
        if (item != null && item.length() > writer.maxItemBytes()) {
          throw new BadRecordException(
              "the record at "
                  + RecordEncoder.describe(record)
                  + " takes "
                  + item.length()
                  + " bytes, more than the "
                  + writer.maxItemBytes()
                  + " a depot item may; raise "
                  + DepotSinkConfig.SEGMENT_BYTES_CONFIG,
              null);
        }
      } catch (BadRecordException e) {
        if (reporter == null) {
          throw new ConnectException(
              e.getMessage()
                  + " (set errors.tolerance=all and"
                  + " errors.deadletterqueue.topic.name to send such records to a dead letter queue)",
              e.getCause());
        }
        reports.add(reporter.report(record, e));
        metrics.reported();
        continue;
      }
      if (item != null) {
        writer.write(offset, item, record.timestamp());
      }
    }
    for (PartitionWriter writer : started) {
      writer.endRun();
    }
  }

  @Override
  public Map<TopicPartition, OffsetAndMetadata> preCommit(
      Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
    awaitReports();
    if (config.syncPolicy() == DepotSinkConfig.SyncPolicy.COMMIT) {
      for (PartitionWriter writer : writers.values()) {
        if (writer.dirty()) {
          writer.sync();
        }
      }
    }
    Map<TopicPartition, OffsetAndMetadata> committable = new HashMap<>();
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : currentOffsets.entrySet()) {
      PartitionWriter writer = writers.get(e.getKey());
      if (writer == null) {
        continue;
      }
      long offset = writer.committable(e.getValue().offset());
      if (offset >= 0) {
        committable.put(e.getKey(), new OffsetAndMetadata(offset, e.getValue().metadata()));
      }
    }
    return committable;
  }

  /** Offsets past a reported record are committed only once the report is written. */
  private void awaitReports() {
    try {
      for (Future<Void> report : reports) {
        report.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConnectException("interrupted while reporting records to the dead letter queue", e);
    } catch (ExecutionException e) {
      throw new ConnectException("cannot report a record to the dead letter queue", e.getCause());
    } finally {
      reports.clear();
    }
  }

  @Override
  public void flush(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
    // Syncing is preCommit's job, by depot.sync.policy.
  }

  @Override
  public void close(Collection<TopicPartition> partitions) {
    ConnectException failure = null;
    for (TopicPartition tp : partitions) {
      PartitionWriter writer = writers.remove(tp);
      if (writer != null) {
        try {
          writer.close();
        } catch (ConnectException e) {
          failure = e;
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public void stop() {
    try {
      close(new ArrayList<>(writers.keySet()));
    } finally {
      if (encoder != null) {
        encoder.close();
      }
      if (writeBehind != null) {
        writeBehind.close();
      }
    }
  }
}
