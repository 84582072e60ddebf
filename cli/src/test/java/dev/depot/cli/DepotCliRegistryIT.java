package dev.depot.cli;

import static dev.depot.cli.DepotCliRegistryTest.ALL;
import static dev.depot.cli.DepotCliRegistryTest.ALL_JSON;
import static dev.depot.cli.DepotCliRegistryTest.all;
import static dev.depot.cli.DepotCliRegistryTest.wire;
import static dev.depot.cli.DepotCliTest.run;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.cli.DepotCliTest.Result;
import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.DepotEnvelope.TimestampType;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.registry.SchemaRegistryClient;
import dev.depot.store.queue.DepotIds;
import dev.depot.store.queue.DepotQueue;
import dev.depot.testing.ApicurioRegistry;
import dev.depot.testing.ChildJvm;
import dev.depot.testing.RecordingHttpProxy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code depot cat --registry-url} against a real registry's Confluent-compatible API (Apicurio's
 * {@code /apis/ccompat/v7}), in process and through the shaded {@code depot.jar}.
 */
class DepotCliRegistryIT {
  private static ApicurioRegistry registry;
  private static int schemaId;

  @TempDir Path dir;

  @BeforeAll
  static void startRegistry() throws Exception {
    Path runnerDir = ApicurioRegistry.runnerDirFromBuild();
    registry = ApicurioRegistry.start(runnerDir, runnerDir.resolveSibling("depot-cli-it.log"));
    try (SchemaRegistryClient client =
        SchemaRegistryClient.builder(registry.ccompatApi()).build()) {
      schemaId = client.register("cli-it-value", ALL);
    }
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  /** Three records as the sink connector stores them: text keys, wire-format values. */
  private long[] writeEnvelopes() {
    try (DepotQueue queue = DepotQueue.open(dir)) {
      long[] ids = new long[3];
      for (int i = 0; i < ids.length; i++) {
        DepotEnvelope envelope =
            new DepotEnvelope(
                "readings",
                1,
                10L + i,
                1_700_000_000_000L,
                TimestampType.CREATE_TIME,
                ("device-" + i).getBytes(UTF_8),
                wire(schemaId, ALL, all()),
                List.of());
        ids[i] = queue.append(EnvelopeCodec.encode(envelope), envelope.offset());
      }
      queue.sync();
      Files.writeString(dir.resolve(CatCommand.FORMAT_FILE), "envelope\n");
      return ids;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String expectedLine(long id, int i) {
    return "{\"id\":"
        + id
        + ",\"segment\":"
        + DepotIds.segment(id)
        + ",\"position\":"
        + DepotIds.position(id)
        + ",\"complete\":true,\"topic\":\"readings\",\"partition\":1,\"offset\":"
        + (10 + i)
        + ",\"timestamp\":1700000000000,\"timestamp_type\":\"CREATE_TIME\",\"key\":\"device-"
        + i
        + "\",\"value_schema_id\":"
        + schemaId
        + ",\"value_avro\":"
        + ALL_JSON
        + ",\"headers\":[]}";
  }

  @Test
  void decodesValuesThroughTheConfluentApiOnlyFetchingTheSchemaOnce() throws Exception {
    long[] ids = writeEnvelopes();
    String root = URI.create(registry.ccompatApi()).resolve("/").toString();
    try (RecordingHttpProxy proxy = RecordingHttpProxy.start(root)) {
      Result result =
          run("cat", dir.toString(), "--registry-url", proxy.url() + "/apis/ccompat/v7");

      assertThat(result.err()).isEmpty();
      assertThat(result.exitCode()).isZero();
      assertThat(result.outLines())
          .containsExactly(
              expectedLine(ids[0], 0), expectedLine(ids[1], 1), expectedLine(ids[2], 2));
      assertThat(proxy.requests())
          .extracting(RecordingHttpProxy.Request::toString)
          .containsExactly("GET /apis/ccompat/v7/schemas/ids/" + schemaId);
    }
  }

  @Test
  void anIdTheRegistryDoesNotKnowIsOneErrorLine() {
    long id;
    try (DepotQueue queue = DepotQueue.open(dir)) {
      id = queue.append(wire(987_654, ALL, all()));
      queue.sync();
    }

    Result result = run("cat", dir.toString(), "--registry-url", registry.ccompatApi());

    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.out()).isEmpty();
    assertThat(result.errLines()).hasSize(1);
    assertThat(result.err())
        .startsWith(
            "depot: record "
                + DepotIds.toString(id)
                + " value: schema id 987654: GET "
                + registry.ccompatApi()
                + "/schemas/ids/987654 failed: HTTP 404, registry error 40403");
  }

  @Test
  void theShadedJarDecodesToo() throws Exception {
    long[] ids = writeEnvelopes();
    Path jar = Path.of(System.getProperty("depot.cli.jar", "target/depot.jar"));
    assertThat(jar).as("built by the package phase").exists();
    Path out = dir.resolveSibling(dir.getFileName() + "-out.txt");
    Path err = dir.resolveSibling(dir.getFileName() + "-err.txt");
    int exit;
    try (ChildJvm cli =
        ChildJvm.jar(jar)
            .args("cat", "--limit", "1", dir.toString(), "--registry-url", registry.ccompatApi())
            .log(out)
            .errors(err)
            .start()) {
      exit = cli.awaitExit(Duration.ofMinutes(2));
    }

    assertThat(Files.readString(err)).isEmpty();
    assertThat(exit).isZero();
    assertThat(Files.readAllLines(out)).containsExactly(expectedLine(ids[0], 0));
  }
}
