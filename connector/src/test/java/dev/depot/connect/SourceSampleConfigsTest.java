package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.connect.runtime.ConnectorConfig;
import org.apache.kafka.connect.runtime.SourceConnectorConfig;
import org.apache.kafka.connect.runtime.distributed.DistributedConfig;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.junit.jupiter.api.Test;

/**
 * The source samples of {@code config/}: both pass the connector's {@code validate()}, say the
 * same, are valid source connector configs for the worker, and ask for exactly once with a
 * connector-specific offsets topic on a worker that enables it.
 */
class SourceSampleConfigsTest {
  private static Map<String, String> json() throws IOException {
    JsonNode root =
        new ObjectMapper()
            .readTree(
                Files.readString(
                    SampleConfigFiles.DIR.resolve("depot-source.json"), StandardCharsets.UTF_8));
    Map<String, String> out = new HashMap<>();
    root.get("config").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    out.put("name", root.get("name").asText());
    return out;
  }

  @Test
  void bothFilesPassValidateAndSayTheSame() throws IOException {
    Map<String, String> json = json();
    Map<String, String> props = SampleConfigFiles.properties("depot-source.properties");
    assertThat(props).isEqualTo(json);
    Config result = new DepotSourceConnector().validate(json);
    SampleConfigFiles.assertNoErrors(result);
    assertThat(json)
        .containsEntry("connector.class", DepotSourceConnector.class.getName())
        .containsEntry("exactly.once.support", "required")
        .containsEntry("offsets.storage.topic", "depot-source-offsets")
        .containsEntry(
            "header.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
  }

  @Test
  void theyAreValidSourceConnectorConfigsOnTheSampleWorkerWithExactlyOnce() throws IOException {
    Plugins plugins = new Plugins(Map.of("plugin.discovery", "only_scan"));
    for (Map<String, String> config :
        List.of(json(), SampleConfigFiles.properties("depot-source.properties"))) {
      SourceConnectorConfig parsed = new SourceConnectorConfig(plugins, config, false);
      assertThat(parsed.getString(ConnectorConfig.CONNECTOR_CLASS_CONFIG))
          .isEqualTo(DepotSourceConnector.class.getName());
      assertThat(parsed.offsetsTopic()).isEqualTo("depot-source-offsets");
    }
    DistributedConfig worker =
        new DistributedConfig(SampleConfigFiles.properties("connect-distributed.properties"));
    assertThat(worker.exactlyOnceSourceEnabled()).isTrue();
  }
}
