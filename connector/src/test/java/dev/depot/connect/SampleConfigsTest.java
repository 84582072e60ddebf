package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.runtime.ConnectorConfig;
import org.apache.kafka.connect.runtime.SinkConnectorConfig;
import org.apache.kafka.connect.runtime.distributed.DistributedConfig;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.apache.kafka.connect.runtime.standalone.StandaloneConfig;
import org.junit.jupiter.api.Test;

/**
 * The sample configs of {@code config/}, as users copy them: each connector config passes the
 * connector's {@code validate()} with no error, both connector files say the same, and each worker
 * file is a valid worker config for its mode.
 */
class SampleConfigsTest {
  private static void assertValid(Map<String, String> config) {
    Config result = new DepotSinkConnector().validate(config);
    SampleConfigFiles.assertNoErrors(result);
    assertThat(result.configValues()).extracting(ConfigValue::name).contains("depot.path");
  }

  @Test
  void theJsonConnectorConfigPassesValidate() throws IOException {
    Map<String, String> config = ConnectSupport.sampleConfig(Map.of());
    assertValid(config);
    assertThat(config).containsEntry("connector.class", DepotSinkConnector.class.getName());
  }

  @Test
  void thePropertiesConnectorConfigPassesValidateAndMatchesTheJson() throws IOException {
    Map<String, String> props = SampleConfigFiles.properties("depot-sink.properties");
    assertValid(props);
    Map<String, String> json = ConnectSupport.sampleConfig(Map.of());
    props.remove("name");
    assertThat(props).isEqualTo(json);
  }

  @Test
  void theConnectorConfigsAreValidSinkConnectorConfigsForTheWorker() throws IOException {
    for (Map<String, String> config :
        List.of(
            ConnectSupport.sampleConfig(Map.of()),
            SampleConfigFiles.properties("depot-sink.properties"))) {
      Map<String, String> named = new HashMap<>(config);
      named.put(ConnectorConfig.NAME_CONFIG, "depot-sink");
      SinkConnectorConfig.validate(named);
      Plugins plugins = new Plugins(Map.of("plugin.discovery", "only_scan"));
      SinkConnectorConfig parsed = new SinkConnectorConfig(plugins, named);
      assertThat(parsed.getString(ConnectorConfig.CONNECTOR_CLASS_CONFIG))
          .isEqualTo(DepotSinkConnector.class.getName());
    }
  }

  @Test
  void theWorkerConfigsAreValidForTheirMode() throws IOException {
    StandaloneConfig standalone =
        new StandaloneConfig(SampleConfigFiles.properties("connect-standalone.properties"));
    assertThat(standalone.getString("offset.storage.file.filename")).isNotBlank();
    assertThat(standalone.getList("plugin.path")).isNotEmpty();

    DistributedConfig distributed =
        new DistributedConfig(SampleConfigFiles.properties("connect-distributed.properties"));
    assertThat(distributed.getString("group.id")).isEqualTo("depot-connect");
    assertThat(distributed.getString("config.storage.topic")).isNotBlank();
  }
}
