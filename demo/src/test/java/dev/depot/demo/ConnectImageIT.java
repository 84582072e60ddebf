package dev.depot.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The Connect worker image of {@code docker/connect/Dockerfile}, built and run on a real Docker
 * engine next to an Apache Kafka container: the worker finds the depot sink on its plugin path,
 * accepts {@code config/depot-sink.json} and runs it. Skipped where there is no Docker engine (the
 * plugin zip itself is tested without Docker by the connector module's plugin-zip ITs, and the
 * compose file by {@code docker/check}).
 */
@Testcontainers(disabledWithoutDocker = true)
class ConnectImageIT {
  private static final Path HOME = Path.of(System.getProperty("depot.home", "..")).toAbsolutePath();

  @Test
  void theImageRunsTheDepotSinkFromItsPluginPath() throws Exception {
    Path zip;
    try (Stream<Path> files = Files.list(HOME.resolve("connector/target"))) {
      zip =
          files
              .filter(f -> f.getFileName().toString().matches("depot-sink-connector-.*\\.zip"))
              .findFirst()
              .orElseThrow();
    }
    ImageFromDockerfile image =
        new ImageFromDockerfile("depot/connect-it", true)
            .withDockerfile(HOME.resolve("docker/connect/Dockerfile"))
            .withFileFromPath("connector/target/" + zip.getFileName(), zip)
            .withFileFromPath(
                "config/connect-distributed.properties",
                HOME.resolve("config/connect-distributed.properties"))
            .withFileFromPath(
                "docker/connect/run-worker.sh", HOME.resolve("docker/connect/run-worker.sh"))
            .withFileFromPath(
                "docker/connect/Dockerfile", HOME.resolve("docker/connect/Dockerfile"));
    try (Network network = Network.newNetwork();
        KafkaContainer kafka =
            new KafkaContainer("apache/kafka:4.3.1")
                .withNetwork(network)
                .withListener("kafka:19092");
        GenericContainer<?> connect =
            new GenericContainer<>(image)
                .withNetwork(network)
                .withEnv("CONNECT_BOOTSTRAP_SERVERS", "kafka:19092")
                .withEnv("CONNECT_PLUGIN_PATH", "/opt/connect-plugins")
                .withExposedPorts(8083)
                .waitingFor(
                    Wait.forHttp("/connector-plugins")
                        .forStatusCode(200)
                        .withStartupTimeout(Duration.ofMinutes(3)))) {
      kafka.start();
      connect.dependsOn(kafka).start();
      String url = "http://" + connect.getHost() + ":" + connect.getMappedPort(8083);
      HttpClient http = HttpClient.newHttpClient();

      String plugins =
          http.send(
                  HttpRequest.newBuilder(URI.create(url + "/connector-plugins")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(plugins).contains("dev.depot.connect.DepotSinkConnector");

      HttpResponse<String> created =
          http.send(
              HttpRequest.newBuilder(URI.create(url + "/connectors"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofFile(HOME.resolve("config/depot-sink.json")))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      String status = "";
      while (System.nanoTime() < deadline) {
        status =
            http.send(
                    HttpRequest.newBuilder(URI.create(url + "/connectors/depot-sink/status"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        if (status.contains("\"connector\":{\"state\":\"RUNNING\"")
            && !status.contains("FAILED")
            && status.contains("\"tasks\":[{")) {
          break;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
      }
      assertThat(status).contains("\"state\":\"RUNNING\"").doesNotContain("FAILED");
    }
  }
}
