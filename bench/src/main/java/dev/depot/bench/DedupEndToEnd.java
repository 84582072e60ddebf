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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
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

  /**
   * Runs ours, then the RocksDB window store peer; returns their results in that order. The
   * broker's test kit prints what it formats on stdout: the caller sends stdout elsewhere ({@link
   * BenchRun}).
   */
  List<Result> run() throws Exception {
    try (BenchBroker broker = BenchBroker.start(root.resolve("kafka"), Map.of())) {
      progress.printf(
          Locale.ROOT,
          "[e2e] broker up in %.1f s at %s%n",
          broker.bootSeconds(),
          broker.bootstrap());
      broker.createTopics(1, INPUT, output("depot"), output("rocksdb_window"));
      load(broker);
      Properties depot = props("depot", broker);
      Result ours = measure("depot", DedupApp.topology(depot), depot, broker);
      Properties window = props("rocksdb_window", broker);
      Result peer = measure("rocksdb_window", windowTopology(window), window, broker);
      return List.of(ours, peer);
    }
  }

  private void load(BenchBroker broker) {
    long started = System.nanoTime();
    SeedWorkload workload = DedupBench.seed();
    long[] micros = new long[workload.batchKeys()];
    long[] ids = new long[workload.batchKeys()];
    Map<String, Object> config =
        Map.of(
            "acks", "all", "linger.ms", "20", "batch.size", 512 * 1024, "compression.type", "none");
    try (KafkaProducer<byte[], byte[]> producer = broker.producer(config)) {
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
  private Properties props(String name, BenchBroker broker) {
    Properties props =
        broker.dedupApp(
            "dedup-bench-e2e-" + name,
            root.resolve("e2e-state-" + name),
            INPUT,
            output(name),
            "json");
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

  private Result measure(String name, Topology topology, Properties props, BenchBroker broker)
      throws Exception {
    BenchStreams app = new BenchStreams(topology, props, Duration.ofSeconds(30));
    long started = System.nanoTime();
    BenchBroker.FirstCommit first =
        new BenchBroker.FirstCommit() {
          @Override
          public void report(long now, long offset) {
            progress.printf(
                Locale.ROOT,
                "[e2e %s] committed offset %,d of %,d after %.0f s%n",
                name,
                offset,
                records,
                (now - started) / 1e9);
          }
        };
    long endAt;
    try {
      app.streams().start();
      endAt =
          app.awaitCommitted(
              broker.admin(),
              INPUT,
              records,
              Duration.ofMillis(20),
              started + Duration.ofMinutes(10).toNanos(),
              first);
    } finally {
      app.close();
    }
    long firstAt = first.at;
    long firstOffset = first.offset;
    long unique = broker.countCommitted(output(name), Duration.ofMinutes(2), null);
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
}
