package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class DepotSourceConfigTest {
  private static Map<String, String> props(String... keysAndValues) {
    Map<String, String> props = new HashMap<>();
    props.put("depot.path", "/var/lib/depot");
    for (int i = 0; i < keysAndValues.length; i += 2) {
      props.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return props;
  }

  @Test
  void defaultsReplayEverythingOnceIntoTheSameTopicAndPartition() {
    DepotSourceConfig config = new DepotSourceConfig(props());
    assertThat(config.start()).isEqualTo(DepotSourceConfig.Start.EARLIEST);
    assertThat(config.stop()).isEqualTo(DepotSourceConfig.Stop.END);
    assertThat(config.partitioning()).isEqualTo(DepotSourceConfig.Partitioning.SAME);
    assertThat(config.targetTopic("orders")).isEqualTo("orders");
    assertThat(config.originHeaders()).isTrue();
    assertThat(config.topics()).isEmpty();
    assertThat(config.toleratesErrors()).isFalse();
  }

  @Test
  void parsesTimestampsOffsetsRenamesAndPrefix() {
    DepotSourceConfig config =
        new DepotSourceConfig(
            props(
                "replay.start", "TIMESTAMP",
                "replay.start.timestamp", "2026-11-30T13:00:00+01:00",
                "replay.stop", "timestamp",
                "replay.stop.timestamp", "2026-11-30T12:00:00.5Z",
                "replay.start.offsets", "orders:0:10, my.topic:12:0",
                "target.topic.rename", "orders:orders-restored",
                "target.topic.prefix", "dr.",
                "target.partition", "by-key"));
    assertThat(config.startTimestampMs()).isEqualTo(1_796_040_000_000L);
    assertThat(config.stopTimestampMs()).isEqualTo(1_796_040_000_500L);
    assertThat(config.startOffsets())
        .containsExactly(Map.entry("orders/0", 10L), Map.entry("my.topic/12", 0L));
    assertThat(config.targetTopic("orders")).isEqualTo("dr.orders-restored");
    assertThat(config.targetTopic("audit")).isEqualTo("dr.audit");
    assertThat(config.partitioning()).isEqualTo(DepotSourceConfig.Partitioning.BY_KEY);
  }

  @Test
  void badValuesAreRefusedNamingTheKeyAndWhatIsAllowed() {
    assertThatThrownBy(() -> new DepotSourceConfig(Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Missing required configuration \"depot.path\" which has no default value.");
    assertThatThrownBy(() -> new DepotSourceConfig(props("replay.start", "latest")))
        .hasMessageStartingWith(
            "Invalid value latest for configuration replay.start: String must be one of (case"
                + " insensitive): ")
        .hasMessageContainingAll("EARLIEST", "TIMESTAMP", "OFFSETS");
    assertThatThrownBy(() -> new DepotSourceConfig(props("replay.start", "timestamp")))
        .hasMessage(
            "replay.start=timestamp needs replay.start.timestamp (an ISO-8601 instant such as"
                + " 2026-11-30T12:00:00Z)");
    assertThatThrownBy(() -> new DepotSourceConfig(props("replay.start", "offsets")))
        .hasMessage(
            "replay.start=offsets needs replay.start.offsets (<topic>:<partition>:<offset>,...)");
    assertThatThrownBy(
            () -> new DepotSourceConfig(props("replay.stop.timestamp", "2026-11-30 12:00")))
        .hasMessage(
            "Invalid value 2026-11-30 12:00 for configuration replay.stop.timestamp: not an"
                + " ISO-8601 instant with its offset, such as 2026-11-30T12:00:00Z");
    assertThatThrownBy(
            () ->
                new DepotSourceConfig(
                    props(
                        "replay.start", "timestamp",
                        "replay.start.timestamp", "2026-11-30T12:00:00Z",
                        "replay.stop", "timestamp",
                        "replay.stop.timestamp", "2026-11-30T11:00:00Z")))
        .hasMessage(
            "replay.stop.timestamp=2026-11-30T11:00:00Z is before"
                + " replay.start.timestamp=2026-11-30T12:00:00Z: nothing would be replayed");
    assertThatThrownBy(() -> new DepotSourceConfig(props("replay.start.offsets", "orders:x:1")))
        .hasMessage(
            "Invalid value orders:x:1 for configuration replay.start.offsets: expected"
                + " <topic>:<partition>:<offset> with two numbers");
    assertThatThrownBy(() -> new DepotSourceConfig(props("replay.start.offsets", "orders:1")))
        .hasMessage(
            "Invalid value orders:1 for configuration replay.start.offsets: expected"
                + " <topic>:<partition>:<offset>");
    assertThatThrownBy(() -> new DepotSourceConfig(props("target.topic.rename", "a:b:c")))
        .hasMessage(
            "Invalid value a:b:c for configuration target.topic.rename: expected <stored"
                + " topic>:<target topic>");
    assertThatThrownBy(() -> new DepotSourceConfig(props("target.topic.rename", "a:b c")))
        .hasMessageStartingWith("Invalid value a:b c for configuration target.topic.rename: ")
        .hasMessageContaining("b c");
    assertThatThrownBy(() -> new DepotSourceConfig(props("target.partition", "random")))
        .hasMessageContaining("target.partition")
        .hasMessageContainingAll("SAME", "BY-KEY");
    assertThatThrownBy(
            () ->
                new DepotSourceConfig(
                    props("origin.header.topic", "x", "origin.header.offset", "x")))
        .hasMessage(
            "origin.header.topic, origin.header.partition and origin.header.offset must differ,"
                + " were [x, depot.origin.partition, x]");
    assertThatThrownBy(() -> new DepotSourceConfig(props("replay.batch.max.records", "0")))
        .hasMessage(
            "Invalid value 0 for configuration replay.batch.max.records: Value must be at least"
                + " 1");
  }
}
