package dev.depot.streams.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;

/** The application's settings: the sample file, overrides, and the errors bad values get. */
class DedupAppTest {
  private static final Path SAMPLE =
      Path.of(System.getProperty("depot.config.dir", "../config"))
          .resolve("streams-dedup.properties");

  private static Properties sample(String... overrides) throws Exception {
    String[] args = new String[overrides.length + 1];
    args[0] = SAMPLE.toString();
    System.arraycopy(overrides, 0, args, 1, overrides.length);
    return DedupApp.load(SAMPLE, args);
  }

  @Test
  void theSampleConfigBuildsTheTopologyWithItsTopicsAndStore() throws Exception {
    Properties props = sample("dedup.input.topic=in-x", "dedup.store.name=seen");
    assertThat(props.getProperty("processing.guarantee")).isEqualTo("exactly_once_v2");
    TopologyDescription description = DedupApp.topology(props).describe();
    String text = description.toString();
    assertThat(text).contains("topics: [in-x]").contains("topic: readings-unique");
    assertThat(text).contains("stores: [seen]");
  }

  @Test
  void avroValuesNeedARegistryUrlAndBuildOnceGivenOne() throws Exception {
    assertThatThrownBy(() -> DedupApp.topology(sample("dedup.value.format=avro")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dedup.registry.url")
        .hasMessageContaining("dedup.value.format=avro");
    assertThatThrownBy(
            () ->
                DedupApp.topology(
                    sample("dedup.value.format=avro", "apicurio.registry.url=http://r/apis")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("apicurio.registry.url=http://r/apis is no longer read");
    Topology avro =
        DedupApp.topology(
            sample(
                "dedup.value.format=AVRO",
                "dedup.registry.url=http://127.0.0.1:1/apis/ccompat/v7"));
    assertThat(avro.describe().toString()).contains("stores: [dedup]");
  }

  @Test
  void badValuesNameTheSettingAndTheValue() throws Exception {
    assertThatThrownBy(() -> DedupApp.topology(sample("dedup.value.format=xml")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dedup.value.format")
        .hasMessageContaining("xml");
    assertThatThrownBy(() -> DedupApp.topology(sample("dedup.memory.limit.bytes=1000")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dedup.memory.limit.bytes")
        .hasMessageContaining("1000");
    assertThatThrownBy(() -> DedupApp.topology(sample("dedup.retention.ms=-5")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dedup.retention.ms");
    // zero used to mean "forever" silently; -1 says that
    assertThatThrownBy(() -> DedupApp.topology(sample("dedup.retention.ms=0")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "Invalid value 0 for configuration dedup.retention.ms: must be -1 (forever) or at least 1");
    assertThatThrownBy(() -> sample("dedup.input.topic"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected key=value, got 'dedup.input.topic'");
  }

  @Test
  void theBatchLayoutBuildsForJsonAndAvroAndRefusesWhatCannotWork() throws Exception {
    assertThat(sample().getProperty("dedup.record.layout")).isEqualTo("batch");
    assertThat(DedupApp.topology(sample()).describe().toString()).contains("stores: [dedup]");
    assertThat(
            DedupApp.topology(
                    sample(
                        "dedup.value.format=avro",
                        "dedup.registry.url=http://127.0.0.1:1",
                        "dedup.id.type=STRING",
                        "dedup.user.field="))
                .describe()
                .toString())
        .contains("stores: [dedup]");
    assertThatThrownBy(() -> DedupApp.topology(sample("dedup.record.layout=batches")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dedup.record.layout")
        .hasMessageContaining("batches");
    assertThatThrownBy(() -> DedupApp.topology(sample("dedup.time.source=record")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dedup.time.source")
        .hasMessageContaining("dedup.record.layout=batch");
    assertThatThrownBy(
            () ->
                DedupApp.topology(
                    sample(
                        "dedup.value.format=avro",
                        "dedup.registry.url=http://127.0.0.1:1",
                        "dedup.batch.field=")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dedup.batch.field");
    assertThatThrownBy(() -> DedupApp.topology(sample("dedup.id.type=uuid")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("dedup.id.type")
        .hasMessageContaining("uuid");
  }
}
