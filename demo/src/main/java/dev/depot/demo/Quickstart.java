package dev.depot.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depot.demo.internal.ChildProcess;
import dev.depot.demo.internal.DepotWatch;
import dev.depot.demo.internal.Options;
import dev.depot.generator.ReadingGenerator;
import dev.depot.generator.ReadingGenerator.Layout;
import dev.depot.registry.SchemaRegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The one-command quickstart ({@code ./quickstart}): runs the whole pipeline on this machine, each
 * part in its own process, with the sample configs of {@code config/}:
 *
 * <pre>
 * generator --&gt; readings --&gt; dedup application --&gt; readings-unique
 *                  |                                        |
 *                  +-------&gt; Connect worker, depot sink &lt;---+--&gt; DATA/depot/&lt;topic&gt;/&lt;partition&gt;/
 * </pre>
 *
 * <p>A single-node KRaft broker ({@code kafka.Kafka}), an Apicurio registry (unless {@code
 * --no-registry}), a standalone Connect worker loading the sink from its plugin zip through {@code
 * plugin.path}, the dedup application's shaded jar, and, in this process, a generator of the seed
 * workload. When the depot holds every record, it reads the depot back (every checksum, every
 * envelope, every reading's key), prints a summary to stdout and stops everything in order: the
 * worker, the application, the broker, the registry. Ctrl-C does the same at any time; each child
 * process also stops by itself when this process is gone.
 *
 * <p>Exit code 0 when the depot verified, 1 when something failed (the message names the log to
 * read), 2 for a bad option.
 */
public final class Quickstart {
  static final String CONNECTOR = "depot-sink";
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration STALL_TIMEOUT = Duration.ofMinutes(3);
  private static final String MARKER = ".quickstart";

  private final Options options;
  private final PrintStream out;
  private final PrintStream progress;
  private final Path configDir;
  private final Path data;
  private final Path depot;
  private final Path logs;
  private final List<ChildProcess> children = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Object stopLock = new Object();
  private volatile boolean stopping;

  private String bootstrap;
  private String registryUrl;
  private String connectUrl;
  private String inputTopic;
  private String outputTopic;

  Quickstart(Options options, PrintStream out, PrintStream progress) {
    this.options = options;
    this.out = out;
    this.progress = progress;
    this.configDir = options.home().resolve("config");
    this.data = options.data();
    this.depot = data.resolve("depot");
    this.logs = data.resolve("logs");
  }

  public static void main(String[] args) {
    Path home = Path.of(System.getProperty("depot.home", ".")).toAbsolutePath().normalize();
    for (String arg : args) {
      if (arg.equals("-h") || arg.equals("--help")) {
        System.out.println(Options.USAGE);
        return;
      }
    }
    Options options;
    try {
      options = Options.parse(args, home);
    } catch (IllegalArgumentException e) {
      System.err.println("quickstart: " + e.getMessage());
      System.exit(2);
      return;
    }
    Quickstart quickstart = new Quickstart(options, System.out, System.err);
    Thread hook = new Thread(quickstart::onSignal, "quickstart-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    int status;
    try {
      status = quickstart.run();
    } catch (QuickstartException e) {
      System.err.println();
      System.err.println("quickstart: " + e.getMessage());
      status = 1;
    } catch (RuntimeException e) {
      System.err.println();
      System.err.println("quickstart: " + e);
      e.printStackTrace();
      status = 1;
    }
    quickstart.stopAll();
    System.exit(status);
  }

  /** A failure to report in one line (plus the log to read), without a stack trace. */
  static final class QuickstartException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    QuickstartException(String message) {
      super(message);
    }
  }

  int run() {
    Path appJar = requireFile(options.home().resolve("streams-dedup/target/depot-dedup-app.jar"));
    Path pluginZip = pluginZip();
    Path registryRunner = options.registry() ? registryRunner() : null;
    Properties dedupConfig = load(configDir.resolve("streams-dedup.properties"));
    inputTopic = dedupConfig.getProperty("dedup.input.topic", "readings");
    outputTopic = dedupConfig.getProperty("dedup.output.topic", "readings-unique");
    prepareDataDir();

    step("starting a KRaft broker");
    int brokerPort = freePort();
    int controllerPort = freePort();
    bootstrap = "127.0.0.1:" + brokerPort;
    ChildProcess registry = null;
    if (registryRunner != null) {
      int registryPort = freePort();
      registryUrl = "http://127.0.0.1:" + registryPort;
      registry =
          startChild(
              "schema registry",
              List.of(
                  "-Xmx256m",
                  "-Dquarkus.http.host=127.0.0.1",
                  "-Dquarkus.http.port=" + registryPort,
                  "-Dquarkus.log.console.color=false"),
              ownCode() + java.io.File.pathSeparator + registryRunner,
              "io.quarkus.runner.GeneratedMain",
              List.of(),
              "registry.log");
    }
    Path serverProperties = writeBrokerConfig(brokerPort, controllerPort);
    formatStorage(serverProperties);
    ChildProcess broker =
        startChild(
            "broker",
            List.of("-Xmx512m", "-Xms256m"),
            System.getProperty("java.class.path"),
            "kafka.Kafka",
            List.of(serverProperties.toString()),
            "broker.log");
    awaitBroker(broker);
    createTopics(dedupConfig);
    if (registry != null) {
      step("waiting for the schema registry (Apicurio, Confluent-compatible API)");
      awaitHttp(registry, registryUrl + "/apis/ccompat/v7/subjects");
    }

    step("starting the dedup application and the Connect worker");
    List<String> dedupArgs = new ArrayList<>();
    dedupArgs.add(configDir.resolve("streams-dedup.properties").toString());
    dedupArgs.add("bootstrap.servers=" + bootstrap);
    dedupArgs.add("state.dir=" + data.resolve("dedup-state"));
    dedupArgs.add("num.standby.replicas=0"); // one instance: no other to keep a standby on
    dedupArgs.add("dedup.record.layout=" + options.layout().configValue());
    dedupArgs.add("dedup.batch.field=" + ReadingGenerator.BATCH_FIELD);
    dedupArgs.add("dedup.value.format=" + (registryUrl != null ? "avro" : "json"));
    if (registryUrl != null) {
      dedupArgs.add("dedup.registry.url=" + confluentApi());
    }
    ChildProcess dedup =
        startChild(
            "dedup application",
            List.of("-Xmx512m"),
            appJar + java.io.File.pathSeparator + ownCode(),
            "dev.depot.streams.app.DedupApp",
            dedupArgs,
            "dedup-app.log");
    Path plugins = unzipPlugin(pluginZip);
    int restPort = freePort();
    connectUrl = "http://127.0.0.1:" + restPort;
    Path workerProperties = writeWorkerConfig(plugins, restPort);
    Path sinkProperties = writeSinkConfig();
    ChildProcess connect =
        startChild(
            "Connect worker",
            List.of("-Xmx512m"),
            kafkaOnlyClasspath(),
            "org.apache.kafka.connect.cli.ConnectStandalone",
            List.of(workerProperties.toString(), sinkProperties.toString()),
            "connect.log");
    awaitConnector(connect);

    String format =
        (registryUrl != null
                ? "Avro, Confluent wire format, registry " + registryUrl
                : "JSON, no registry")
            + (options.layout() == Layout.BATCH
                ? "; one record per upload"
                : "; one record per reading");
    step(
        String.format(
            Locale.ROOT,
            "producing %,d readings to %s (%s; %.0f %% of the uploads sent twice)",
            options.records(),
            inputTopic,
            format,
            options.duplicateRate() * 100));
    ReadingGenerator generator =
        new ReadingGenerator(
            inputTopic,
            options.records(),
            options.duplicateRate(),
            options.batchKeys(),
            options.layout());
    AtomicLong sent = new AtomicLong(-1);
    Thread producing =
        new Thread(
            () ->
                sent.set(
                    generator.run(
                        bootstrap, registryUrl == null ? null : confluentApi(), () -> stopping)),
            "quickstart-generator");
    producing.setDaemon(true);
    producing.start();
    long started = System.nanoTime();
    long pipelineNanos;
    try (DepotWatch watch = new DepotWatch(depot)) {
      pipelineNanos = follow(generator, sent, watch, List.of(broker, dedup, connect), started);
    }
    if (generator.failure() != null) {
      throw new QuickstartException("producing failed: " + generator.failure());
    }

    step("verifying the depot: every record's checksum, envelope and reading");
    DepotWatch.Verification verification;
    if (registryUrl == null) {
      verification =
          DepotWatch.verify(depot, inputTopic, outputTopic, null, data.resolve("verify"));
    } else {
      // the schema each value was written with, by the id in its header: the generator's, and
      // the one the dedup application wrote its records with
      try (SchemaRegistryClient schemas = SchemaRegistryClient.builder(confluentApi()).build()) {
        verification =
            DepotWatch.verify(
                depot, inputTopic, outputTopic, schemas::schemaById, data.resolve("verify"));
      }
    }
    summary(generator, verification, pipelineNanos, format);
    if (!verification.ok()) {
      return 1;
    }
    if (options.keepRunning()) {
      out.println();
      out.println(
          "Everything keeps running; Ctrl-C stops it. Broker "
              + bootstrap
              + ", Connect REST "
              + connectUrl
              + (registryUrl != null ? ", registry " + registryUrl : "")
              + ".");
      out.flush();
      awaitStop(List.of(broker, dedup, connect));
    }
    return 0;
  }

  /** Follows the pipeline until the depot holds everything; returns nanos from the first send. */
  private long follow(
      ReadingGenerator generator,
      AtomicLong sent,
      DepotWatch watch,
      List<ChildProcess> watched,
      long started) {
    boolean terminal = System.console() != null;
    long lastChange = System.nanoTime();
    long lastShown = 0;
    long lastTotal = -1;
    while (true) {
      if (stopping) {
        throw new QuickstartException("stopped before the pipeline finished");
      }
      for (ChildProcess child : watched) {
        requireAlive(child);
      }
      if (generator.failure() != null) {
        throw new QuickstartException("producing failed: " + generator.failure());
      }
      long produced = generator.produced();
      long raw = watch.count(inputTopic);
      long unique = watch.count(outputTopic);
      // in records: every upload is new readings only or a whole re-send (dropped whole)
      long records =
          options.layout() == Layout.BATCH
              ? (options.records() + options.batchKeys() - 1) / options.batchKeys()
              : options.records();
      long expectedUnique = records - generator.duplicateRecords();
      boolean done =
          sent.get() >= 0
              && raw >= generator.producedRecords()
              && unique >= generator.producedRecords() - generator.duplicateRecords();
      long now = System.nanoTime();
      if (raw + unique + produced != lastTotal) {
        lastTotal = raw + unique + produced;
        lastChange = now;
      } else if (now - lastChange > STALL_TIMEOUT.toNanos()) {
        throw new QuickstartException(
            String.format(
                Locale.ROOT,
                "no progress for %d s: produced %,d, depot %s %,d and %s %,d; logs in %s",
                STALL_TIMEOUT.toSeconds(),
                produced,
                inputTopic,
                raw,
                outputTopic,
                unique,
                logs));
      }
      if (done || terminal || now - lastShown > TimeUnit.SECONDS.toNanos(2)) {
        lastShown = now;
        String bar =
            bar(options.records(), produced, records, raw, unique, expectedUnique, now - started);
        if (terminal) {
          progress.print("\r" + bar);
        } else {
          progress.println(bar);
        }
        progress.flush();
      }
      if (done) {
        if (terminal) {
          progress.println();
        }
        return now - started;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(terminal ? 200 : 250));
    }
  }

  private static String bar(
      long readings,
      long produced,
      long records,
      long raw,
      long unique,
      long expectedUnique,
      long nanos) {
    int width = 30;
    double share = (raw + unique) / (double) (records + Math.max(expectedUnique, 1));
    int filled = (int) Math.min(width, Math.round(share * width));
    return String.format(
        Locale.ROOT,
        "[%s%s] %3d%%  produced %,d/%,d readings  in the depot: raw %,d, unique %,d records"
            + "  %.0f s",
        "#".repeat(filled),
        ".".repeat(width - filled),
        Math.min(100, Math.round(share * 100)),
        produced,
        readings,
        raw,
        unique,
        nanos / 1e9);
  }

  private void summary(
      ReadingGenerator generator, DepotWatch.Verification v, long pipelineNanos, String format) {
    long produced = generator.produced();
    long producedRecords = generator.producedRecords();
    long rawRecords = v.records().getOrDefault(inputTopic, 0L);
    long uniqueRecords = v.records().getOrDefault(outputTopic, 0L);
    long rawReadings = v.readings().getOrDefault(inputTopic, 0L);
    long uniqueReadings = v.readings().getOrDefault(outputTopic, 0L);
    Map<String, String> rows = new LinkedHashMap<>();
    rows.put(
        "produced",
        String.format(
            Locale.ROOT,
            "%,d readings in %,d records to %s (%s)",
            produced,
            producedRecords,
            inputTopic,
            format));
    rows.put(
        "duplicates sent",
        String.format(
            Locale.ROOT,
            "%,d readings in %,d records (%.1f %% of the readings: re-sent uploads)",
            generator.duplicates(),
            generator.duplicateRecords(),
            100.0 * generator.duplicates() / Math.max(produced, 1)));
    rows.put(
        "duplicates dropped",
        String.format(
            Locale.ROOT,
            "%,d readings (%,d records dropped, %,d trimmed; by the dedup application: %s minus"
                + " %s)",
            rawReadings - uniqueReadings,
            rawRecords - uniqueRecords,
            v.trimmed(),
            inputTopic,
            outputTopic));
    rows.put(
        "depot " + inputTopic,
        String.format(
            Locale.ROOT,
            "%,d readings in %,d records in %d partitions",
            rawReadings,
            rawRecords,
            v.partitions().getOrDefault(inputTopic, 0)));
    rows.put(
        "depot " + outputTopic,
        String.format(
            Locale.ROOT,
            "%,d readings in %,d records in %d partitions",
            uniqueReadings,
            uniqueRecords,
            v.partitions().getOrDefault(outputTopic, 0)));
    rows.put(
        "depot verified",
        v.ok()
            ? String.format(
                Locale.ROOT,
                "yes: %,d records read, every checksum good, no partial record; %s holds each of"
                    + " %,d distinct readings once, and %s every offset once",
                v.recordsRead(),
                outputTopic,
                v.distinctReadings(),
                inputTopic)
            : "NO: "
                + String.join("; ", v.problems().subList(0, Math.min(5, v.problems().size()))));
    rows.put(
        "throughput",
        String.format(
            Locale.ROOT,
            "produced %,.0f readings/s (%,.0f records/s); end to end %,.0f readings/s (%.1f s from"
                + " the first send to the last record in the depot)",
            produced / (generator.elapsedNanos() / 1e9),
            producedRecords / (generator.elapsedNanos() / 1e9),
            produced / (pipelineNanos / 1e9),
            pipelineNanos / 1e9));
    rows.put("data", shown(depot) + "/<topic>/<partition>/");
    rows.put("logs", shown(logs) + "/");
    int width = rows.keySet().stream().mapToInt(String::length).max().orElse(10);
    out.println();
    out.println("Quickstart summary");
    for (Map.Entry<String, String> row : rows.entrySet()) {
      out.printf(Locale.ROOT, "  %-" + width + "s  %s%n", row.getKey(), row.getValue());
    }
    out.println();
    out.println("Look at the depot:");
    String unique0 = shown(depot.resolve(outputTopic).resolve("0"));
    String raw0 = shown(depot.resolve(inputTopic).resolve("0"));
    out.println("  bin/depot ls " + unique0);
    out.println("  bin/depot cat --limit 3 " + unique0);
    out.println("  bin/depot stats " + raw0);
    out.println("  bin/depot verify " + raw0);
    out.flush();
  }

  /** The registry's Confluent-compatible API (Apicurio serves it under /apis/ccompat/v7). */
  private String confluentApi() {
    return registryUrl + "/apis/ccompat/v7";
  }

  /** A path relative to the working directory when it is under it. */
  private static String shown(Path path) {
    Path cwd = Path.of("").toAbsolutePath();
    return path.startsWith(cwd) ? cwd.relativize(path).toString() : path.toString();
  }

  // ---------------------------------------------------------------- processes

  private ChildProcess startChild(
      String name, List<String> jvm, String classpath, String main, List<String> args, String log) {
    synchronized (children) {
      if (stopping) {
        throw new QuickstartException("stopped");
      }
      List<String> options = new ArrayList<>(jvm);
      options.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
      options.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
      options.add("-Ddepot.quickstart.data=" + data); // how a later run finds leftovers
      ChildProcess child =
          ChildProcess.start(name, options, classpath, main, args, logs.resolve(log));
      children.add(child);
      appendPid(child);
      return child;
    }
  }

  /** Stops the children, newest first: worker, application, broker, registry. Idempotent. */
  void stopAll() {
    // a second caller (Ctrl-C during the stop) waits here until the first has stopped everything
    synchronized (stopLock) {
      stopAllLocked();
    }
  }

  private void stopAllLocked() {
    List<ChildProcess> toStop;
    synchronized (children) {
      stopping = true;
      toStop = new ArrayList<>(children);
      children.clear();
    }
    if (!toStop.isEmpty()) {
      progress.println("==> stopping");
    }
    for (int i = toStop.size() - 1; i >= 0; i--) {
      ChildProcess child = toStop.get(i);
      boolean clean = child.stop(60);
      progress.println(
          "    " + child.name() + (clean ? " stopped" : " did not stop in 60 s: killed"));
    }
    progress.flush();
    stopped.countDown();
  }

  private void onSignal() {
    if (!stopping) {
      progress.println();
      progress.println("quickstart: interrupted");
    }
    stopAll();
  }

  private void awaitStop(List<ChildProcess> watched) {
    while (!stopping) {
      for (ChildProcess child : watched) {
        if (!child.isAlive()) {
          throw new QuickstartException(
              "the "
                  + child.name()
                  + " exited with code "
                  + child.exitCode()
                  + "; its log: "
                  + child.log());
        }
      }
      try {
        stopped.await(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  // ---------------------------------------------------------------- setup

  private void prepareDataDir() {
    if (Files.exists(data)) {
      if (!Files.exists(data.resolve(MARKER)) && !isEmptyDir(data)) {
        throw new QuickstartException(
            "refusing to empty "
                + data
                + ": it is not a quickstart data directory (no "
                + MARKER
                + " file in it); choose another --data");
      }
      stopLeftovers();
      deleteTree(data);
    }
    try {
      Files.createDirectories(logs);
      Files.writeString(data.resolve(MARKER), "created by ./quickstart; emptied by its next run\n");
    } catch (IOException e) {
      throw new QuickstartException("cannot create " + data + ": " + e.getMessage());
    }
  }

  /** Stops what a previous run in the same directory left running (it was killed with -9). */
  private void stopLeftovers() {
    Path pids = data.resolve("pids");
    if (!Files.exists(pids)) {
      return;
    }
    try {
      for (String line : Files.readAllLines(pids)) {
        String[] fields = line.split(" ", 2);
        ProcessHandle.of(Long.parseLong(fields[0]))
            .filter(p -> p.info().commandLine().orElse("").contains(data.toString()))
            .ifPresent(
                p -> {
                  progress.println("    stopping process " + p.pid() + " left by a previous run");
                  p.destroy();
                  p.onExit().orTimeout(60, TimeUnit.SECONDS).exceptionally(e -> p).join();
                  p.destroyForcibly();
                });
      }
    } catch (IOException | RuntimeException e) {
      progress.println("    (cannot read " + pids + ": " + e.getMessage() + ")");
    }
  }

  private void appendPid(ChildProcess child) {
    try {
      Files.writeString(
          data.resolve("pids"),
          child.pid() + " " + child.name() + "\n",
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path writeBrokerConfig(int brokerPort, int controllerPort) {
    Properties p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", "1");
    p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.setProperty(
        "listeners",
        "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.setProperty("controller.listener.names", "CONTROLLER");
    p.setProperty("inter.broker.listener.name", "PLAINTEXT");
    p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.setProperty("log.dirs", data.resolve("kafka").toString());
    p.setProperty("num.partitions", "2");
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("offsets.topic.num.partitions", "4");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("transaction.state.log.num.partitions", "4");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    p.setProperty("auto.create.topics.enable", "false");
    return store(p, "server.properties", "the quickstart's single-node KRaft broker");
  }

  private void formatStorage(Path serverProperties) {
    String[] args = {
      "format", "-t", Uuid.randomUuid().toString(), "-c", serverProperties.toString()
    };
    PrintStream sink =
        new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    int code;
    try {
      code = kafka.tools.StorageTool.execute(args, sink);
    } catch (Exception e) {
      throw new QuickstartException("formatting the broker's log directory failed: " + e);
    }
    if (code != 0) {
      throw new QuickstartException("formatting the broker's log directory failed: code " + code);
    }
  }

  private void awaitBroker(ChildProcess broker) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      while (true) {
        requireAlive(broker);
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          return;
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw new QuickstartException(
                "the broker did not come up in "
                    + START_TIMEOUT.toSeconds()
                    + " s; its log: "
                    + broker.log());
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
      }
    }
  }

  private void createTopics(Properties dedupConfig) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      for (String topic : List.of(inputTopic, outputTopic)) {
        try {
          admin
              .createTopics(List.of(new NewTopic(topic, 2, (short) 1)))
              .all()
              .get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new QuickstartException("cannot create topic " + topic + ": " + e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QuickstartException("interrupted");
    } catch (java.util.concurrent.TimeoutException e) {
      throw new QuickstartException("creating the topics timed out");
    }
  }

  private void awaitHttp(ChildProcess child, String url) {
    pollHttp(child, url, "the " + child.name() + " to answer " + url, r -> r.statusCode() == 200);
  }

  /** Waits until the connector and all its tasks are RUNNING, through the worker's REST API. */
  private void awaitConnector(ChildProcess connect) {
    String url = connectUrl + "/connectors/" + CONNECTOR + "/status";
    pollHttp(
        connect,
        url,
        "the depot sink to start",
        response -> {
          if (response.statusCode() != 200) {
            return false;
          }
          JsonNode status = json.readTree(response.body());
          boolean tasksRunning = status.path("tasks").size() > 0;
          for (JsonNode task : status.path("tasks")) {
            if (task.path("state").asText().equals("FAILED")) {
              throw new QuickstartException(
                  "the depot sink's task "
                      + task.path("id")
                      + " failed: "
                      + task.path("trace").asText().lines().findFirst().orElse("")
                      + "; log: "
                      + connect.log());
            }
            tasksRunning &= task.path("state").asText().equals("RUNNING");
          }
          String state = status.path("connector").path("state").asText();
          if (state.equals("FAILED")) {
            throw new QuickstartException(
                "the depot sink failed: " + response.body() + "; log: " + connect.log());
          }
          return state.equals("RUNNING") && tasksRunning;
        });
  }

  /** Decides from an answer whether the wait is over; may throw to fail the quickstart. */
  private interface HttpCheck {
    boolean done(HttpResponse<String> response) throws IOException;
  }

  /**
   * Asks {@code url} every 250 ms until {@code check} says done, while {@code child} is alive, for
   * up to {@link #START_TIMEOUT}. Connection errors and unparsable answers mean "not yet".
   */
  private void pollHttp(ChildProcess child, String url, String waitingFor, HttpCheck check) {
    URI uri = URI.create(url);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String last = "no answer";
    while (true) {
      requireAlive(child);
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        last = response.statusCode() + " " + response.body();
        if (check.done(response)) {
          return;
        }
      } catch (IOException e) {
        // not listening yet, or not a full answer yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QuickstartException("interrupted");
      }
      if (System.nanoTime() > deadline) {
        throw new QuickstartException(
            "gave up waiting for "
                + waitingFor
                + " after "
                + START_TIMEOUT.toSeconds()
                + " s (last answer: "
                + last
                + "); log: "
                + child.log());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
    }
  }

  private Path writeWorkerConfig(Path plugins, int restPort) {
    Properties p = load(configDir.resolve("connect-standalone.properties"));
    p.setProperty("bootstrap.servers", bootstrap);
    p.setProperty("listeners", "http://127.0.0.1:" + restPort);
    p.setProperty("plugin.path", plugins.toString());
    p.setProperty("offset.storage.file.filename", data.resolve("connect/offsets").toString());
    // a commit (and so a depot sync) every second, so the summary comes soon after the last record
    p.setProperty("offset.flush.interval.ms", "1000");
    return store(
        p,
        "connect-standalone.properties",
        "config/connect-standalone.properties with the quickstart's addresses");
  }

  private Path writeSinkConfig() {
    Properties p = load(configDir.resolve("depot-sink.properties"));
    p.setProperty("depot.path", depot.toString());
    p.setProperty("topics", inputTopic + "," + outputTopic);
    return store(
        p,
        "depot-sink.properties",
        "config/depot-sink.properties with the quickstart's depot.path");
  }

  private Path unzipPlugin(Path zip) {
    Path plugins = data.resolve("plugins");
    try (java.util.zip.ZipInputStream in =
        new java.util.zip.ZipInputStream(Files.newInputStream(zip))) {
      java.util.zip.ZipEntry entry;
      while ((entry = in.getNextEntry()) != null) {
        Path target = plugins.resolve(entry.getName()).normalize();
        if (!target.startsWith(plugins)) {
          throw new QuickstartException(
              zip + " has an entry outside its directory: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(in, target);
        }
      }
    } catch (IOException e) {
      throw new QuickstartException("cannot unzip " + zip + ": " + e.getMessage());
    }
    return plugins;
  }

  private Path store(Properties p, String name, String comment) {
    Path file = data.resolve("conf").resolve(name);
    try {
      Files.createDirectories(file.getParent());
      try (OutputStream out = Files.newOutputStream(file)) {
        p.store(out, comment);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  private static Properties load(Path file) {
    requireFile(file);
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (IOException e) {
      throw new QuickstartException("cannot read " + file + ": " + e.getMessage());
    }
    return p;
  }

  private Path pluginZip() {
    Path target = options.home().resolve("connector/target");
    try (Stream<Path> files = Files.list(target)) {
      return files
          .filter(f -> f.getFileName().toString().matches("depot-sink-connector-.*\\.zip"))
          .max(Comparator.comparing(Path::toString))
          .orElseThrow(() -> missing(target.resolve("depot-sink-connector-*.zip")));
    } catch (IOException e) {
      throw missing(target.resolve("depot-sink-connector-*.zip"));
    }
  }

  private Path registryRunner() {
    Path dir = options.home().resolve("demo/target/apicurio");
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith("-runner.jar"))
          .findFirst()
          .orElseThrow(() -> missing(dir.resolve("*-runner.jar")));
    } catch (IOException e) {
      throw missing(dir.resolve("apicurio-registry-app-*-runner.jar"));
    }
  }

  private static Path requireFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw missing(file);
    }
    return file;
  }

  private static QuickstartException missing(Path file) {
    return new QuickstartException(
        file
            + " is missing: build first (./quickstart without --no-build runs"
            + " mvn -B -DskipTests package -pl demo,cli -am)");
  }

  /**
   * The Connect worker's classpath: Kafka and what it needs, without our own jars, Avro or
   * Apicurio, so that the sink runs from its plugin zip alone (a zip missing a jar fails here).
   */
  private static String kafkaOnlyClasspath() {
    List<String> kept = new ArrayList<>();
    kept.add(ownCode()); // ChildMain
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      String path = entry.replace('\\', '/');
      boolean ours = path.contains("/dev/depot/") || path.contains("/target/classes");
      if (!ours && !path.contains("/org/apache/avro/") && !path.contains("/io/apicurio/")) {
        kept.add(entry);
      }
    }
    return String.join(java.io.File.pathSeparator, kept);
  }

  /**
   * Where this class was loaded from: the classes directory or jar that holds {@code ChildMain}.
   */
  private static String ownCode() {
    try {
      return Path.of(Quickstart.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private void requireAlive(ChildProcess child) {
    if (stopping) {
      throw new QuickstartException("stopped");
    }
    if (!child.isAlive()) {
      throw new QuickstartException(
          "the "
              + child.name()
              + " exited with code "
              + child.exitCode()
              + "; its log: "
              + child.log()
              + "\n"
              + child.logTail(15));
    }
  }

  private void step(String what) {
    progress.println("==> " + what);
    progress.flush();
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isEmptyDir(Path dir) {
    try (Stream<Path> children = Files.list(dir)) {
      return children.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new QuickstartException("cannot empty " + root + ": " + e.getMessage());
    }
  }
}
