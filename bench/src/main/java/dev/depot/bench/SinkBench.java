package dev.depot.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

/**
 * The depot sink vs Kafka's FileStreamSinkConnector, consuming the same pre-loaded topic on an
 * in-process broker and Connect worker, one task each.
 *
 * <pre>
 * bench/run sink [--quick] [--records N] [--runs N] [--dir PATH]
 * </pre>
 *
 * <p>Topics {@code bench-100B} and {@code bench-1KiB} (one partition each) are loaded with 1 M
 * records (200 k with {@code --quick}) before anything is timed. Each run starts a connector with a
 * fresh name (so a fresh consumer group reading from the start) and times it from its creation to
 * the moment its committed offset reaches the end of the topic; records/s is records over that
 * time. Both use ByteArrayConverter for keys and values, as the issue specifies; note that
 * FileStreamSink then writes each value's {@code toString()} (a short array identity), not its
 * bytes, so a third contender, {@code file_string}, runs it with StringConverter, writing the
 * content. The depot sink runs with {@code depot.sync.policy=commit} (fsync before every offset
 * commit: exactly once and durable). Offsets are committed every 200 ms for all. Median of the runs
 * is reported.
 */
public final class SinkBench {
  private static final String BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter";
  private static final String STRINGS = "org.apache.kafka.connect.storage.StringConverter";

  private final PrintStream progress = System.err;
  private final Figures results;
  private final int records;
  private final int runs;
  private final Path root;
  private EmbeddedConnectCluster connect;
  private int connectors;

  private SinkBench(int records, int runs, Path root, Figures results) {
    this.records = records;
    this.runs = runs;
    this.root = root;
    this.results = results;
  }

  public static void main(String[] args) throws Exception {
    BenchArgs in =
        BenchArgs.read(
            "sink",
            "The depot sink vs Kafka's FileStreamSinkConnector on an in-process broker and Connect"
                + " worker.",
            args,
            BenchArgs.number(
                "--records", "records per size and run (default 1,000,000; --quick 200,000)"),
            BenchArgs.number("--runs", "timed runs, median reported (default 3; --quick 1)"));
    if (in == null) {
      return;
    }
    int records =
        (int) in.number("--records", 1_000, Integer.MAX_VALUE, in.quick() ? 200_000 : 1_000_000);
    int runs = (int) in.number("--runs", 1, 1000, in.quick() ? 1 : 3);
    // the worker and broker log at WARN on stderr
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    BenchRun.inTempRoot(
        in.dir(),
        "sink-bench-",
        (root, figures) -> {
          new SinkBench(records, runs, root, figures).run();
          return 0;
        });
  }

  private void run() throws Exception {
    Map<String, String> workerProps = new HashMap<>();
    workerProps.put("plugin.discovery", "service_load");
    workerProps.put("offset.flush.interval.ms", "200");
    Properties brokerProps = new Properties();
    brokerProps.putAll(BenchBroker.SINGLE_NODE);
    brokerProps.put("log.dirs", root.resolve("kafka").toString());
    connect =
        new EmbeddedConnectCluster.Builder()
            .name("sink-bench")
            .numWorkers(1)
            .workerProps(workerProps)
            .brokerProps(brokerProps)
            .build();
    connect.start();
    try {
      for (int size : new int[] {100, 1024}) {
        String label = size == 100 ? "100B" : "1KiB";
        String topic = "bench-" + label;
        load(topic, size);
        if (size == 100) {
          // one untimed run of each first, so that no contender pays the JIT's warm-up
          measure("warmup-depot", topic, depotConfig(topic));
          measure("warmup-file", topic, fileConfig(topic, BYTES));
        }
        double[] depot = new double[runs];
        double[] file = new double[runs];
        double[] fileString = new double[runs];
        for (int r = 0; r < runs; r++) {
          depot[r] = measure("depot", topic, depotConfig(topic));
          file[r] = measure("file", topic, fileConfig(topic, BYTES));
          fileString[r] = measure("file_string", topic, fileConfig(topic, STRINGS));
        }
        double d = Figures.median(depot);
        double f = Figures.median(file);
        double s = Figures.median(fileString);
        if (size == 100) {
          results.rate("sink.depot.records_per_s", d);
          results.rate("sink.file.records_per_s", f);
          results.ratio("ratio.depot_vs_filesink", d / f);
        }
        results.rate("sink.depot.records_per_s." + label, d);
        results.rate("sink.file.records_per_s." + label, f);
        results.rate("sink.file_string.records_per_s." + label, s);
        results.ratio("ratio.depot_vs_filesink." + label, d / f);
        results.ratio("ratio.depot_vs_filesink_string." + label, d / s);
      }
    } finally {
      connect.stop();
    }
    results.put("bench.records", Integer.toString(records));
    results.put("bench.runs", Integer.toString(runs));
  }

  private void load(String topic, int size) {
    connect.kafka().createTopic(topic, 1);
    byte[] value = new byte[size];
    Arrays.fill(value, (byte) 'x');
    long started = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer =
        connect
            .kafka()
            .createProducer(
                Map.of(
                    "acks",
                    "1",
                    "linger.ms",
                    "20",
                    "batch.size",
                    512 * 1024,
                    "compression.type",
                    "none"))) {
      for (int i = 0; i < records; i++) {
        byte[] key = ("k" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topic, 0, key, value));
      }
      producer.flush();
    }
    progress.printf(
        Locale.ROOT,
        "[load] %s: %,d records of %d B in %.1f s%n",
        topic,
        records,
        size,
        (System.nanoTime() - started) / 1e9);
  }

  private Map<String, String> depotConfig(String topic) {
    Map<String, String> config = new HashMap<>();
    config.put("connector.class", "dev.depot.connect.DepotSinkConnector");
    config.put("tasks.max", "1");
    config.put("topics", topic);
    config.put("depot.path", root.resolve("depot-" + connectors).toString());
    config.put("depot.sync.policy", "commit");
    config.put("key.converter", BYTES);
    config.put("value.converter", BYTES);
    return config;
  }

  private Map<String, String> fileConfig(String topic, String converter) {
    Map<String, String> config = new HashMap<>();
    config.put("connector.class", "org.apache.kafka.connect.file.FileStreamSinkConnector");
    config.put("tasks.max", "1");
    config.put("topics", topic);
    config.put("file", root.resolve("file-" + connectors + ".txt").toString());
    config.put("key.converter", converter);
    config.put("value.converter", converter);
    return config;
  }

  /**
   * Runs a connector over the whole topic; returns records per second from its first committed
   * offset to its last, so that the task's start-up and consumer group join are not counted: the
   * task's rate from (about) its first record to its last offset committed.
   */
  private double measure(String kind, String topic, Map<String, String> config) throws Exception {
    String name = kind + "-" + connectors++;
    long created = System.nanoTime();
    connect.configureConnector(name, config);
    long deadline = created + Duration.ofMinutes(10).toNanos();
    BenchBroker.FirstCommit first = new BenchBroker.FirstCommit();
    long endAt;
    try (Admin admin = connect.kafka().createAdminClient()) {
      endAt =
          BenchBroker.awaitCommitted(
              admin, "connect-" + name, topic, records, Duration.ofMillis(5), deadline, first);
    }
    long firstAt = first.at;
    long firstOffset = first.offset;
    connect.deleteConnector(name);
    if (firstOffset >= records || endAt == firstAt) {
      throw new IllegalStateException(
          name + " committed everything at once: use more --records for a measurable run");
    }
    double seconds = (endAt - firstAt) / 1e9;
    double rate = (records - firstOffset) / seconds;
    progress.printf(
        Locale.ROOT,
        "[%s] %s: %,d records after offset %,d in %.2f s (%.2f s after creation): %,.0f"
            + " records/s%n",
        kind,
        topic,
        records - firstOffset,
        firstOffset,
        seconds,
        (endAt - created) / 1e9,
        rate);
    return rate;
  }
}
