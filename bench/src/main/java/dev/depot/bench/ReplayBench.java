package dev.depot.bench;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

/**
 * Replay into Kafka, exactly once: the depot source connector replaying a depot into a topic vs
 * MirrorMaker 2's {@code MirrorSourceConnector} copying the same records topic to topic, on one
 * in-process broker and one Connect worker with {@code exactly.once.source.support=enabled}.
 *
 * <pre>
 * bench/run replay [--quick] [--records N] [--runs N] [--only depot|mm2]
 *                  [--depot key=value]... [--mm2 key=value]... [--dir PATH]
 * </pre>
 *
 * <p>Topics {@code replay-100B} and {@code replay-1KiB} (one partition each) are loaded with 1 M
 * records (200 k with {@code --quick}), keys {@code k0, k1, ...}, values of 100 B or 1 KiB; the
 * depot sink then stores each in a depot queue, as it does in production. None of that is timed.
 * Each run starts one connector (one task) with a fresh name, so fresh source offsets, into a fresh
 * single-partition target topic created beforehand: the depot source ({@code
 * dev.depot.connect.DepotSourceConnector}, {@code replay.start=earliest}, {@code replay.stop=end},
 * the topic name prefixed) and MirrorMaker 2 (source and target cluster both this broker, a fresh
 * source alias per run, so the target topic is {@code <alias>.replay-100B}; its consumer {@code
 * read_committed}, which is what makes it support exactly once). Both run with {@code
 * exactly.once.support=required}, the worker's transactional producer, a transaction per poll
 * (Connect's default boundary) and ByteArrayConverter for keys, values and headers.
 *
 * <p>How time is counted: the bench asks the broker for the target partition's last stable offset
 * (the {@code read_committed} end offset) every 5 ms. The run starts at the first look that sees a
 * committed transaction (so the connector's and task's start-up are not counted; they are printed
 * as {@code startup_s}) and ends at the first look whose last stable offset has the run's last key
 * ({@code k<N-1>}) below it, checked by reading the records just below that offset as a {@code
 * read_committed} consumer. Records/s is the records committed between those two looks over the
 * time between them. After each run, untimed, the whole target topic is read as a {@code
 * read_committed} consumer and must hold exactly keys {@code k0 .. k<N-1>} in order, each value of
 * the loaded size: exactly once, nothing lost, nothing duplicated. The contenders alternate which
 * goes first; one untimed run of each comes first; medians of the runs are reported. {@code --only}
 * runs one contender (no ratio then); {@code --depot} and {@code --mm2} set or override a setting
 * of that contender's connector (for example {@code --mm2 source.consumer.max.poll.records=5000}),
 * printed on stderr.
 */
public final class ReplayBench {
  private static final String BYTES = BenchConnect.BYTES;
  private static final Duration LOOK_EVERY = Duration.ofMillis(5);
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);
  private static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);

  private final PrintStream progress = System.err;
  private final Figures results;
  private final int records;
  private final int runs;
  private final Path root;
  private final List<String> contenders;
  private final Map<String, Map<String, String>> overrides;
  private EmbeddedConnectCluster connect;
  private Admin admin;
  private int connectors;

  private ReplayBench(
      int records,
      int runs,
      List<String> contenders,
      Map<String, Map<String, String>> overrides,
      Path root,
      Figures results) {
    this.records = records;
    this.runs = runs;
    this.contenders = contenders;
    this.overrides = overrides;
    this.root = root;
    this.results = results;
  }

  public static void main(String[] args) throws Exception {
    BenchArgs in =
        BenchArgs.read(
            "replay",
            "The depot source connector vs MirrorMaker 2's MirrorSourceConnector, exactly once, on"
                + " an in-process broker and Connect worker.",
            args,
            BenchArgs.number(
                "--records", "records per size and run (default 1,000,000; --quick 200,000)"),
            BenchArgs.number(
                "--runs",
                "timed rounds, contenders taking turns, median reported (default 5; --quick 3)"),
            BenchArgs.value("--only", "depot|mm2", "run one contender only (no ratio then)"),
            BenchArgs.repeated(
                "--depot", "key=value", "set a setting of the depot source connector"),
            BenchArgs.repeated("--mm2", "key=value", "set a setting of MirrorMaker 2's connector"));
    if (in == null) {
      return;
    }
    int records =
        (int) in.number("--records", 1_000, Integer.MAX_VALUE, in.quick() ? 200_000 : 1_000_000);
    int runs = (int) in.number("--runs", 1, 1000, in.quick() ? 3 : 5);
    List<String> contenders = List.of("depot", "mm2");
    String one = in.string("--only", null);
    if (one != null) {
      if (!contenders.contains(one)) {
        throw in.fail("--only must be depot or mm2, was " + one);
      }
      contenders = List.of(one);
    }
    List<String> chosen = contenders;
    Map<String, Map<String, String>> overrides = new HashMap<>();
    for (String contender : List.of("depot", "mm2")) {
      Map<String, String> settings = new LinkedHashMap<>();
      for (String setting : in.all("--" + contender)) {
        int eq = setting.indexOf('=');
        if (eq <= 0) {
          throw in.fail("--" + contender + " must be key=value, was " + setting);
        }
        settings.put(setting.substring(0, eq), setting.substring(eq + 1));
      }
      overrides.put(contender, settings);
    }
    // the worker and broker log at WARN on stderr
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    BenchRun.inTempRoot(
        in.dir(),
        "replay-bench-",
        (root, figures) -> {
          new ReplayBench(records, runs, chosen, overrides, root, figures).run();
          return 0;
        });
  }

  /** One contender's measured run. */
  private record Run(double recordsPerSecond, double startupSeconds) {}

  /** One contender's runs at one size. */
  private record Runs(double[] recordsPerSecond, double[] startupSeconds) {
    Runs(int runs) {
      this(new double[runs], new double[runs]);
    }

    double rate() {
      return Figures.median(recordsPerSecond);
    }
  }

  private void run() throws Exception {
    Map<String, String> workerProps = new HashMap<>();
    workerProps.put("plugin.discovery", "service_load");
    workerProps.put("exactly.once.source.support", "enabled");
    // the depot sink that stores the topics commits (after its fsync) this often; exactly-once
    // source tasks commit with each transaction instead
    workerProps.put("offset.flush.interval.ms", "200");
    Properties brokerProps = new Properties();
    brokerProps.putAll(BenchBroker.SINGLE_NODE);
    brokerProps.put("log.dirs", root.resolve("kafka").toString());
    // a deleted target topic's 1 GB goes at once, not in the middle of a later run
    brokerProps.put("file.delete.delay.ms", "0");
    connect =
        new EmbeddedConnectCluster.Builder()
            .name("replay-bench")
            .numWorkers(1)
            .workerProps(workerProps)
            .brokerProps(brokerProps)
            .build();
    for (String contender : contenders) {
      if (!overrides.get(contender).isEmpty()) {
        progress.printf(
            "[%s] connector settings overridden: %s%n", contender, overrides.get(contender));
      }
    }
    connect.start();
    admin = connect.kafka().createAdminClient();
    try {
      for (int size : new int[] {100, 1024}) {
        String label = size == 100 ? "100B" : "1KiB";
        String topic = "replay-" + label;
        BenchConnect.load(connect, topic, records, size, progress);
        if (contenders.contains("depot")) {
          storeInDepot(topic);
        }
        if (size == 100) {
          // one untimed run of each first, so that no contender pays the JIT's warm-up
          for (String contender : contenders) {
            measure("warmup-" + contender, topic, size);
          }
        }
        Map<String, Runs> measured = new LinkedHashMap<>();
        for (String contender : contenders) {
          measured.put(contender, new Runs(runs));
        }
        for (int r = 0; r < runs; r++) {
          // interleaved, and each contender goes first in every other round
          for (int c = 0; c < contenders.size(); c++) {
            String contender = contenders.get((r + c) % contenders.size());
            Run run = measure(contender, topic, size);
            measured.get(contender).recordsPerSecond()[r] = run.recordsPerSecond();
            measured.get(contender).startupSeconds()[r] = run.startupSeconds();
          }
        }
        for (Map.Entry<String, Runs> e : measured.entrySet()) {
          results.rate("replay." + e.getKey() + ".records_per_s." + label, e.getValue().rate());
        }
        if (measured.size() == 2) {
          results.ratio(
              "ratio.replay_depot_vs_mm2." + label,
              measured.get("depot").rate() / measured.get("mm2").rate());
          // the ratio within each round (two runs back to back), less moved by a load that drifts
          double[] paired = new double[runs];
          for (int r = 0; r < runs; r++) {
            paired[r] =
                measured.get("depot").recordsPerSecond()[r]
                    / measured.get("mm2").recordsPerSecond()[r];
          }
          results.ratio("ratio.replay_depot_vs_mm2.paired_median." + label, Figures.median(paired));
          progress.printf(
              Locale.ROOT, "[%s] depot/mm2 by round: %s%n", label, Arrays.toString(paired));
        }
        for (Map.Entry<String, Runs> e : measured.entrySet()) {
          results.put(
              "replay." + e.getKey() + ".startup_s." + label,
              seconds(Figures.median(e.getValue().startupSeconds())));
          progress.printf(
              Locale.ROOT,
              "[%s] %s runs (records/s): %s%n",
              label,
              e.getKey(),
              Arrays.toString(rounded(e.getValue().recordsPerSecond())));
        }
      }
    } finally {
      admin.close();
      connect.stop();
    }
    results.put("bench.records", Integer.toString(records));
    results.put("bench.runs", Integer.toString(runs));
  }

  private static String seconds(double value) {
    return String.format(Locale.ROOT, "%.2f", value);
  }

  private static long[] rounded(double[] values) {
    return Arrays.stream(values).mapToLong(Math::round).toArray();
  }

  private Path depotPath() {
    return root.resolve("depot");
  }

  /** Runs the depot sink over the whole topic into {@link #depotPath}, then removes it. */
  private void storeInDepot(String topic) throws Exception {
    Map<String, String> config = BenchConnect.depotSinkConfig(topic, depotPath());
    config.put("header.converter", BYTES);
    String name = "sink-" + topic;
    long started = System.nanoTime();
    connect.configureConnector(name, config);
    BenchBroker.awaitCommitted(
        admin,
        "connect-" + name,
        topic,
        records,
        Duration.ofMillis(20),
        started + RUN_TIMEOUT.toNanos(),
        new BenchBroker.CommitWatch() {});
    connect.deleteConnector(name);
    progress.printf(
        Locale.ROOT,
        "[depot sink] %s: %,d records stored in %s in %.1f s%n",
        topic,
        records,
        depotPath().resolve(topic),
        (System.nanoTime() - started) / 1e9);
  }

  private Map<String, String> depotConfig(String topic, String prefix) {
    Map<String, String> config = new HashMap<>();
    config.put("depot.path", depotPath().toString());
    // the depot holds both sizes' topics
    config.put("source.topics", topic);
    config.put("target.topic.prefix", prefix);
    config.put("replay.start", "earliest");
    config.put("replay.stop", "end");
    return contenderConfig("dev.depot.connect.DepotSourceConnector", "depot", config);
  }

  private Map<String, String> mm2Config(String alias, String topic) {
    String bootstrap = connect.kafka().bootstrapServers();
    Map<String, String> config = new HashMap<>();
    config.put("source.cluster.alias", alias);
    config.put("target.cluster.alias", "bench");
    config.put("source.cluster.bootstrap.servers", bootstrap);
    config.put("target.cluster.bootstrap.servers", bootstrap);
    config.put("topics", topic);
    // what makes MirrorSourceConnector declare exactly-once support (KIP-618)
    config.put("source.consumer.isolation.level", "read_committed");
    config.put("replication.factor", "1");
    config.put("offset-syncs.topic.replication.factor", "1");
    // needs an authorizer on the broker; there is none
    config.put("sync.topic.acls.enabled", "false");
    return contenderConfig("org.apache.kafka.connect.mirror.MirrorSourceConnector", "mm2", config);
  }

  /**
   * What both contenders run with: {@code connectorClass} as one exactly-once task, bytes in and
   * out; then the contender's {@code own} settings, then the command line's overrides for {@code
   * contender}.
   */
  private Map<String, String> contenderConfig(
      String connectorClass, String contender, Map<String, String> own) {
    Map<String, String> config = new HashMap<>();
    config.put("connector.class", connectorClass);
    config.put("tasks.max", "1");
    config.put("exactly.once.support", "required");
    config.put("key.converter", BYTES);
    config.put("value.converter", BYTES);
    config.put("header.converter", BYTES);
    config.putAll(own);
    config.putAll(overrides.get(contender));
    return config;
  }

  /**
   * Replays {@code topic} (its depot queue, or the topic itself for MirrorMaker 2) into a fresh
   * topic with the contender {@code kind} names, checks the result, and deletes it.
   */
  private Run measure(String kind, String topic, int size) throws Exception {
    int n = connectors++;
    String name = kind + "-" + n;
    boolean depot = kind.endsWith("depot");
    String alias = "m" + n;
    String target = depot ? "d" + n + "-" + topic : alias + "." + topic;
    Map<String, String> config =
        depot ? depotConfig(topic, "d" + n + "-") : mm2Config(alias, topic);
    connect.kafka().createTopic(target, 1);
    TopicPartition partition = new TopicPartition(target, 0);
    awaitTopic(partition);
    // the garbage of the last run's check is not this run's to collect
    System.gc();
    byte[] lastKey = BenchConnect.key(records - 1);
    long created;
    long firstAt = -1;
    long firstOffset = 0;
    long endAt;
    try (KafkaConsumer<byte[], byte[]> tail = committedReader()) {
      tail.assign(List.of(partition));
      created = System.nanoTime();
      connect.configureConnector(name, config);
      long deadline = created + RUN_TIMEOUT.toNanos();
      long nextStatus = created + Duration.ofSeconds(2).toNanos();
      long checked = -1;
      long seen = -1;
      long movedAt = created;
      while (true) {
        long stable = lastStableOffset(partition);
        long now = System.nanoTime();
        if (stable != seen) {
          seen = stable;
          movedAt = now;
        } else if (now - movedAt > STALL_TIMEOUT.toNanos()) {
          throw new IllegalStateException(
              name
                  + " committed nothing to "
                  + target
                  + " for "
                  + STALL_TIMEOUT
                  + " (last stable offset "
                  + stable
                  + "); status: "
                  + describe(connect.connectorStatus(name)));
        }
        if (stable > 0 && firstAt < 0) {
          firstAt = now;
          // the first committed transaction ends in one commit marker
          firstOffset = stable - 1;
        }
        if (stable >= records && stable != checked) {
          checked = stable;
          if (Arrays.equals(lastKeyBelow(tail, partition, stable), lastKey)) {
            endAt = now;
            break;
          }
        }
        if (now > nextStatus) {
          failIfFailed(name);
          nextStatus = now + Duration.ofSeconds(2).toNanos();
        }
        if (now > deadline) {
          throw new IllegalStateException(
              name + " committed " + stable + " offsets of " + target + " in " + RUN_TIMEOUT);
        }
        LockSupport.parkNanos(LOOK_EVERY.toNanos());
      }
    }
    connect.deleteConnector(name);
    verify(partition, size);
    admin.deleteTopics(Set.of(target)).all().get();
    if (firstOffset >= records / 2 || endAt == firstAt) {
      throw new IllegalStateException(
          name + " committed half the records or more at once: use more --records");
    }
    double seconds = (endAt - firstAt) / 1e9;
    double rate = (records - firstOffset) / seconds;
    double startup = (firstAt - created) / 1e9;
    progress.printf(
        Locale.ROOT,
        "[%s] %s -> %s: %,d records after offset %,d in %.2f s (first commit %.2f s after"
            + " creation): %,.0f records/s%n",
        kind,
        topic,
        target,
        records - firstOffset,
        firstOffset,
        seconds,
        startup,
        rate);
    return new Run(rate, startup);
  }

  /** Returns once the broker answers for {@code partition}, a topic just created. */
  private void awaitTopic(TopicPartition partition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        lastStableOffset(partition);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)
            || System.nanoTime() > deadline) {
          throw e;
        }
      }
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
    }
  }

  private long lastStableOffset(TopicPartition partition) throws Exception {
    return admin
        .listOffsets(
            Map.of(partition, OffsetSpec.latest()),
            new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
        .partitionResult(partition)
        .get()
        .offset();
  }

  /**
   * The key of the last committed record below {@code stable} (a last stable offset), read as a
   * {@code read_committed} consumer from a little below it; null when there is none there.
   */
  private static byte[] lastKeyBelow(
      KafkaConsumer<byte[], byte[]> tail, TopicPartition partition, long stable) {
    // below the last stable offset: the last transaction's records, then its commit marker
    tail.seek(partition, Math.max(0, stable - 4096));
    byte[] last = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (tail.position(partition) < stable) {
      for (ConsumerRecord<byte[], byte[]> record : tail.poll(Duration.ofMillis(100))) {
        if (record.offset() < stable) {
          last = record.key();
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("could not read " + partition + " up to " + stable);
      }
    }
    return last;
  }

  private static String describe(ConnectorStateInfo status) {
    StringBuilder text = new StringBuilder("connector " + status.connector().state());
    for (ConnectorStateInfo.TaskState task : status.tasks()) {
      text.append(", task ").append(task.id()).append(' ').append(task.state());
    }
    return text.toString();
  }

  private void failIfFailed(String name) {
    ConnectorStateInfo status = connect.connectorStatus(name);
    List<ConnectorStateInfo.AbstractState> states = new ArrayList<>(status.tasks());
    states.add(status.connector());
    for (ConnectorStateInfo.AbstractState state : states) {
      if ("FAILED".equals(state.state())) {
        throw new IllegalStateException(name + " failed: " + state.trace());
      }
    }
  }

  /**
   * Reads the whole partition as a {@code read_committed} consumer: it must hold keys {@code k0} to
   * {@code k<N-1>} in order, each with a value of {@code size} bytes, and nothing else.
   */
  private void verify(TopicPartition partition, int size) {
    try (KafkaConsumer<byte[], byte[]> consumer = committedReader()) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
      int count = 0;
      while (consumer.position(partition) < end) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (count >= records
              || !Arrays.equals(record.key(), BenchConnect.key(count))
              || record.value() == null
              || record.value().length != size) {
            throw new IllegalStateException(
                partition
                    + " does not hold the loaded records once each, in order: at offset "
                    + record.offset()
                    + " record "
                    + count
                    + " has key "
                    + (record.key() == null
                        ? "null"
                        : new String(record.key(), StandardCharsets.UTF_8)));
          }
          count++;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + partition + " to " + end);
        }
      }
      if (count != records) {
        throw new IllegalStateException(
            partition + " holds " + count + " committed records, not " + records);
      }
    }
  }

  private KafkaConsumer<byte[], byte[]> committedReader() {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", connect.kafka().bootstrapServers());
    config.put("isolation.level", "read_committed");
    config.put("enable.auto.commit", "false");
    config.put("max.poll.records", "10000");
    config.put("fetch.max.bytes", Integer.toString(64 << 20));
    config.put("max.partition.fetch.bytes", Integer.toString(16 << 20));
    return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
