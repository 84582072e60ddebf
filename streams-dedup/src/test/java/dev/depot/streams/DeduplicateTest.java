package dev.depot.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.store.timekey.TimeKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/** The dedup processor and its store in a TopologyTestDriver, with JSON readings. */
class DeduplicateTest extends DedupTopologyTestBase {
  private static final long T0 = 1_700_000_000_000_000L; // epoch micros
  private static final long HOUR = 3_600_000_000L;

  private void start(DedupProcessorSupplier<byte[], byte[]> dedup) {
    start(dedup, "readings", "dedup-test", T0);
  }

  private void startDefault() {
    start(Deduplicate.firstSeen("dedup", TimeKeyExtractors.json()));
  }

  private static byte[] reading(long micros, int user, int device, double value) {
    return String.format(
            "{\"ts_us\":%d,\"user_id\":%d,\"device_id\":%d,\"hr\":%s}", micros, user, device, value)
        .getBytes(StandardCharsets.UTF_8);
  }

  private List<String> outputValues() {
    return output.readValuesToList().stream()
        .map(v -> new String(v, StandardCharsets.UTF_8))
        .collect(Collectors.toList());
  }

  private double metric(String name) {
    for (Map.Entry<MetricName, ? extends Metric> e : driver.metrics().entrySet()) {
      if (e.getKey().name().equals(name) && e.getKey().group().equals("stream-dedup-metrics")) {
        return ((Number) e.getValue().metricValue()).doubleValue();
      }
    }
    throw new AssertionError("no metric " + name);
  }

  @Test
  void forwardsTheFirstOccurrenceUnchangedAndDropsRepeats() {
    startDefault();
    byte[] a = reading(T0, 1, 1, 61.5);
    byte[] b = reading(T0 + 100_000, 1, 1, 62);
    byte[] aFromAnotherDevice = reading(T0, 1, 2, 70);
    byte[] aAgainOtherPayload = reading(T0, 1, 1, 99); // same time key, different value: a repeat
    input.pipeValueList(List.of(a, b, a, aFromAnotherDevice, b, aAgainOtherPayload, a));
    assertThat(outputValues())
        .containsExactly(
            new String(a, StandardCharsets.UTF_8),
            new String(b, StandardCharsets.UTF_8),
            new String(aFromAnotherDevice, StandardCharsets.UTF_8));
    assertThat(metric("keys-inserted-total")).isEqualTo(3);
    assertThat(metric("duplicates-dropped-total")).isEqualTo(4);
  }

  @Test
  void aReSentBatchIsDroppedWholeAndALateBatchStillGetsThrough() {
    startDefault();
    for (int i = 0; i < 50; i++) {
      input.pipeInput(reading(T0 + i * 100_000L, 4, 2, i));
    }
    for (int i = 100; i < 150; i++) {
      input.pipeInput(reading(T0 + i * 100_000L, 4, 2, i)); // a batch past a gap
    }
    for (int i = 0; i < 50; i++) {
      input.pipeInput(reading(T0 + i * 100_000L, 4, 2, i)); // the first batch, re-sent
    }
    for (int i = 50; i < 100; i++) {
      input.pipeInput(reading(T0 + i * 100_000L, 4, 2, i)); // the gap, arriving late
    }
    assertThat(output.getQueueSize()).isEqualTo(150);
  }

  @Test
  void keysOlderThanTheRetentionAreForgottenWholeSegmentsAtATime() {
    start(
        Deduplicate.firstSeen("dedup", TimeKeyExtractors.<byte[]>json())
            .withStore(
                DedupStores.timeKeySet("dedup")
                    .segmentInterval(Duration.ofMinutes(10))
                    .retention(Duration.ofHours(1))));
    byte[] old = reading(T0, 1, 1, 1);
    input.pipeInput(old);
    input.pipeInput(reading(T0 + 30 * 60_000_000L, 1, 1, 2)); // 30 min later: old is kept
    input.pipeInput(old);
    assertThat(output.readValuesToList()).hasSize(2);
    input.pipeInput(reading(T0 + 3 * HOUR, 1, 1, 3)); // stream time moves 3 h on
    input.pipeInput(old); // its segment is gone: it passes again
    input.pipeInput(reading(T0 + 3 * HOUR, 1, 1, 3)); // a recent repeat is still caught
    assertThat(output.readValuesToList()).hasSize(2);
  }

  @Test
  void aRecordWithoutATimeKeyFailsNamingItsPositionOrIsSkippedAndCounted() {
    startDefault();
    input.pipeInput(reading(T0, 1, 1, 1));
    assertThatThrownBy(() -> input.pipeInput("{\"user_id\":1,\"device_id\":1}".getBytes()))
        .isInstanceOf(StreamsException.class)
        .cause()
        .hasMessageContaining(
            "cannot take a time key from the record at topic readings partition 0 offset 1")
        .hasMessageContaining("the JSON value has no field ts_us");
    driver.close();
    driver = null;

    start(
        Deduplicate.firstSeen("dedup", TimeKeyExtractors.<byte[]>json())
            .onBadRecord(BadRecordHandling.SKIP));
    input.pipeValueList(
        List.of("not json".getBytes(), reading(T0 + 1, 1, 1, 1), "{\"ts_us\":\"x\"}".getBytes()));
    assertThat(output.readValuesToList()).hasSize(1);
    assertThat(metric("bad-records-skipped-total")).isEqualTo(2);
  }

  @Test
  void everyNewKeyAndNoRepeatGoesToTheChangelog() {
    startDefault();
    input.pipeValueList(
        List.of(reading(T0, 1, 1, 1), reading(T0 + 1, 7, 9, 2), reading(T0, 1, 1, 3)));
    assertThat(output.readValuesToList()).hasSize(2);
    TestOutputTopic<byte[], byte[]> changelog =
        driver.createOutputTopic(
            "dedup-test-dedup-changelog", new ByteArrayDeserializer(), new ByteArrayDeserializer());
    // at-least-once (the driver's default): one-key blocks that carry their source record
    assertThat(
            changelog.readKeyValuesToList().stream()
                .flatMap(kv -> ChangelogBlocks.keys(kv.key, kv.value).stream()))
        .containsExactly(TimeKey.of(T0, 1, 1), TimeKey.of(T0 + 1, 7, 9));
  }

  @Test
  void theStoreBuilderSetsTheChangelogRetentionAndRefusesCaching() {
    TimeKeyStoreBuilder store =
        DedupStores.timeKeySet("d")
            .segmentInterval(Duration.ofMinutes(30))
            .retention(Duration.ofDays(1));
    assertThat(store.logConfig())
        .containsEntry("cleanup.policy", "delete")
        .containsEntry(
            "retention.ms", Long.toString(Duration.ofDays(1).plusMinutes(30).toMillis()));
    assertThat(store.withLoggingEnabled(Map.of("retention.ms", "5")).logConfig())
        .containsEntry("retention.ms", "5");
    assertThat(DedupStores.timeKeySet("e").logConfig()).containsEntry("cleanup.policy", "compact");
    assertThat(store.withLoggingDisabled().loggingEnabled()).isFalse();
    assertThatThrownBy(store::withCachingEnabled)
        .isInstanceOf(UnsupportedOperationException.class)
        .hasMessageContaining("cannot be cached");
    assertThatThrownBy(() -> DedupStores.timeKeySet("f").memoryLimit(10))
        .hasMessage("memoryLimit must be between 65536 and 1099511627776 bytes, was 10");
    assertThatThrownBy(
            () ->
                Deduplicate.firstSeen("a", TimeKeyExtractors.json())
                    .withStore(DedupStores.timeKeySet("b")))
        .hasMessage("the store is named b but the processor was given a");
  }
}
