package dev.depot.demo;

import dev.depot.demo.internal.Artifacts;
import dev.depot.demo.internal.ChildProcess;
import dev.depot.demo.internal.ConfigFiles;
import dev.depot.demo.internal.DataDir;
import dev.depot.demo.internal.DepotWatch;
import dev.depot.demo.internal.Options;
import dev.depot.demo.internal.ProgressView;
import dev.depot.demo.internal.QuickstartException;
import dev.depot.demo.internal.Readiness;
import dev.depot.demo.internal.Summary;
import dev.depot.demo.internal.Supervisor;
import dev.depot.generator.ReadingGenerator;
import dev.depot.generator.ReadingGenerator.Layout;
import dev.depot.registry.SchemaRegistryClient;
import java.io.File;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

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
 * <p>This class only wires the parts of {@code dev.depot.demo.internal}, in the order the pipeline
 * needs them: {@link Options} (the command line), {@link Artifacts} (what the build left), {@link
 * DataDir}, {@link ConfigFiles}, {@link Supervisor} (the child processes), {@link Readiness},
 * {@link ProgressView}, {@link DepotWatch} (counting and verifying the depot) and {@link Summary}.
 *
 * <p>Exit code 0 when the depot verified, 1 when something failed (the message names the log to
 * read), 2 for a bad option, 130 after Ctrl-C.
 */
public final class Quickstart {
  static final String CONNECTOR = "depot-sink";
  private static final String DEDUP_CONFIG = "streams-dedup.properties";

  private final Options options;
  private final PrintStream out;
  private final DataDir data;
  private final Artifacts artifacts;
  private final ConfigFiles configs;
  private final Supervisor supervisor;
  private final Readiness readiness;
  private final ProgressView view;

  Quickstart(Options options, PrintStream out, PrintStream progress) {
    this.options = options;
    this.out = out;
    this.data = new DataDir(options.data());
    this.artifacts = new Artifacts(options.home());
    this.configs = new ConfigFiles(options.home().resolve("config"), data);
    this.supervisor = new Supervisor(data, progress);
    this.readiness = new Readiness(supervisor);
    this.view = new ProgressView(progress, System.console() != null);
  }

  public static void main(String[] args) {
    Path home = Path.of(System.getProperty("depot.home", ".")).toAbsolutePath().normalize();
    for (String arg : args) {
      if (arg.equals("-h") || arg.equals("--help")) {
        System.out.println(Options.usage());
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
    Thread hook = new Thread(quickstart.supervisor::onSignal, "quickstart-stop");
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

  int run() {
    Path appJar = artifacts.dedupApp();
    Path pluginZip = artifacts.pluginZip();
    Path registryRunner = options.registry() ? artifacts.registryRunner() : null;
    Properties dedupConfig = configs.load(DEDUP_CONFIG);
    String inputTopic = dedupConfig.getProperty("dedup.input.topic", "readings");
    String outputTopic = dedupConfig.getProperty("dedup.output.topic", "readings-unique");
    data.prepare(supervisor::stopLeftovers);

    view.step("starting a KRaft broker");
    int brokerPort = ConfigFiles.freePort();
    int controllerPort = ConfigFiles.freePort();
    String bootstrap = "127.0.0.1:" + brokerPort;
    String registryUrl = null;
    ChildProcess registry = null;
    if (registryRunner != null) {
      int registryPort = ConfigFiles.freePort();
      registryUrl = "http://127.0.0.1:" + registryPort;
      registry =
          supervisor.start(
              "schema registry",
              List.of(
                  "-Xmx256m",
                  "-Dquarkus.http.host=127.0.0.1",
                  "-Dquarkus.http.port=" + registryPort,
                  "-Dquarkus.log.console.color=false"),
              Artifacts.ownCode() + File.pathSeparator + registryRunner,
              "io.quarkus.runner.GeneratedMain",
              List.of(),
              "registry.log");
    }
    // the registry's Confluent-compatible API (Apicurio serves it under /apis/ccompat/v7)
    String confluentApi = registryUrl == null ? null : registryUrl + "/apis/ccompat/v7";
    Path serverProperties = configs.brokerConfig(brokerPort, controllerPort);
    configs.formatStorage(serverProperties);
    ChildProcess broker =
        supervisor.start(
            "broker",
            List.of("-Xmx512m", "-Xms256m"),
            Artifacts.ownClasspath(),
            "kafka.Kafka",
            List.of(serverProperties.toString()),
            "broker.log");
    readiness.awaitBroker(broker, bootstrap);
    readiness.createTopics(bootstrap, List.of(inputTopic, outputTopic));
    if (registry != null) {
      view.step("waiting for the schema registry (Apicurio, Confluent-compatible API)");
      readiness.awaitHttp(registry, confluentApi + "/subjects");
    }

    view.step("starting the dedup application and the Connect worker");
    List<String> dedupArgs = new ArrayList<>();
    dedupArgs.add(configs.sample(DEDUP_CONFIG).toString());
    dedupArgs.addAll(configs.dedupOverrides(bootstrap, options.layout(), confluentApi));
    ChildProcess dedup =
        supervisor.start(
            "dedup application",
            List.of("-Xmx512m"),
            appJar + File.pathSeparator + Artifacts.ownCode(),
            "dev.depot.streams.app.DedupApp",
            dedupArgs,
            "dedup-app.log");
    Path plugins = Artifacts.unzipPlugin(pluginZip, data.resolve("plugins"));
    int restPort = ConfigFiles.freePort();
    String connectUrl = "http://127.0.0.1:" + restPort;
    Path workerProperties = configs.workerConfig(bootstrap, plugins, restPort);
    Path sinkProperties = configs.sinkConfig(inputTopic, outputTopic);
    ChildProcess connect =
        supervisor.start(
            "Connect worker",
            List.of("-Xmx512m"),
            Artifacts.kafkaOnlyClasspath(),
            "org.apache.kafka.connect.cli.ConnectStandalone",
            List.of(workerProperties.toString(), sinkProperties.toString()),
            "connect.log");
    readiness.awaitConnector(connect, connectUrl, CONNECTOR);

    String format = Summary.valueFormat(registryUrl, options.layout());
    view.step(
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
            () -> sent.set(generator.run(bootstrap, confluentApi, supervisor::stopping)),
            "quickstart-generator");
    producing.setDaemon(true);
    producing.start();
    long started = System.nanoTime();
    List<ChildProcess> pipeline = List.of(broker, dedup, connect);
    // in records: every upload is new readings only or a whole re-send (dropped whole)
    long records =
        options.layout() == Layout.BATCH
            ? (options.records() + options.batchKeys() - 1) / options.batchKeys()
            : options.records();
    long pipelineNanos;
    try (DepotWatch watch = new DepotWatch(data.depot())) {
      pipelineNanos =
          view.follow(
              generator,
              sent,
              watch,
              inputTopic,
              outputTopic,
              options.records(),
              records,
              () -> {
                if (supervisor.stopping()) {
                  throw new QuickstartException("stopped before the pipeline finished");
                }
                pipeline.forEach(supervisor::requireAlive);
              },
              started,
              data.logs());
    }
    if (generator.failure() != null) {
      throw new QuickstartException("producing failed: " + generator.failure());
    }

    view.step("verifying the depot: every record's checksum, envelope and reading");
    DepotWatch.Verification verification;
    if (confluentApi == null) {
      verification =
          DepotWatch.verify(data.depot(), inputTopic, outputTopic, null, data.resolve("verify"));
    } else {
      // the schema each value was written with, by the id in its header: the generator's, and
      // the one the dedup application wrote its records with
      try (SchemaRegistryClient schemas = SchemaRegistryClient.builder(confluentApi).build()) {
        verification =
            DepotWatch.verify(
                data.depot(), inputTopic, outputTopic, schemas::schemaById, data.resolve("verify"));
      }
    }
    new Summary(out, data, inputTopic, outputTopic)
        .print(generator, verification, pipelineNanos, format);
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
      supervisor.awaitStop(pipeline);
    }
    return 0;
  }

  /** Stops the child processes, newest first. Idempotent. */
  void stopAll() {
    supervisor.stopAll();
  }
}
