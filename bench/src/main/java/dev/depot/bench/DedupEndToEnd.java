package dev.depot.bench;

import dev.depot.generator.SeedWorkload;
import dev.depot.streams.TimeKeyExtractors;
import dev.depot.streams.app.DedupApp;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * The end-to-end figures of the dedup bench: the dedup application ({@link DedupApp#topology}) on
 * an in-process single-node broker (KRaft, broker and controller combined, listening on localhost),
 * one stream thread, exactly-once; then, on the same input, the same topology with the classic
 * RocksDB window store processor instead ({@link PeerDedupProcessors#window}, same JSON extractor,
 * same retention, caching off, logging on), as a comparison at a real commit cadence.
 *
 * <p>The input topic (one partition) is loaded with JSON readings of the seed workload before
 * anything is timed. For each application (its own {@code application.id} and output topic), the
 * clock starts at {@code KafkaStreams.start()} and stops when its committed offset for the input
 * partition (its consumer group is the {@code application.id}) reaches the end of the topic;
 * records/s is all input records over that time, so it includes start-up and the group join. A
 * second figure counts from the first commit seen. Its output topic is then read with {@code
 * read_committed} and must hold exactly the unique readings. Ours runs first.
 */
final class DedupEndToEnd {
  static final String INPUT = "readings";

  /** One application's figures; rates in records per second (one stream thread). */
  record Result(long unique, double perSecond, double perSecondAfterFirstCommit) {}

  private final Path root;
  private final int records;
  private final PrintStream progress;

  DedupEndToEnd(Path root, int records, PrintStream progress) {
    this.root = root;
    this.records = records;
    this.progress = progress;
  }

  /** Runs ours, then the RocksDB window store peer; returns their results in that order. */
  List<Result> run() throws Exception {
    // the test kit prints what it formats on stdout: keep stdout for the results
    PrintStream stdout = System.out;
    System.setOut(progress);
    try {
      return runCluster();
    } finally {
      System.setOut(stdout);
    }
  }

  private List<Result> runCluster() throws Exception {
    TestKitNodes nodes =
        new TestKitNodes.Builder()
            .setCombined(true)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1)
            .setBaseDirectory(root.resolve("kafka"))
            .build();
    long bootStarted = System.nanoTime();
    KafkaClusterTestKit cluster =
        new KafkaClusterTestKit.Builder(nodes)
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .build();
    try {
      cluster.format();
      cluster.startup();
      cluster.waitForReadyBrokers();
      progress.printf(
          Locale.ROOT,
          "[e2e] broker up in %.1f s at %s%n",
          (System.nanoTime() - bootStarted) / 1e9,
          cluster.bootstrapServers());
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
        admin
            .createTopics(
                List.of(
                    new NewTopic(INPUT, 1, (short) 1),
                    new NewTopic(output("depot"), 1, (short) 1),
                    new NewTopic(output("rocksdb_window"), 1, (short) 1)))
            .all()
            .get();
        load(cluster.bootstrapServers());
        Properties depot = props("depot", cluster.bootstrapServers());
        Result ours = measure("depot", DedupApp.topology(depot), depot, admin);
        Properties window = props("rocksdb_window", cluster.bootstrapServers());
        Result peer = measure("rocksdb_window", windowTopology(window), window, admin);
        return List.of(ours, peer);
      }
    } finally {
      cluster.close();
    }
  }

  private void load(String bootstrap) {
    long started = System.nanoTime();
    SeedWorkload workload = DedupBench.seed();
    long[] micros = new long[workload.batchKeys()];
    long[] ids = new long[workload.batchKeys()];
    Map<String, Object> config =
        Map.of(
            "bootstrap.servers",
            bootstrap,
            "acks",
            "all",
            "linger.ms",
            "20",
            "batch.size",
            512 * 1024,
            "compression.type",
            "none");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      int done = 0;
      while (done < records) {
        int n = Math.min(workload.next(micros, ids), records - done);
        for (int i = 0; i < n; i++) {
          producer.send(
              new ProducerRecord<>(
                  INPUT,
                  0,
                  Readings.timestampMs(micros[i]),
                  Readings.key(ids[i]),
                  Readings.json(micros[i], ids[i])));
        }
        done += n;
      }
      producer.flush();
    }
    progress.printf(
        Locale.ROOT,
        "[e2e] loaded %,d JSON readings into %s in %.1f s%n",
        records,
        INPUT,
        (System.nanoTime() - started) / 1e9);
  }

  private static String output(String name) {
    return "readings-unique-" + name;
  }

  /**
   * As config/streams-dedup.properties, but on this broker, with a state directory under --dir and
   * no standby (there is one instance).
   */
  private Properties props(String name, String bootstrap) {
    Properties props = new Properties();
    props.put("application.id", "dedup-bench-e2e-" + name);
    props.put("bootstrap.servers", bootstrap);
    props.put("processing.guarantee", "exactly_once_v2");
    props.put("state.dir", root.resolve("e2e-state-" + name).toString());
    props.put("num.standby.replicas", "0");
    props.put("num.stream.threads", "1");
    props.put("commit.interval.ms", "1000");
    props.put("replication.factor", "1");
    props.put("dedup.input.topic", INPUT);
    props.put("dedup.output.topic", output(name));
    props.put("dedup.value.format", "json");
    props.put("dedup.time.source", "field");
    props.put("dedup.store.name", "dedup");
    props.put("dedup.segment.interval.ms", "3600000");
    props.put("dedup.memory.limit.bytes", "268435456");
    props.put("dedup.retention.ms", "604800000");
    props.put("dedup.bad.records", "fail");
    return props;
  }

  /** The application's topology with the RocksDB window store processor in place of ours. */
  private static Topology windowTopology(Properties props) {
    Duration retention = Duration.ofMillis(Long.parseLong(props.getProperty("dedup.retention.ms")));
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(INPUT, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .processValues(
            PeerDedupProcessors.window(
                Stores.windowStoreBuilder(
                        Stores.persistentWindowStore(
                            props.getProperty("dedup.store.name"),
                            retention,
                            DedupBench.WINDOW_SIZE,
                            false),
                        Serdes.Bytes(),
                        Serdes.ByteArray())
                    .withCachingDisabled(),
                TimeKeyExtractors.json()))
        .to(
            props.getProperty("dedup.output.topic"),
            Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    return builder.build();
  }

  private Result measure(String name, Topology topology, Properties props, Admin admin)
      throws Exception {
    String appId = props.getProperty("application.id");
    TopicPartition input = new TopicPartition(INPUT, 0);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    KafkaStreams streams = new KafkaStreams(topology, props);
    streams.setUncaughtExceptionHandler(
        e -> {
          failure.set(e);
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    long started;
    long firstAt = -1;
    long firstOffset = 0;
    long endAt;
    try {
      started = System.nanoTime();
      streams.start();
      long deadline = started + Duration.ofMinutes(10).toNanos();
      long nextReport = started + Duration.ofSeconds(10).toNanos();
      while (true) {
        OffsetAndMetadata offset =
            admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get().get(input);
        long now = System.nanoTime();
        if (offset != null && offset.offset() > 0 && firstAt < 0) {
          firstAt = now;
          firstOffset = offset.offset();
        }
        if (offset != null && offset.offset() >= records) {
          endAt = now;
          break;
        }
        if (failure.get() != null || streams.state() == KafkaStreams.State.ERROR) {
          throw new IllegalStateException(name + ": the application failed", failure.get());
        }
        if (now > deadline) {
          throw new IllegalStateException(
              name + ": the application did not reach offset " + records + " in 10 min: " + offset);
        }
        if (now > nextReport) {
          progress.printf(
              Locale.ROOT,
              "[e2e %s] committed offset %,d of %,d after %.0f s%n",
              name,
              offset == null ? 0 : offset.offset(),
              records,
              (now - started) / 1e9);
          nextReport = now + Duration.ofSeconds(10).toNanos();
        }
        LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
      }
    } finally {
      streams.close(
          CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
              .withTimeout(Duration.ofSeconds(30)));
    }
    long unique = countCommitted(props.getProperty("bootstrap.servers"), output(name));
    double seconds = (endAt - started) / 1e9;
    double rate = records / seconds;
    double steady =
        firstOffset < records && endAt > firstAt
            ? (records - firstOffset) / ((endAt - firstAt) / 1e9)
            : Double.NaN;
    progress.printf(
        Locale.ROOT,
        "[e2e %s] %,d records (%,d unique) in %.2f s from start(): %,.0f records/s; first commit"
            + " (offset %,d) after %.2f s, %,.0f records/s from there%n",
        name,
        records,
        unique,
        seconds,
        rate,
        firstOffset,
        (firstAt - started) / 1e9,
        steady);
    return new Result(unique, rate, steady);
  }

  /** Records in the output topic as a read_committed consumer sees them. */
  private long countCommitted(String bootstrap, String topic) {
    TopicPartition output = new TopicPartition(topic, 0);
    Map<String, Object> config =
        Map.of(
            "bootstrap.servers",
            bootstrap,
            "isolation.level",
            "read_committed",
            "enable.auto.commit",
            "false",
            "max.poll.records",
            "10000");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(output));
      consumer.seekToBeginning(List.of(output));
      long end = consumer.endOffsets(List.of(output)).get(output); // the last stable offset
      long count = 0;
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (consumer.position(output) < end) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
        count += batch.count();
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "could not read " + topic + " to its end offset " + end + " in 2 min");
        }
      }
      return count;
    }
  }
}
