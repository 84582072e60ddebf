package dev.depot.bench;

import dev.depot.testing.ChildJvm;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The dedup application killed with SIGKILL and restarted on the same state directory: how long
 * until its output grows again, and how many changelog records the restart restored.
 *
 * <pre>
 * bench/run dedup-crash [--quick] [--partitions N] [--app key=value]... [--dir PATH]
 * </pre>
 *
 * <p>For each store size (2 M and 20 M keys; {@code --quick}: 2 M only) on one in-process broker:
 *
 * <ol>
 *   <li>the input topic ({@code --partitions}, 2) is loaded with JSON batch records of 500 new
 *       readings each (1,000 devices at 10 Hz, each reading up to 1 ms after its tick, one upload
 *       after the other), so the store ends up with one key per reading;
 *   <li>the application runs as a child JVM of the shaded jar ({@code depot.dedup.app.jar}) with
 *       {@code config/streams-dedup.properties} ({@code depot.config.dir}) as shipped, only the
 *       broker, topics, {@code application.id} and {@code state.dir} overridden, {@code
 *       dedup.record.layout=batch}, {@code exactly_once_v2}, and no standby (there is one
 *       instance), plus the {@code --app} overrides; it is timed until it has committed the whole
 *       input;
 *   <li>a live load starts (20 uploads a second, 10,000 new readings a second); once the output
 *       grows with it, the child gets SIGKILL; when it is gone a {@code read_committed} reader of
 *       the output goes to the end and the same command starts again on the same state directory;
 *   <li><b>recovery</b>: from the SIGKILL to the first output record the reader sees; <b>restored
 *       records</b>: the sum of the restarted child's {@code dedup: restored N records of ...}
 *       lines (its restore listener) once it is RUNNING;
 *   <li>the live load stops; the output must then hold one record per input record (every upload is
 *       new), else the bench exits 1.
 * </ol>
 *
 * The children's logs go to {@code depot.bench.logs} ({@code bench/target/dedup-crash-logs}), the
 * broker and the state directories to a temporary directory under {@code --dir}, deleted at the
 * end.
 *
 * <p>Results: {@code dedup.crash.recovery_s.<size>} and {@code
 * dedup.crash.restored_records.<size>}.
 */
public final class DedupCrashBench {
  static final int UPLOAD = 500;
  static final int DEVICES = 1000;
  static final long T0 = 1_700_000_000_000_000L; // epoch micros
  static final long TICK_US = 100_000L; // 10 Hz
  static final int LIVE_UPLOADS_PER_S = 20;
  static final Pattern RESTORED =
      Pattern.compile("dedup: restored (\\d+) records of (\\S+) (\\S+) in (\\d+) ms");

  private final PrintStream progress = System.err;
  private final Path root;
  private final Path logs;
  private final int partitions;
  private final Map<String, String> appOverrides;
  private final Path jar;
  private final Path config;
  private BenchBroker broker;

  private DedupCrashBench(
      Path root,
      Path logs,
      int partitions,
      Map<String, String> appOverrides,
      Path jar,
      Path config) {
    this.root = root;
    this.logs = logs;
    this.partitions = partitions;
    this.appOverrides = appOverrides;
    this.jar = jar;
    this.config = config;
  }

  public static void main(String[] args) throws Exception {
    BenchArgs in =
        BenchArgs.read(
            "dedup-crash",
            "The dedup app (shaded jar, child JVM) SIGKILLed and restarted on its state, stores"
                + " of 2 M and 20 M keys (--quick: the 2 M-key store only): seconds until its"
                + " output grows again.",
            args,
            BenchArgs.number("--partitions", "input partitions, one task each (default 2)"),
            BenchArgs.repeated(
                "--app",
                "key=value",
                "an override of config/streams-dedup.properties for the app (repeatable)"));
    if (in == null) {
      return;
    }
    int partitions = (int) in.number("--partitions", 1, 64, 2);
    Map<String, String> overrides = new LinkedHashMap<>();
    for (String kv : in.all("--app")) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw in.fail("--app needs key=value, was " + kv);
      }
      overrides.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    Path jar = Path.of(System.getProperty("depot.dedup.app.jar", "streams-dedup/target/x.jar"));
    Path config = Path.of(System.getProperty("depot.config.dir", "config"));
    if (!Files.isRegularFile(jar)
        || !Files.isRegularFile(config.resolve("streams-dedup.properties"))) {
      System.err.println(
          "dedup-crash bench: no application jar at "
              + jar
              + " or no streams-dedup.properties in "
              + config
              + " (bench/run sets depot.dedup.app.jar and depot.config.dir)");
      System.exit(1);
    }
    Path logs = Path.of(System.getProperty("depot.bench.logs", "dedup-crash-logs"));
    Files.createDirectories(logs);
    List<Long> sizes = in.quick() ? List.of(2_000_000L) : List.of(2_000_000L, 20_000_000L);
    BenchRun.inTempRoot(
        in.dir(),
        "dedup-crash-",
        (root, figures) ->
            new DedupCrashBench(root, logs, partitions, overrides, jar, config)
                .run(sizes, figures));
  }

  private int run(List<Long> sizes, Figures figures) throws Exception {
    List<String> errors = new ArrayList<>();
    try (BenchBroker started =
        BenchBroker.start(root.resolve("kafka"), Map.of("log.retention.ms", "-1"))) {
      broker = started;
      progress.printf(
          Locale.ROOT,
          "[crash] broker at %s; app overrides %s%n",
          broker.bootstrap(),
          appOverrides);
      for (long keys : sizes) {
        crash(keys, figures, errors);
      }
    }
    for (String error : errors) {
      progress.println("[crash] ERROR: " + error);
    }
    return errors.isEmpty() ? 0 : 1;
  }

  private static String label(long keys) {
    return keys % 1_000_000 == 0 ? keys / 1_000_000 + "M" : Long.toString(keys);
  }

  private void crash(long keys, Figures figures, List<String> errors) throws Exception {
    String size = label(keys);
    String app = "dedup-crash-" + size;
    String input = "readings-" + size;
    String output = "unique-" + size;
    broker.createTopics(partitions, input, output);
    Uploads uploads = new Uploads();
    long loadStarted = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (long n = 0; n < keys; n += UPLOAD) {
        uploads.send(producer, input);
      }
      producer.flush();
    }
    progress.printf(
        Locale.ROOT,
        "[crash %s] loaded %,d uploads (%,d readings) in %.1f s%n",
        size,
        uploads.sent.get(),
        uploads.sent.get() * UPLOAD,
        (System.nanoTime() - loadStarted) / 1e9);

    Map<String, String> overrides = new LinkedHashMap<>();
    overrides.put("bootstrap.servers", broker.bootstrap());
    overrides.put("application.id", app);
    overrides.put("state.dir", root.resolve("state-" + size).toString());
    overrides.put("dedup.input.topic", input);
    overrides.put("dedup.output.topic", output);
    overrides.put("dedup.record.layout", "batch");
    overrides.put("dedup.batch.field", "readings");
    overrides.put("dedup.value.format", "json");
    overrides.put("processing.guarantee", "exactly_once_v2");
    overrides.put("num.standby.replicas", "0");
    // a store built over days last checkpointed at most one interval before a crash; the bench
    // builds its store in seconds, so it runs the live load for one interval before the kill
    overrides.put("dedup.checkpoint.interval.ms", "10000");
    overrides.putAll(appOverrides);
    long checkpointWaitMillis =
        Long.parseLong(overrides.get("dedup.checkpoint.interval.ms")) + 3000;

    Path firstLog = logs.resolve("app-" + size + "-1.log");
    Path secondLog = logs.resolve("app-" + size + "-2.log");
    Files.deleteIfExists(firstLog);
    Files.deleteIfExists(secondLog);
    Child first = Child.start(jar, config, overrides, firstLog);
    Child second = null;
    AtomicBoolean live = new AtomicBoolean(true);
    Thread liveLoad = null;
    try {
      long started = System.nanoTime();
      awaitCommitted(app, input, uploads.sent.get(), first, size, TimeUnit.MINUTES.toNanos(30));
      progress.printf(
          Locale.ROOT,
          "[crash %s] the app committed all %,d uploads %.1f s after its start%n",
          size,
          uploads.sent.get(),
          (System.nanoTime() - started) / 1e9);

      liveLoad = new Thread(() -> liveLoad(uploads, input, live), "crash-live-load");
      liveLoad.setDaemon(true);
      liveLoad.start();
      try (KafkaConsumer<byte[], byte[]> reader = reader(output)) {
        awaitGrowth(reader, "the output to grow with the live load", first, null);
        progress.printf(
            Locale.ROOT,
            "[crash %s] live load for %.0f s (one checkpoint interval)%n",
            size,
            checkpointWaitMillis / 1e3);
        Thread.sleep(checkpointWaitMillis);
        first.checkAlive();
        first.kill();
        long killed = first.killedAt;
        progress.printf(Locale.ROOT, "[crash %s] SIGKILL; starting it again%n", size);
        reader.seekToEnd(reader.assignment());
        reader.assignment().forEach(reader::position);
        second = Child.start(jar, config, overrides, secondLog);
        long grew = awaitGrowth(reader, "the output to grow again", second, killed);
        double recovery = (grew - killed) / 1e9;
        progress.printf(
            Locale.ROOT,
            "[crash %s] output grows again %.2f s after the SIGKILL%n",
            size,
            recovery);
        figures.put("dedup.crash.recovery_s." + size, String.format(Locale.ROOT, "%.2f", recovery));
      }
      Child restarted = second;
      awaitLog(restarted, "-> RUNNING", TimeUnit.MINUTES.toNanos(30));
      long restored = 0;
      Matcher m = RESTORED.matcher(restarted.log());
      while (m.find()) {
        restored += Long.parseLong(m.group(1));
        progress.printf(
            Locale.ROOT,
            "[crash %s] restored %,d records of %s in %s ms%n",
            size,
            Long.parseLong(m.group(1)),
            m.group(3),
            m.group(4));
      }
      figures.put("dedup.crash.restored_records." + size, Long.toString(restored));

      live.set(false);
      liveLoad.join();
      awaitCommitted(app, input, uploads.sent.get(), restarted, size, TimeUnit.MINUTES.toNanos(10));
      long out = broker.countCommitted(output, Duration.ofMinutes(10), null);
      if (out != uploads.sent.get()) {
        errors.add(
            app + ": the output holds " + out + " records; " + uploads.sent.get() + " were new");
      }
      progress.printf(
          Locale.ROOT,
          "[crash %s] output %,d records for %,d new uploads%n",
          size,
          out,
          uploads.sent.get());
    } finally {
      live.set(false);
      if (liveLoad != null) {
        liveLoad.join();
      }
      first.close();
      if (second != null) {
        second.close();
      }
    }
  }

  /** Uploads of new readings from 1,000 devices in turn; thread-safe. */
  private static final class Uploads {
    final AtomicLong sent = new AtomicLong();

    void send(KafkaProducer<byte[], byte[]> producer, String topic) {
      long n = sent.getAndIncrement();
      int device = (int) (n % DEVICES);
      long first = T0 + (n / DEVICES) * UPLOAD * TICK_US;
      StringBuilder json = new StringBuilder(UPLOAD * 36 + 64);
      json.append("{\"user_id\":")
          .append(device / 4)
          .append(",\"device_id\":")
          .append(device % 4)
          .append(",\"readings\":[");
      for (int i = 0; i < UPLOAD; i++) {
        // up to 1 ms after its tick, as devices read (and as the seed workload has it)
        long micros = first + i * TICK_US + Math.floorMod(n * 7919 + i * 104_729L, 1000);
        json.append(i == 0 ? "{\"ts_us\":" : ",{\"ts_us\":")
            .append(micros)
            .append(",\"hr\":")
            .append(50 + micros % 97)
            .append('}');
      }
      json.append("]}");
      byte[] key = ((device / 4) + "-" + (device % 4)).getBytes(StandardCharsets.UTF_8);
      producer.send(
          new ProducerRecord<>(topic, key, json.toString().getBytes(StandardCharsets.UTF_8)));
    }
  }

  private void liveLoad(Uploads uploads, String topic, AtomicBoolean live) {
    long interval = TimeUnit.SECONDS.toNanos(1) / LIVE_UPLOADS_PER_S;
    long next = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      while (live.get()) {
        uploads.send(producer, topic);
        next += interval;
        LockSupport.parkNanos(next - System.nanoTime());
      }
      producer.flush();
    }
  }

  private KafkaProducer<byte[], byte[]> producer() {
    return broker.producer(
        Map.of(
            "acks",
            "all",
            "linger.ms",
            "5",
            "batch.size",
            Integer.toString(1 << 20),
            "max.request.size",
            Integer.toString(8 << 20),
            "compression.type",
            "lz4"));
  }

  private KafkaConsumer<byte[], byte[]> reader(String topic) {
    KafkaConsumer<byte[], byte[]> consumer = broker.committedReader();
    List<TopicPartition> all = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      all.add(new TopicPartition(topic, p));
    }
    consumer.assign(all);
    consumer.seekToEnd(all);
    all.forEach(consumer::position);
    return consumer;
  }

  /** Polls until a record comes; returns when (nanoTime). */
  private long awaitGrowth(
      KafkaConsumer<byte[], byte[]> reader, String what, Child child, Long since) {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
    long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      int n = reader.poll(Duration.ofMillis(20)).count();
      long now = System.nanoTime();
      if (n > 0) {
        return now;
      }
      child.checkAlive();
      if (now > deadline) {
        throw new IllegalStateException("timed out waiting for " + what + "; log " + child.log);
      }
      if (now > nextReport && since != null) {
        progress.printf(
            Locale.ROOT, "[crash] waiting: %.0f s since the SIGKILL%n", (now - since) / 1e9);
        nextReport = now + TimeUnit.SECONDS.toNanos(10);
      }
    }
  }

  private void awaitCommitted(
      String app, String topic, long records, Child child, String size, long timeout)
      throws Exception {
    long deadline = System.nanoTime() + timeout;
    BenchBroker.awaitCommitted(
        broker.admin(),
        app,
        topic,
        records,
        Duration.ofMillis(100),
        deadline,
        new BenchBroker.CommitWatch() {
          @Override
          public void waiting(long now, long sum) {
            child.checkAlive();
            if (now > deadline) {
              throw new IllegalStateException(
                  app
                      + " committed "
                      + sum
                      + " of "
                      + records
                      + " records in time; log "
                      + child.log);
            }
          }

          @Override
          public void report(long now, long sum) {
            progress.printf(
                Locale.ROOT, "[crash %s] committed %,d of %,d uploads%n", size, sum, records);
          }
        });
  }

  private void awaitLog(Child child, String text, long timeout) throws IOException {
    long deadline = System.nanoTime() + timeout;
    while (!child.log().contains(text)) {
      child.checkAlive();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no '" + text + "' in " + child.log);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
    }
  }

  /** The shaded application jar in its own JVM. */
  private static final class Child {
    final ChildJvm jvm;
    final Path log;
    long killedAt;

    private Child(ChildJvm jvm, Path log) {
      this.jvm = jvm;
      this.log = log;
    }

    static Child start(Path jar, Path config, Map<String, String> overrides, Path log)
        throws IOException {
      ChildJvm.Builder app =
          ChildJvm.jar(jar)
              .jvmArg("-Xmx1g")
              .jvmArg("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
              .jvmArg("-Dorg.slf4j.simpleLogger.log.dev.depot=info")
              .jvmArg("-Dorg.slf4j.simpleLogger.showDateTime=true")
              .arg(config.resolve("streams-dedup.properties").toString())
              .log(log);
      overrides.forEach((k, v) -> app.arg(k + "=" + v));
      return new Child(app.start(), log);
    }

    String log() {
      return jvm.logText();
    }

    void checkAlive() {
      if (!jvm.process().isAlive()) {
        throw new IllegalStateException(
            "the application exited with " + jvm.process().exitValue() + "; log " + log);
      }
    }

    /** SIGKILL, and waits until the process is gone. */
    void kill() throws InterruptedException {
      killedAt = System.nanoTime();
      jvm.kill();
    }

    /** SIGTERM (the app leaves its group), SIGKILL if it is not gone in a minute. */
    void close() {
      jvm.close();
    }
  }
}
