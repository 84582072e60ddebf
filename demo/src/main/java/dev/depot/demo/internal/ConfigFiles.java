package dev.depot.demo.internal;

import dev.depot.generator.ReadingGenerator;
import dev.depot.generator.ReadingGenerator.Layout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.Uuid;

/**
 * The config files the child processes run with, written to {@code DATA/conf}: the broker's, made
 * here, and the Connect worker's and the sink's, the samples of {@code config/} with this run's
 * addresses and paths; the dedup application takes its sample and this run's settings as arguments.
 * Also formats the broker's log directory from its config, and picks the free ports the configs
 * name.
 */
public final class ConfigFiles {
  private final Path configDir;
  private final DataDir data;

  /**
   * @param configDir the sample configs ({@code config/} of the repository)
   */
  public ConfigFiles(Path configDir, DataDir data) {
    this.configDir = configDir;
    this.data = data;
  }

  /** A sample config of {@code config/}, by file name. */
  public Path sample(String name) {
    return configDir.resolve(name);
  }

  /** Reads a sample config of {@code config/}. */
  public Properties load(String name) {
    Path file = Artifacts.requireFile(sample(name));
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (IOException e) {
      throw new QuickstartException("cannot read " + file + ": " + e.getMessage());
    }
    return p;
  }

  /** A single-node KRaft broker and controller on 127.0.0.1, two partitions a topic. */
  public Path brokerConfig(int brokerPort, int controllerPort) {
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

  /** Formats the broker's log directory (a new cluster id), as {@code kafka-storage format}. */
  public void formatStorage(Path serverProperties) {
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

  /** {@code config/connect-standalone.properties} with this run's broker, port and plugins. */
  public Path workerConfig(String bootstrap, Path plugins, int restPort) {
    Properties p = load("connect-standalone.properties");
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

  /** {@code config/depot-sink.properties} sinking both topics into this run's depot. */
  public Path sinkConfig(String inputTopic, String outputTopic) {
    Properties p = load("depot-sink.properties");
    p.setProperty("depot.path", data.depot().toString());
    p.setProperty("topics", inputTopic + "," + outputTopic);
    return store(
        p,
        "depot-sink.properties",
        "config/depot-sink.properties with the quickstart's depot.path");
  }

  /**
   * The settings the dedup application runs with on top of {@code config/streams-dedup.properties}
   * ({@code name=value} arguments): this run's broker, state directory and record layout.
   *
   * @param registryApi the registry's Confluent-compatible API, null for JSON values
   */
  public List<String> dedupOverrides(String bootstrap, Layout layout, String registryApi) {
    List<String> settings = new ArrayList<>();
    settings.add("bootstrap.servers=" + bootstrap);
    settings.add("state.dir=" + data.resolve("dedup-state"));
    settings.add("num.standby.replicas=0"); // one instance: no other to keep a standby on
    settings.add("dedup.record.layout=" + layout.configValue());
    settings.add("dedup.batch.field=" + ReadingGenerator.BATCH_FIELD);
    settings.add("dedup.value.format=" + (registryApi != null ? "avro" : "json"));
    if (registryApi != null) {
      settings.add("dedup.registry.url=" + registryApi);
    }
    return settings;
  }

  /** A port nobody listens on now, on the loopback address. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path store(Properties p, String name, String comment) {
    Path file = data.conf().resolve(name);
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
}
