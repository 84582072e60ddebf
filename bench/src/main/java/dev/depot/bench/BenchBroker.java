package dev.depot.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A single-node KRaft broker in this process (broker and controller combined, listening on
 * localhost, its logs under a directory of the bench's), with an {@link Admin} on it, and the
 * clients the benches run against it: byte-array producers and {@code read_committed} consumers.
 *
 * <pre>{@code
 * try (BenchBroker broker = BenchBroker.start(root.resolve("kafka"), Map.of())) {
 *   broker.createTopics(1, "readings");
 *   try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of("acks", "all"))) {
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p>The test kit prints what it formats on stdout: a bench that keeps stdout for its figures sends
 * stdout elsewhere while it starts one (see {@link BenchRun}). The admin client is thread-safe;
 * {@link #close} is not.
 */
final class BenchBroker implements AutoCloseable {
  /**
   * The settings of a one-node cluster: internal topics with one replica, and no delay before a
   * group's first rebalance. The sink bench's Connect cluster gets them too.
   */
  static final Map<String, String> SINGLE_NODE =
      Map.of(
          "offsets.topic.replication.factor", "1",
          "transaction.state.log.replication.factor", "1",
          "transaction.state.log.min.isr", "1",
          "group.initial.rebalance.delay.ms", "0");

  /** What a bench sees of a wait for committed offsets. */
  interface CommitWatch {
    /** After each look at the committed offset, before it is compared with the end. */
    default void committed(long now, long offset) {}

    /** After a look that did not reach the end: throw here to stop waiting. */
    default void waiting(long now, long offset) throws Exception {}

    /** After {@link #waiting}, once every 10 s: report progress here. */
    default void report(long now, long offset) {}
  }

  /** A watch that notes the first commit (the first offset above 0) and when it was seen. */
  static class FirstCommit implements CommitWatch {
    /** When the first commit was seen ({@code nanoTime}), -1 before. */
    long at = -1;

    /** The offset of the first commit, 0 before. */
    long offset;

    @Override
    public void committed(long now, long offset) {
      if (offset > 0 && at < 0) {
        this.at = now;
        this.offset = offset;
      }
    }
  }

  private static final Duration REPORT_EVERY = Duration.ofSeconds(10);

  private final KafkaClusterTestKit cluster;
  private final Admin admin;
  private final String bootstrap;
  private final double bootSeconds;

  private BenchBroker(KafkaClusterTestKit cluster, Admin admin, double bootSeconds) {
    this.cluster = cluster;
    this.admin = admin;
    this.bootstrap = cluster.bootstrapServers();
    this.bootSeconds = bootSeconds;
  }

  /**
   * Formats and starts a broker with its logs under {@code dir}, with {@link #SINGLE_NODE} and
   * {@code settings} on top; returns once it is ready. A broker that fails to start is closed.
   */
  static BenchBroker start(Path dir, Map<String, String> settings) throws Exception {
    TestKitNodes nodes =
        new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1)
            .setBaseDirectory(dir)
            .build();
    long started = System.nanoTime();
    KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
    SINGLE_NODE.forEach(builder::setConfigProp);
    settings.forEach(builder::setConfigProp);
    KafkaClusterTestKit cluster = builder.build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      double seconds = (System.nanoTime() - started) / 1e9;
      Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()));
      return new BenchBroker(cluster, admin, seconds);
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  String bootstrap() {
    return bootstrap;
  }

  Admin admin() {
    return admin;
  }

  /** From building the broker to its being ready. */
  double bootSeconds() {
    return bootSeconds;
  }

  /** Creates the topics, each with {@code partitions} partitions and one replica. */
  void createTopics(int partitions, String... topics) throws Exception {
    List<NewTopic> list = new ArrayList<>();
    for (String topic : topics) {
      list.add(new NewTopic(topic, partitions, (short) 1));
    }
    admin.createTopics(list).all().get();
  }

  /**
   * The dedup application's settings as config/streams-dedup.properties has them (exactly once,
   * commits every second, 1-hour segments, 256 MiB, 7 days, bad records fail the app), on this
   * broker, as one instance (one stream thread, no standby, replication factor 1), with its state
   * in {@code stateDir} and values in {@code valueFormat}; the rest is the caller's.
   */
  Properties dedupApp(
      String appId, Path stateDir, String input, String output, String valueFormat) {
    Properties props = new Properties();
    props.put("application.id", appId);
    props.put("bootstrap.servers", bootstrap);
    props.put("processing.guarantee", "exactly_once_v2");
    props.put("state.dir", stateDir.toString());
    props.put("num.standby.replicas", "0");
    props.put("num.stream.threads", "1");
    props.put("commit.interval.ms", "1000");
    props.put("replication.factor", "1");
    props.put("dedup.input.topic", input);
    props.put("dedup.output.topic", output);
    props.put("dedup.value.format", valueFormat);
    props.put("dedup.time.source", "field");
    props.put("dedup.store.name", "dedup");
    props.put("dedup.segment.interval.ms", "3600000");
    props.put("dedup.memory.limit.bytes", "268435456");
    props.put("dedup.retention.ms", "604800000");
    props.put("dedup.bad.records", "fail");
    return props;
  }

  /** A byte-array producer on this broker with {@code settings}. */
  KafkaProducer<byte[], byte[]> producer(Map<String, Object> settings) {
    Map<String, Object> config = new HashMap<>(settings);
    config.put("bootstrap.servers", bootstrap);
    return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** A byte-array {@code read_committed} consumer on this broker, assigned nothing yet. */
  KafkaConsumer<byte[], byte[]> committedReader() {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", bootstrap);
    config.put("isolation.level", "read_committed");
    config.put("enable.auto.commit", "false");
    config.put("max.poll.records", "10000");
    config.put("fetch.max.bytes", Integer.toString(64 << 20));
    config.put("max.partition.fetch.bytes", Integer.toString(16 << 20));
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * Reads every partition of {@code topic} from the start to its last stable offset as a {@code
   * read_committed} consumer (transaction markers and aborted records left out); returns the
   * records, each given to {@code each} when it is not null.
   */
  long countCommitted(
      String topic, Duration timeout, Consumer<ConsumerRecord<byte[], byte[]>> each) {
    try (KafkaConsumer<byte[], byte[]> consumer = committedReader()) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic)) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long count = 0;
      long deadline = System.nanoTime() + timeout.toNanos();
      while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
        count += batch.count();
        if (each != null) {
          batch.forEach(each);
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "could not read " + topic + " to its end offsets " + ends + " in " + timeout);
        }
      }
      return count;
    }
  }

  /** The size of a partition's log on every broker's log dirs. */
  long partitionBytes(TopicPartition partition) throws Exception {
    List<Integer> brokers = new ArrayList<>();
    for (Node node : admin.describeCluster().nodes().get()) {
      brokers.add(node.id());
    }
    long bytes = 0;
    for (Map<String, LogDirDescription> dirs :
        admin.describeLogDirs(brokers).allDescriptions().get().values()) {
      for (LogDirDescription dir : dirs.values()) {
        ReplicaInfo info = dir.replicaInfos().get(partition);
        if (info != null) {
          bytes += info.size();
        }
      }
    }
    return bytes;
  }

  /** What {@code group} has committed of {@code topic}: the sum over its partitions, 0 for none. */
  static long committedOffset(Admin admin, String group, String topic) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    long sum = 0;
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
      if (e.getKey().topic().equals(topic) && e.getValue() != null) {
        sum += e.getValue().offset();
      }
    }
    return sum;
  }

  /**
   * Looks at what {@code group} has committed of {@code topic} every {@code interval} until it
   * reaches {@code end}; returns when it did ({@code nanoTime}). Throws when it has not by {@code
   * deadline} ({@code nanoTime}), or when {@code watch} throws.
   */
  static long awaitCommitted(
      Admin admin,
      String group,
      String topic,
      long end,
      Duration interval,
      long deadline,
      CommitWatch watch)
      throws Exception {
    long nextReport = System.nanoTime() + REPORT_EVERY.toNanos();
    while (true) {
      long offset = committedOffset(admin, group, topic);
      long now = System.nanoTime();
      watch.committed(now, offset);
      if (offset >= end) {
        return now;
      }
      watch.waiting(now, offset);
      if (now > nextReport) {
        watch.report(now, offset);
        nextReport = now + REPORT_EVERY.toNanos();
      }
      if (now > deadline) {
        throw new IllegalStateException(
            group + " committed " + offset + " of " + end + " records of " + topic + " in time");
      }
      LockSupport.parkNanos(interval.toNanos());
    }
  }

  /** Closes the admin client, then stops the broker. */
  @Override
  public void close() {
    try {
      admin.close();
    } finally {
      try {
        cluster.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while stopping the broker", e);
      } catch (Exception e) {
        throw new IllegalStateException("the broker did not stop cleanly", e);
      }
    }
  }
}
