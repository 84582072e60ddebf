package dev.depot.streams;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests of one dedup processor in a {@link TopologyTestDriver}: byte-array records from an input
 * topic through the processor (and the store it brings) to {@code unique}, the driver closed after
 * each test.
 */
abstract class DedupTopologyTestBase {
  @TempDir Path stateDir;
  TopologyTestDriver driver;
  TestInputTopic<byte[], byte[]> input;
  TestOutputTopic<byte[], byte[]> output;

  @AfterEach
  void closeDriver() {
    if (driver != null) {
      driver.close();
    }
  }

  /** Starts the driver; records are stamped from {@code startMicros} on, with no advance. */
  void start(
      DedupProcessorSupplier<byte[], byte[]> dedup,
      String inputTopic,
      String applicationId,
      long startMicros) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(inputTopic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .processValues(dedup)
        .to("unique", Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(builder.build(), props);
    input =
        driver.createInputTopic(
            inputTopic,
            new ByteArraySerializer(),
            new ByteArraySerializer(),
            Instant.ofEpochMilli(startMicros / 1000),
            Duration.ZERO);
    output =
        driver.createOutputTopic(
            "unique", new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }
}
