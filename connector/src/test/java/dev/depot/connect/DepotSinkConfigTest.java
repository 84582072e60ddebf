package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class DepotSinkConfigTest {
  private static Map<String, String> props(String... keysAndValues) {
    Map<String, String> props = new HashMap<>();
    props.put("depot.path", "/tmp/depot");
    for (int i = 0; i < keysAndValues.length; i += 2) {
      props.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return props;
  }

  @Test
  void defaultsAreCommitSyncEnvelopesAndByteArrays() {
    DepotSinkConfig config = new DepotSinkConfig(props());
    assertThat(config.syncPolicy()).isEqualTo(DepotSinkConfig.SyncPolicy.COMMIT);
    assertThat(config.format()).isEqualTo(DepotSinkConfig.Format.ENVELOPE);
    assertThat(config.nullValues()).isEqualTo(DepotSinkConfig.NullValues.WRITE);
    assertThat(config.segmentBytes()).isEqualTo(256L << 20);
    assertThat(config.getClass("depot.value.converter").getName())
        .isEqualTo("org.apache.kafka.connect.converters.ByteArrayConverter");
    assertThat(config.toleratesErrors()).isFalse();
    assertThat(new DepotSinkConfig(props("errors.tolerance", "all")).toleratesErrors()).isTrue();
    assertThat(new DepotSinkConfig(props("depot.sync.policy", "INTERVAL")).syncPolicy())
        .isEqualTo(DepotSinkConfig.SyncPolicy.INTERVAL);
  }

  @Test
  void badValuesAreRefusedNamingTheKeyAndWhatIsAllowed() {
    assertThatThrownBy(() -> new DepotSinkConfig(Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("Missing required configuration \"depot.path\" which has no default value.");
    assertThatThrownBy(() -> new DepotSinkConfig(props("depot.segment.bytes", "12")))
        .hasMessage(
            "Invalid value 12 for configuration depot.segment.bytes: Value must be at least 4096");
    assertThatThrownBy(() -> new DepotSinkConfig(props("depot.sync.policy", "sometimes")))
        .hasMessageStartingWith(
            "Invalid value sometimes for configuration depot.sync.policy: String must be one of"
                + " (case insensitive): ")
        .hasMessageContainingAll("COMMIT", "INTERVAL", "NONE");
    assertThatThrownBy(() -> new DepotSinkConfig(props("depot.format", "json")))
        .hasMessageContaining("depot.format")
        .hasMessageContainingAll("ENVELOPE", "VALUE");
    assertThatThrownBy(() -> new DepotSinkConfig(props("behavior.on.null.values", "drop")))
        .hasMessageContaining("behavior.on.null.values")
        .hasMessageContainingAll("WRITE", "IGNORE", "FAIL");
    assertThatThrownBy(() -> new DepotSinkConfig(props("depot.sync.interval.ms", "0")))
        .hasMessage(
            "Invalid value 0 for configuration depot.sync.interval.ms: Value must be at least 1");
    assertThatThrownBy(
            () -> new DepotSinkConfig(props("depot.value.converter", "java.lang.String")))
        .hasMessage(
            "Invalid value java.lang.String for configuration depot.value.converter: must"
                + " implement org.apache.kafka.connect.storage.Converter");
    for (String key : new String[] {"depot.retention.ms", "depot.retention.bytes"}) {
      for (String value : new String[] {"0", "-2"}) {
        assertThatThrownBy(() -> new DepotSinkConfig(props(key, value)))
            .hasMessage(
                "Invalid value "
                    + value
                    + " for configuration "
                    + key
                    + ": must be -1 (keep everything) or at least 1");
      }
      assertThat(new DepotSinkConfig(props(key, "-1")).getLong(key)).isEqualTo(-1L);
      assertThat(new DepotSinkConfig(props(key, "1")).getLong(key)).isEqualTo(1L);
    }
    assertThat(DepotSinkConfig.CONFIG_DEF.configKeys().get("depot.retention.ms").validator)
        .hasToString("-1 (keep everything) or [1,...]");
  }
}
