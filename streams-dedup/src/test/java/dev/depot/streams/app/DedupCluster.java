package dev.depot.streams.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.ReadingBatch;
import dev.depot.streams.ReadingFields;
import dev.depot.streams.TimeKeyBatchExtractor;
import dev.depot.streams.TimeKeyBatchExtractors;
import dev.depot.streams.TimeKeyExtractor;
import dev.depot.streams.TimeKeyExtractors;
import dev.depot.testing.ChildJvm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;

/**
 * A real single-node broker for the dedup application's integration tests, with what they share:
 * JSON readings produced with re-sends, the application as a killable child process, an output
 * reader that counts every key, and waits on conditions with a deadline.
 */
final class DedupCluster implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(180);
  static final long T0 = 1_700_000_000_000_000L; // epoch micros
  private static final TimeKeyExtractor<Object, byte[]> KEYS = TimeKeyExtractors.json();

  private final KafkaClusterTestKit broker;
  private final Admin admin;
  private final KafkaProducer<byte[], byte[]> producer;

  private DedupCluster(KafkaClusterTestKit broker) {
    this.broker = broker;
    this.admin = broker.admin();
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    this.producer =
        new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** One combined broker+controller with the replication factors a single node needs. */
  static DedupCluster start() throws Exception {
    KafkaClusterTestKit kit =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build())
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .build();
    try {
      kit.format();
      kit.startup();
      kit.waitForReadyBrokers();
      return new DedupCluster(kit);
    } catch (Exception e) {
      kit.close();
      throw e;
    }
  }

  String bootstrapServers() {
    return broker.bootstrapServers();
  }

  Admin admin() {
    return admin;
  }

  void createTopics(int partitions, String... names) throws Exception {
    List<NewTopic> topics = new ArrayList<>();
    for (String name : names) {
      topics.add(new NewTopic(name, partitions, (short) 1));
    }
    admin.createTopics(topics).all().get(1, TimeUnit.MINUTES);
    await(
        "leaders for " + String.join(", ", names),
        () -> {
          try {
            return admin.describeTopics(List.of(names)).allTopicNames().get().values().stream()
                .flatMap(d -> d.partitions().stream())
                .allMatch(p -> p.leader() != null);
          } catch (InterruptedException | ExecutionException e) {
            return false;
          }
        });
  }

  /**
   * The sample config {@code config/streams-dedup.properties} with the overrides, as a process
   * running the shaded application jar would read it.
   */
  static Properties sampleConfig(Map<String, String> overrides) throws IOException {
    Properties props = DedupApp.load(sampleConfigFile(), new String[0]);
    overrides.forEach(props::setProperty);
    return props;
  }

  static Path sampleConfigFile() {
    return Path.of(System.getProperty("depot.config.dir", "../config"))
        .resolve("streams-dedup.properties");
  }

  /**
   * Overrides every test instance takes: this broker, quick fail-over, short transactions, and its
   * own static member id (the sample's is for one instance), named after its state directory.
   */
  Map<String, String> baseOverrides(String appId, Path stateDir, String input, String output) {
    Map<String, String> o = shippedOverrides(appId, stateDir, input, output);
    o.put("commit.interval.ms", "100");
    o.put("main.consumer.session.timeout.ms", "6000");
    o.put("main.consumer.heartbeat.interval.ms", "1000");
    o.put("producer.transaction.timeout.ms", "5000");
    o.put("main.consumer.max.poll.records", "200");
    o.put("dedup.record.layout", "reading"); // the sample's is batch; tests of it set it back
    o.put("group.instance.id", appId + "-" + stateDir.getFileName());
    return o;
  }

  /** Only what must differ from the sample config: this broker, the names and the state. */
  Map<String, String> shippedOverrides(String appId, Path stateDir, String input, String output) {
    Map<String, String> o = new HashMap<>();
    o.put("bootstrap.servers", bootstrapServers());
    o.put("application.id", appId);
    o.put("state.dir", stateDir.toString());
    o.put("dedup.input.topic", input);
    o.put("dedup.output.topic", output);
    return o;
  }

  // ---- readings ----

  /** A JSON reading, the sample config's default format. */
  static byte[] reading(long micros, int user, int device) {
    return String.format(
            "{\"ts_us\":%d,\"user_id\":%d,\"device_id\":%d,\"hr\":%d}",
            micros, user, device, 50 + Math.floorMod(micros, 100))
        .getBytes(StandardCharsets.UTF_8);
  }

  static TimeKey keyOf(byte[] reading) {
    return KEYS.extract(null, reading, 0L);
  }

  /** The time keys of a JSON value: one reading, or a batch record with a readings array. */
  static List<TimeKey> keysOfValue(byte[] value) {
    if (value.length > 0
        && new String(value, 0, Math.min(value.length, 64), StandardCharsets.UTF_8)
            .contains("\"readings\"")) {
      ReadingBatch<byte[]> batch = BATCH_KEYS.extract(null, value, 0L);
      List<TimeKey> out = new ArrayList<>(batch.size());
      for (int i = 0; i < batch.size(); i++) {
        out.add(TimeKey.of(batch.micros(i), batch.id(i)));
      }
      return out;
    }
    return List.of(keyOf(value));
  }

  private static final TimeKeyBatchExtractor<byte[], byte[]> BATCH_KEYS =
      TimeKeyBatchExtractors.json(ReadingFields.defaults());

  /**
   * One device's upload: {@code size} consecutive readings at 10 Hz from {@code first}, keyed by
   * device so that a device's readings stay in one partition.
   */
  record Batch(int user, int device, long first, int size) {
    List<byte[]> readings() {
      List<byte[]> out = new ArrayList<>(size);
      for (int i = 0; i < size; i++) {
        out.add(reading(first + i * 100_000L, user, device));
      }
      return out;
    }

    byte[] key() {
      return (user + "-" + device).getBytes(StandardCharsets.UTF_8);
    }

    /** The upload as one batch record: {@code {"user_id":..,"device_id":..,"readings":[...]}}. */
    byte[] record() {
      StringBuilder out =
          new StringBuilder(
              "{\"user_id\":" + user + ",\"device_id\":" + device + ",\"readings\":[");
      for (int i = 0; i < size; i++) {
        long micros = first + i * 100_000L;
        out.append(i == 0 ? "" : ",")
            .append("{\"ts_us\":")
            .append(micros)
            .append(",\"hr\":")
            .append(50 + Math.floorMod(micros, 100))
            .append('}');
      }
      return out.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }
  }

  /**
   * {@code rounds} rounds in which each of {@code devices} devices uploads its next batch; the
   * batches in order, deterministic.
   */
  static List<Batch> uploads(int users, int devicesPerUser, int rounds, int size, long start) {
    List<Batch> out = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      for (int u = 0; u < users; u++) {
        for (int d = 0; d < devicesPerUser; d++) {
          out.add(new Batch(u, d, start + (long) r * size * 100_000L, size));
        }
      }
    }
    return out;
  }

  /** Sends each batch as one batch record, and waits until the broker has them all. */
  void sendRecords(String topic, List<Batch> batches) {
    for (Batch batch : batches) {
      producer.send(new ProducerRecord<>(topic, batch.key(), batch.record()));
    }
    producer.flush();
  }

  /** Sends the batches (in order, each in full) and waits until the broker has them all. */
  void send(String topic, List<Batch> batches) {
    for (Batch batch : batches) {
      for (byte[] value : batch.readings()) {
        producer.send(new ProducerRecord<>(topic, batch.key(), value));
      }
    }
    producer.flush();
  }

  static Set<TimeKey> keysOf(List<Batch> batches) {
    return batches.stream()
        .flatMap(b -> b.readings().stream())
        .map(DedupCluster::keyOf)
        .collect(Collectors.toSet());
  }

  // ---- the output ----

  /** Reads a topic from the start, counting how often each time key appears. */
  final class Output implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Function<byte[], List<TimeKey>> decoder;
    final Map<TimeKey, Integer> counts = new HashMap<>();
    final List<byte[]> rawValues = new ArrayList<>();
    long records;
    long readings;

    Output(String topic, IsolationLevel isolation) {
      this(topic, isolation, DedupCluster::keyOf);
    }

    /**
     * @param decoder the time key of a value
     */
    Output(String topic, IsolationLevel isolation, Function<byte[], TimeKey> decoder) {
      this(decoder.andThen(List::of), topic, isolation);
    }

    /**
     * @param decoder the time keys of a value (the default: of a JSON reading or batch record)
     */
    Output(Function<byte[], List<TimeKey>> decoder, String topic, IsolationLevel isolation) {
      this.decoder = decoder;
      Map<String, Object> config = new HashMap<>();
      config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
      config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString());
      config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      consumer =
          new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .collect(Collectors.toList());
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }

    /** Polls once (briefly) and counts what came. */
    Output poll() {
      for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
        records++;
        rawValues.add(record.value());
        for (TimeKey key : decoder.apply(record.value())) {
          readings++;
          counts.merge(key, 1, Integer::sum);
        }
      }
      return this;
    }

    /** Whether the consumer has read up to the current end (the LSO when read_committed). */
    boolean atEnd() {
      Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment());
      return ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }

    List<TimeKey> repeated() {
      return counts.entrySet().stream()
          .filter(e -> e.getValue() > 1)
          .map(Map.Entry::getKey)
          .collect(Collectors.toList());
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  /** Records in one partition (read_committed, so transaction markers and aborts excluded). */
  long count(TopicPartition partition) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long end = consumer.endOffsets(List.of(partition)).get(partition);
      long[] records = {0};
      await(
          "reading " + partition + " to " + end,
          () -> {
            records[0] += consumer.poll(Duration.ofMillis(100)).count();
            return consumer.position(partition) >= end;
          });
      return records[0];
    }
  }

  Output output(String topic) {
    return new Output(DedupCluster::keysOfValue, topic, IsolationLevel.READ_COMMITTED);
  }

  /**
   * Waits until the application has committed every input record and no transaction is open on the
   * output: what read_committed readers see is then final.
   */
  void awaitSettled(String appId, String input, String output) {
    await(
        appId + " to commit all of " + input + " and close its transactions on " + output,
        () -> {
          try {
            Map<TopicPartition, Long> inputEnds = endOffsets(input, IsolationLevel.READ_COMMITTED);
            Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
            for (Map.Entry<TopicPartition, Long> end : inputEnds.entrySet()) {
              OffsetAndMetadata at = committed.get(end.getKey());
              if (end.getValue() > 0 && (at == null || at.offset() < end.getValue())) {
                return false;
              }
            }
            return endOffsets(output, IsolationLevel.READ_COMMITTED)
                .equals(endOffsets(output, IsolationLevel.READ_UNCOMMITTED));
          } catch (InterruptedException | ExecutionException e) {
            return false;
          }
        });
  }

  Map<TopicPartition, Long> endOffsets(String topic, IsolationLevel isolation)
      throws InterruptedException, ExecutionException {
    int partitions =
        admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      request.put(new TopicPartition(topic, p), OffsetSpec.latest());
    }
    return admin
        .listOffsets(request, new ListOffsetsOptions(isolation))
        .all()
        .get()
        .entrySet()
        .stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  /** Reads the whole output (read_committed) once the application has settled. */
  Output settledOutput(String appId, String input, String output) {
    return settledOutputOf(appId, input, output, DedupCluster::keysOfValue);
  }

  Output settledOutput(
      String appId, String input, String output, Function<byte[], TimeKey> decoder) {
    return settledOutputOf(appId, input, output, decoder.andThen(List::of));
  }

  Output settledOutputOf(
      String appId, String input, String output, Function<byte[], List<TimeKey>> decoder) {
    awaitSettled(appId, input, output);
    Output out = new Output(decoder, output, IsolationLevel.READ_COMMITTED);
    await("reading " + output + " to its end", () -> out.poll().atEnd());
    return out;
  }

  static void assertEachKeyOnce(Output out, Set<TimeKey> expected) {
    assertThat(out.repeated()).as("keys forwarded more than once").isEmpty();
    assertThat(out.counts.keySet()).as("keys forwarded").isEqualTo(expected);
    assertThat(out.readings).isEqualTo(expected.size());
  }

  // ---- the application in this JVM ----

  /** The application's topology in this JVM; the caller sets listeners, then starts it. */
  static KafkaStreams inProcess(Properties props) {
    return new KafkaStreams(DedupApp.topology(props), props);
  }

  static void awaitRunning(KafkaStreams streams) {
    await(
        "the in-process instance to be RUNNING",
        WAIT,
        () -> {
          if (streams.state() == KafkaStreams.State.ERROR
              || streams.state() == KafkaStreams.State.NOT_RUNNING) {
            throw new AssertionError("the in-process instance stopped: " + streams.state());
          }
          return streams.state() == KafkaStreams.State.RUNNING;
        },
        () -> ", state " + streams.state());
  }

  /** Closes, leaving the group at once (no session timeout to sit out). */
  static void closeLeaving(KafkaStreams streams) {
    streams.close(
        CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(Duration.ofMinutes(1)));
  }

  /** Waits until the group has exactly {@code members} members and is stable. */
  void awaitGroup(String appId, int members) {
    await(
        appId + " to be stable with " + members + " members",
        () -> {
          try {
            ConsumerGroupDescription group =
                admin.describeConsumerGroups(List.of(appId)).all().get().get(appId);
            return group.groupState() == GroupState.STABLE && group.members().size() == members;
          } catch (InterruptedException | ExecutionException e) {
            return false;
          }
        });
  }

  // ---- the application in a child JVM ----

  /** What the application logs once its Streams instance runs. */
  static final String APP_RUNNING = "-> RUNNING";

  /** Starts the application (again) on the same log and waits for its next RUNNING line. */
  static ChildJvm restartApp(Map<String, String> overrides, Path log) throws IOException {
    long before = runningLines(log);
    ChildJvm app = startApp(overrides, log);
    await("the application in " + log + " to be RUNNING again", () -> runningLines(log) > before);
    return app;
  }

  private static long runningLines(Path log) {
    try {
      return Files.exists(log)
          ? Files.readAllLines(log).stream().filter(l -> l.contains(APP_RUNNING)).count()
          : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * {@code java -jar depot-dedup-app.jar config/streams-dedup.properties key=value...} in a child
   * JVM, which a test can kill; its output is appended to {@code log}.
   */
  static ChildJvm startApp(Map<String, String> overrides, Path log) throws IOException {
    String jar = System.getProperty("depot.dedup.app.jar");
    if (jar == null) {
      throw new IllegalStateException(
          "no application jar set: run the ITs through 'mvn verify' (after package)");
    }
    ChildJvm.Builder app =
        ChildJvm.jar(Path.of(jar))
            .jvmArg("-Xmx512m")
            .jvmArg("-XX:+UseSerialGC")
            .jvmArg("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
            .jvmArg("-Dorg.slf4j.simpleLogger.log.dev.depot=info")
            .jvmArg("-Dorg.slf4j.simpleLogger.showDateTime=true")
            .arg(sampleConfigFile().toString())
            .log(log);
    overrides.forEach((k, v) -> app.arg(k + "=" + v));
    return app.start();
  }

  // ---- waiting ----

  /** Waits until the condition holds, failing with {@code what} after {@link #WAIT}. */
  static void await(String what, BooleanSupplier condition) {
    await(what, WAIT, condition, () -> "");
  }

  static void await(String what, Duration wait, BooleanSupplier condition, Supplier<String> more) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + wait + " waiting for " + what + more.get());
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }

  @Override
  public void close() throws Exception {
    producer.close();
    admin.close();
    broker.close();
  }
}
