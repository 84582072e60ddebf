package dev.depot.bench;

import dev.depot.testing.TestFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

/**
 * The depot sink vs Kafka's FileStreamSinkConnector, consuming the same pre-loaded topic on an
 * in-process broker and Connect worker, one task each.
 *
 * <pre>
 * bench/run sink [--quick] [--records N] [--runs N] [--dir PATH]
 * </pre>
 *
 * <p>Topics {@code bench-100B} and {@code bench-1KiB} (one partition each) are loaded with 5 M
 * records (500 k with {@code --quick}) before anything is timed. Each run starts a connector with a
 * fresh name (so a fresh consumer group reading from the start) and times it from its first
 * committed offset to the moment its committed offset reaches the end of the topic; records/s is
 * the records between the two over that time. Offsets are committed every 200 ms for all, so each
 * end of a run is known to within about 200 ms: a run of 5 M records lasts 7 s or more, which puts
 * that error under 3 %. Contenders take turns, the first of each round rotating, 5 rounds (3 with
 * {@code --quick}); the median of each is reported, with its spread ((max - min) / median). What a
 * run wrote is deleted after it.
 *
 * <p>Both use ByteArrayConverter for keys and values, as the issue specifies; note that
 * FileStreamSink then writes each value's {@code toString()} (a short array identity), not its
 * bytes, so a third contender, {@code file_string}, runs it with StringConverter, writing the
 * content. The depot sink runs with {@code depot.sync.policy=commit} (fsync before every offset
 * commit: exactly once and durable).
 */
public final class SinkBench {
  private static final String BYTES = BenchConnect.BYTES;
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
                "--records", "records per size and run (default 5,000,000; --quick 500,000)"),
            BenchArgs.number(
                "--runs",
                "timed rounds, contenders taking turns, median reported (default 5; --quick 3)"));
    if (in == null) {
      return;
    }
    int records =
        (int) in.number("--records", 1_000, Integer.MAX_VALUE, in.quick() ? 500_000 : 5_000_000);
    int runs = (int) in.number("--runs", 1, 1000, in.quick() ? 3 : 5);
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
        BenchConnect.load(connect, topic, records, size, progress);
        if (size == 100) {
          // one untimed run of each first, so that no contender pays the JIT's warm-up
          measure("warmup-depot", topic, depotConfig(topic));
          measure("warmup-file", topic, fileConfig(topic, BYTES));
        }
        Run[] depot = new Run[runs];
        Run[] file = new Run[runs];
        Run[] fileString = new Run[runs];
        for (int r = 0; r < runs; r++) {
          // rotate who goes first, so that no contender always follows the same one
          for (int turn = 0; turn < 3; turn++) {
            switch ((r + turn) % 3) {
              case 0 -> depot[r] = measure("depot", topic, depotConfig(topic));
              case 1 -> file[r] = measure("file", topic, fileConfig(topic, BYTES));
              default -> fileString[r] = measure("file_string", topic, fileConfig(topic, STRINGS));
            }
          }
        }
        double d = summary("depot", label, depot);
        double f = summary("file", label, file);
        double s = summary("file_string", label, fileString);
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
        for (String kind : new String[] {"depot", "file", "file_string"}) {
          results.ratio("sink." + kind + ".spread." + label, spreads.get(kind));
        }
        double dc = Figures.median(cpu(depot, true));
        double sc = Figures.median(cpu(fileString, true));
        results.rate("sink.depot.task_cpu_ns_per_record." + label, dc);
        results.rate("sink.file_string.task_cpu_ns_per_record." + label, sc);
        results.ratio("ratio.depot_vs_filesink_string.task_cpu." + label, sc / dc);
        double dp = Figures.median(cpu(depot, false));
        double sp = Figures.median(cpu(fileString, false));
        results.rate("sink.depot.process_cpu_ns_per_record." + label, dp);
        results.rate("sink.file_string.process_cpu_ns_per_record." + label, sp);
        results.ratio("ratio.depot_vs_filesink_string.process_cpu." + label, sp / dp);
      }
    } finally {
      connect.stop();
    }
    results.put("bench.records", Integer.toString(records));
    results.put("bench.runs", Integer.toString(runs));
  }

  /**
   * One measured run: records per second, and CPU nanoseconds per record of the task's thread and
   * of the whole process (broker and worker share it), over the same span. CPU time does not count
   * what other processes on the machine take from the run, so it varies less than the rate.
   */
  private record Run(double rate, double taskCpuNs, double processCpuNs) {}

  private final Map<String, Double> spreads = new HashMap<>();

  /** Prints a contender's runs and their spread on stderr; returns the median rate. */
  private double summary(String kind, String label, Run[] runs) {
    double[] rates = Arrays.stream(runs).mapToDouble(Run::rate).toArray();
    double median = Figures.median(rates);
    double spread =
        (Arrays.stream(rates).max().orElseThrow() - Arrays.stream(rates).min().orElseThrow())
            / median;
    spreads.put(kind, spread);
    progress.printf(
        Locale.ROOT,
        "[%s] %s: median %,.0f records/s, runs %s, spread %.1f %%; task CPU ns/record %s,"
            + " process CPU ns/record %s%n",
        kind,
        label,
        median,
        Arrays.toString(Arrays.stream(rates).mapToLong(Math::round).toArray()),
        spread * 100,
        Arrays.toString(Arrays.stream(runs).mapToLong(r -> Math.round(r.taskCpuNs())).toArray()),
        Arrays.toString(
            Arrays.stream(runs).mapToLong(r -> Math.round(r.processCpuNs())).toArray()));
    return median;
  }

  private static double[] cpu(Run[] runs, boolean task) {
    return Arrays.stream(runs).mapToDouble(r -> task ? r.taskCpuNs() : r.processCpuNs()).toArray();
  }

  private Map<String, String> depotConfig(String topic) {
    return BenchConnect.depotSinkConfig(topic, root.resolve("depot-" + connectors));
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
   * Waits until the task has left its consumer group, so that no run shares the cores with the
   * previous one's shutdown.
   */
  private static void awaitStopped(Admin admin, String group) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (true) {
      ConsumerGroupDescription d =
          admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get();
      if (d.members().isEmpty()) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(group + " still has members a minute after deletion");
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }

  /** Deletes what a run wrote (its depot or file), so that 5 GB runs do not fill the disk. */
  private static void deleteOutput(Map<String, String> config) throws IOException {
    String depot = config.get("depot.path");
    if (depot != null) {
      TestFiles.deleteTree(Path.of(depot));
    }
    String file = config.get("file");
    if (file != null) {
      Files.deleteIfExists(Path.of(file));
    }
  }

  /**
   * Runs a connector over the whole topic; returns records per second from its first committed
   * offset to its last, so that the task's start-up and consumer group join are not counted: the
   * task's rate from (about) its first record to its last offset committed.
   */
  private Run measure(String kind, String topic, Map<String, String> config) throws Exception {
    String name = kind + "-" + connectors++;
    long created = System.nanoTime();
    connect.configureConnector(name, config);
    long deadline = created + Duration.ofMinutes(10).toNanos();
    CpuAtFirstCommit first = new CpuAtFirstCommit("task-thread-" + name + "-0");
    long endAt;
    long taskCpu;
    long processCpu;
    try (Admin admin = connect.kafka().createAdminClient()) {
      endAt =
          BenchBroker.awaitCommitted(
              admin, "connect-" + name, topic, records, Duration.ofMillis(5), deadline, first);
      taskCpu = THREADS.getThreadCpuTime(first.taskThread) - first.taskCpu;
      processCpu = PROCESS.getProcessCpuTime() - first.processCpu;
      connect.deleteConnector(name);
      awaitStopped(admin, "connect-" + name);
    }
    long firstAt = first.at;
    long firstOffset = first.offset;
    deleteOutput(config);
    if (firstOffset >= records || endAt == firstAt) {
      throw new IllegalStateException(
          name + " committed everything at once: use more --records for a measurable run");
    }
    double seconds = (endAt - firstAt) / 1e9;
    long counted = records - firstOffset;
    Run run = new Run(counted / seconds, (double) taskCpu / counted, (double) processCpu / counted);
    progress.printf(
        Locale.ROOT,
        "[%s] %s: %,d records after offset %,d in %.2f s (%.2f s after creation): %,.0f"
            + " records/s, task CPU %.0f ns/record, process CPU %.0f ns/record%n",
        kind,
        topic,
        counted,
        firstOffset,
        seconds,
        (endAt - created) / 1e9,
        run.rate(),
        run.taskCpuNs(),
        run.processCpuNs());
    return run;
  }

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final com.sun.management.OperatingSystemMXBean PROCESS =
      ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class);

  /** Notes the first commit, and the CPU time of the task's thread and the process then. */
  private static final class CpuAtFirstCommit extends BenchBroker.FirstCommit {
    private final String threadName;
    long taskThread = -1;
    long taskCpu;
    long processCpu;

    CpuAtFirstCommit(String threadName) {
      this.threadName = threadName;
    }

    @Override
    public void committed(long now, long offset) {
      boolean before = at < 0;
      super.committed(now, offset);
      if (before && at >= 0) {
        processCpu = PROCESS.getProcessCpuTime();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
          if (t.getName().equals(threadName)) {
            taskThread = t.getId();
          }
        }
        if (taskThread < 0) {
          throw new IllegalStateException("no thread named " + threadName);
        }
        taskCpu = THREADS.getThreadCpuTime(taskThread);
      }
    }
  }
}
