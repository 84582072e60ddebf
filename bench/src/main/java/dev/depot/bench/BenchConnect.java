package dev.depot.bench;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

/** What the benches on an embedded Connect cluster share: loading a topic, the depot sink. */
final class BenchConnect {
  /** Connect's converter that passes bytes through. */
  static final String BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter";

  private BenchConnect() {}

  /**
   * Creates {@code topic} with one partition and writes {@code records} records into it, keys
   * {@code k0}, {@code k1}, ... and values of {@code size} bytes {@code 'x'}; says how long that
   * took on {@code progress}.
   */
  static void load(
      EmbeddedConnectCluster connect, String topic, int records, int size, PrintStream progress) {
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
        producer.send(new ProducerRecord<>(topic, 0, key(i), value));
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

  /** The key {@link #load} gives record {@code i}. */
  static byte[] key(int i) {
    return ("k" + i).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The depot sink connector's settings, one task storing {@code topic} into {@code depot} with a
   * sync at every commit, bytes in and out; a new map the caller may add to.
   */
  static Map<String, String> depotSinkConfig(String topic, Path depot) {
    Map<String, String> config = new HashMap<>();
    config.put("connector.class", "dev.depot.connect.DepotSinkConnector");
    config.put("tasks.max", "1");
    config.put("topics", topic);
    config.put("depot.path", depot.toString());
    config.put("depot.sync.policy", "commit");
    config.put("key.converter", BYTES);
    config.put("value.converter", BYTES);
    return config;
  }
}
