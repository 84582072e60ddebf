package dev.depot.demo.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.generator.ReadingGenerator.Layout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFilesTest {
  @TempDir Path tmp;

  @Test
  void theDedupApplicationGetsTheRegistryOnlyWithAvro() {
    DataDir data = new DataDir(tmp);
    ConfigFiles configs = new ConfigFiles(Path.of("..", "config"), data);
    assertThat(configs.dedupOverrides("127.0.0.1:9092", Layout.BATCH, "http://r/apis/ccompat/v7"))
        .containsExactly(
            "bootstrap.servers=127.0.0.1:9092",
            "state.dir=" + tmp.resolve("dedup-state"),
            "num.standby.replicas=0",
            "dedup.record.layout=batch",
            "dedup.batch.field=readings",
            "dedup.value.format=avro",
            "dedup.registry.url=http://r/apis/ccompat/v7");
    assertThat(configs.dedupOverrides("127.0.0.1:9092", Layout.READING, null))
        .contains("dedup.record.layout=reading", "dedup.value.format=json")
        .noneMatch(s -> s.startsWith("dedup.registry.url"));
  }

  @Test
  void theSinkConfigIsTheSampleWithThisRunsDepotAndTopics() throws IOException {
    DataDir data = new DataDir(tmp);
    ConfigFiles configs = new ConfigFiles(Path.of("..", "config"), data);
    Path sink = configs.sinkConfig("readings", "readings-unique");
    assertThat(sink).isEqualTo(data.conf().resolve("depot-sink.properties"));
    Properties written = new Properties();
    try (InputStream in = Files.newInputStream(sink)) {
      written.load(in);
    }
    Properties sample = configs.load("depot-sink.properties");
    assertThat(written.getProperty("depot.path")).isEqualTo(data.depot().toString());
    assertThat(written.getProperty("topics")).isEqualTo("readings,readings-unique");
    assertThat(written.getProperty("connector.class"))
        .isEqualTo(sample.getProperty("connector.class"));
    // headers byte for byte (issue 15): the worker's default header converter parses them
    assertThat(written.getProperty("header.converter"))
        .isEqualTo("org.apache.kafka.connect.converters.ByteArrayConverter");
    assertThat(written.getProperty("behavior.on.converted.headers")).isEqualTo("fail");
  }
}
