package dev.depot.connect;

import static dev.depot.connect.ConnectSupport.assertExactlyOnce;
import static dev.depot.connect.ConnectSupport.awaitCommitted;
import static dev.depot.connect.ConnectSupport.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin zip that {@code mvn package} builds, unzipped into a worker's plugin.path, with
 * plugin.discovery=service_load. Failsafe runs this class with no connector classes on the class
 * path (see connector/pom.xml), so the worker can only find the connector in the zip.
 */
@Timeout(600)
class PluginZipIT {
  private static final String CONNECTOR = "dev.depot.connect.DepotSinkConnector";
  private static final String SOURCE = "dev.depot.connect.DepotSourceConnector";

  @TempDir Path root;

  @Test
  void theZipOnPluginPathRunsTheConnector() throws Exception {
    assertThatThrownBy(() -> Class.forName(CONNECTOR))
        .as("the connector must not be on the test class path")
        .isInstanceOf(ClassNotFoundException.class);
    Path plugins = root.resolve("plugins");
    List<String> entries = unzip(Path.of(System.getProperty("depot.plugin.zip")), plugins);
    assertThat(entries).anyMatch(e -> e.matches(".*/lib/depot-connector-.*\\.jar"));
    assertThat(entries).anyMatch(e -> e.matches(".*/lib/depot-store-.*\\.jar"));
    assertThat(entries).anyMatch(e -> e.matches(".*/lib/avro-.*\\.jar"));
    assertThat(entries).noneMatch(e -> e.contains("/lib/kafka-") || e.contains("/lib/connect-"));
    assertThat(entries).noneMatch(e -> e.contains("zstd-jni") || e.contains("slf4j"));

    Path depot = root.resolve("depot");
    EmbeddedConnectCluster connect =
        ConnectSupport.cluster(
            "depot-zip", 1, props -> props.put("plugin.path", plugins.toString()));
    try {
      String listing =
          String.valueOf(
              connect.requestGet(connect.endpointForResource("connector-plugins")).getEntity());
      JsonNode ours = null;
      for (JsonNode plugin : new ObjectMapper().readTree(listing)) {
        if (plugin.get("class").asText().equals(CONNECTOR)) {
          ours = plugin;
        }
      }
      assertThat(ours).as("the worker lists the connector: %s", listing).isNotNull();
      assertThat(ours.get("version").asText()).isEqualTo(System.getProperty("depot.version"));
      assertThat(ours.get("type").asText()).isEqualTo("sink");
      JsonNode source = null;
      for (JsonNode plugin : new ObjectMapper().readTree(listing)) {
        if (plugin.get("class").asText().equals(SOURCE)) {
          source = plugin;
        }
      }
      assertThat(source).as("the worker lists the source connector: %s", listing).isNotNull();
      assertThat(source.get("type").asText()).isEqualTo("source");
      assertThat(source.get("version").asText()).isEqualTo(System.getProperty("depot.version"));

      ConnectSupport.createTopic(connect, "zipped", 2);
      try (KafkaProducer<byte[], byte[]> producer = ConnectSupport.producer(connect)) {
        produce(producer, "zipped", 2, 0, 200);
      }
      connect.configureConnector(
          "zip-sink",
          ConnectSupport.sampleConfig(
              Map.of("topics", "zipped", "depot.path", depot.toString(), "tasks.max", "1")));
      awaitCommitted(connect, "zip-sink", "zipped", 2, 200);
      assertExactlyOnce(depot, "zipped", 2, 200);
    } finally {
      connect.stop();
    }
  }

  private static List<String> unzip(Path zip, Path into) throws IOException {
    List<String> names = new java.util.ArrayList<>();
    try (InputStream in = Files.newInputStream(zip);
        ZipInputStream entries = new ZipInputStream(in)) {
      ZipEntry entry;
      while ((entry = entries.getNextEntry()) != null) {
        names.add(entry.getName());
        Path target = into.resolve(entry.getName()).normalize();
        if (!target.startsWith(into)) {
          throw new IOException("entry outside the zip's directory: " + entry.getName());
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(entries, target);
        }
      }
    }
    return names;
  }
}
