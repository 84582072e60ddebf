package dev.depot.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.depot.registry.StubRegistry.Request;
import dev.depot.registry.StubRegistry.Response;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SchemaRegistryClientTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<AutoCloseable> closeLater = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeLater.size() - 1; i >= 0; i--) {
      closeLater.get(i).close();
    }
  }

  private static Schema schema(int n) {
    return SchemaBuilder.record("Reading" + n)
        .namespace("dev.depot.test")
        .fields()
        .requiredLong("ts_us")
        .optionalString("note")
        .endRecord();
  }

  /** The Confluent API's answer to GET /schemas/ids/{id}, with or without a schemaType. */
  private static String schemaBody(Schema schema, String schemaType) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("schema", schema.toString());
    if (schemaType != null) {
      body.put("schemaType", schemaType);
    }
    return body.toString();
  }

  /** A registry that knows schema(n) under id n, for every n > 0, and 404s for the rest. */
  private static Response byIdRegistry(Request request) {
    String prefix = "/schemas/ids/";
    if (request.method().equals("GET") && request.path().startsWith(prefix)) {
      int id = Integer.parseInt(request.path().substring(prefix.length()));
      if (id > 0) {
        return Response.json(schemaBody(schema(id), null));
      }
    }
    return new Response(404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
  }

  private StubRegistry stub(StubRegistry.Responder responder) throws Exception {
    StubRegistry stub = new StubRegistry(responder);
    closeLater.add(stub);
    return stub;
  }

  private SchemaRegistryClient client(SchemaRegistryClient.Builder builder) {
    SchemaRegistryClient client = builder.build();
    closeLater.add(client);
    return client;
  }

  private static List<String> paths(StubRegistry stub) {
    return stub.requests().stream().map(r -> r.method() + " " + r.path()).toList();
  }

  @Test
  void fetchesASchemaByIdOnceAndThenServesItFromTheCache() throws Exception {
    StubRegistry stub = stub(SchemaRegistryClientTest::byIdRegistry);
    SchemaRegistryClient client = client(SchemaRegistryClient.builder(stub.url() + "/"));

    assertThat(client.baseUrl()).isEqualTo(stub.url());
    assertThat(client.schemaById(7)).isEqualTo(schema(7));
    assertThat(client.schemaById(7)).isEqualTo(schema(7));

    assertThat(paths(stub)).containsExactly("GET /schemas/ids/7");
  }

  @Test
  void acceptsSchemaTypeAvroAndABaseUrlWithAPath() throws Exception {
    StubRegistry stub =
        stub(
            r ->
                r.path().equals("/apis/ccompat/v7/schemas/ids/3")
                    ? Response.json(schemaBody(schema(3), "AVRO"))
                    : new Response(404, ""));
    SchemaRegistryClient client =
        client(SchemaRegistryClient.builder(stub.url() + "/apis/ccompat/v7/"));

    assertThat(client.schemaById(3)).isEqualTo(schema(3));
  }

  @Test
  void theCacheIsBoundedAndDropsTheLeastRecentlyUsedSchema() throws Exception {
    StubRegistry stub = stub(SchemaRegistryClientTest::byIdRegistry);
    SchemaRegistryClient client = client(SchemaRegistryClient.builder(stub.url()).cacheSize(2));

    client.schemaById(1);
    client.schemaById(2);
    client.schemaById(1); // 1 is now the most recently used
    client.schemaById(3); // evicts 2
    assertThat(client.cachedSchemas()).isEqualTo(2);
    client.schemaById(1); // still cached
    client.schemaById(2); // fetched again

    assertThat(paths(stub))
        .containsExactly(
            "GET /schemas/ids/1", "GET /schemas/ids/2", "GET /schemas/ids/3", "GET /schemas/ids/2");
    assertThat(client.cachedSchemas()).isEqualTo(2);
  }

  @Test
  void retriesAfter503And429ThenSucceeds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    StubRegistry stub =
        stub(
            r ->
                switch (calls.incrementAndGet()) {
                  case 1 -> new Response(503, "{\"error_code\":50003,\"message\":\"busy\"}");
                  case 2 -> new Response(429, "");
                  default -> byIdRegistry(r);
                });
    SchemaRegistryClient client = client(SchemaRegistryClient.builder(stub.url()).retries(3));

    assertThat(client.schemaById(4)).isEqualTo(schema(4));
    assertThat(paths(stub)).hasSize(3).containsOnly("GET /schemas/ids/4");
  }

  @Test
  void givesUpAfterTheRetriesWithTheLastStatus() throws Exception {
    StubRegistry stub =
        stub(r -> new Response(503, "{\"error_code\":50302,\"message\":\"no leader\"}"));
    SchemaRegistryClient client = client(SchemaRegistryClient.builder(stub.url()).retries(2));

    assertThatThrownBy(() -> client.schemaById(4))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessage(
            "schema id 4: GET "
                + stub.url()
                + "/schemas/ids/4 failed: HTTP 503, registry error 50302: no leader (3 attempts)");
    assertThat(stub.requests()).hasSize(3);
  }

  @Test
  void doesNotRetryA404AndReportsTheRegistrysError() throws Exception {
    StubRegistry stub = stub(SchemaRegistryClientTest::byIdRegistry);
    SchemaRegistryClient client = client(SchemaRegistryClient.builder(stub.url()));

    assertThatThrownBy(() -> client.schemaById(-5))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class,
            e -> {
              assertThat(e.statusCode()).isEqualTo(404);
              assertThat(e.errorCode()).isEqualTo(40403);
              assertThat(e.url()).isEqualTo(stub.url() + "/schemas/ids/-5");
            })
        .hasMessage(
            "schema id -5: GET "
                + stub.url()
                + "/schemas/ids/-5 failed: HTTP 404, registry error 40403: Schema not found");
    assertThat(stub.requests()).hasSize(1);
  }

  @Test
  void aNon404FromSomethingElseThanTheConfluentApiPointsAtTheUrlSetting() throws Exception {
    StubRegistry stub = stub(r -> new Response(404, "<html>Not Found</html>"));
    SchemaRegistryClient client =
        client(SchemaRegistryClient.builder(stub.url()).settingName("--registry-url"));

    assertThatThrownBy(() -> client.schemaById(1))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessage(
            "schema id 1: GET "
                + stub.url()
                + "/schemas/ids/1 failed: HTTP 404, body: <html>Not Found</html>; is "
                + stub.url()
                + " the base URL of a Confluent-compatible API (e.g. http://host:8081, or"
                + " Apicurio's http://host:8080/apis/ccompat/v7)? check --registry-url ("
                + stub.url()
                + ")");
  }

  @Test
  void aRequestWithoutAnswerTimesOutWithAnExceptionNamingTheUrl() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    StubRegistry stub =
        stub(
            r -> {
              release.await(1, TimeUnit.MINUTES);
              return byIdRegistry(r);
            });
    closeLater.add(release::countDown); // closed before the stub
    SchemaRegistryClient client =
        client(
            SchemaRegistryClient.builder(stub.url())
                .requestTimeout(Duration.ofMillis(300))
                .retries(0)
                .settingName("--registry-url"));

    assertThatThrownBy(() -> client.schemaById(9))
        .isInstanceOfSatisfying(
            SchemaRegistryException.class,
            e -> assertThat(e.statusCode()).isEqualTo(SchemaRegistryException.NO_STATUS))
        .hasMessageStartingWith(
            "schema id 9: GET " + stub.url() + "/schemas/ids/9 failed: no answer within 300 ms")
        .hasMessageEndingWith("; check --registry-url (" + stub.url() + ")");
  }

  @Test
  void anUnreachableRegistryIsRetriedAndNamed() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port;
    SchemaRegistryClient client = client(SchemaRegistryClient.builder(url).retries(1));

    assertThatThrownBy(() -> client.schemaById(2))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageStartingWith("schema id 2: GET " + url + "/schemas/ids/2 failed: cannot connect")
        .hasMessageEndingWith(
            "is the registry running there? (2 attempts); check the schema registry URL ("
                + url
                + ")");
  }

  @Test
  void refusesSchemasThatAreNotAvro() throws Exception {
    StubRegistry stub =
        stub(
            r ->
                Response.json(
                    "{\"schema\":\"syntax = \\\"proto3\\\"; message M {}\","
                        + "\"schemaType\":\"PROTOBUF\"}"));
    SchemaRegistryClient client = client(SchemaRegistryClient.builder(stub.url()));

    assertThatThrownBy(() -> client.schemaById(11))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessage(
            "schema id 11 at "
                + stub.url()
                + "/schemas/ids/11 is a PROTOBUF schema; only AVRO schemas can be read"
                + " (schemaType AVRO or absent)");
    assertThat(client.cachedSchemas()).isZero();
  }

  @Test
  void refusesASchemaThatDoesNotParse() throws Exception {
    StubRegistry stub = stub(r -> Response.json("{\"schema\":\"{\\\"type\\\":\\\"nope\\\"}\"}"));
    SchemaRegistryClient client = client(SchemaRegistryClient.builder(stub.url()));

    assertThatThrownBy(() -> client.schemaById(12))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageStartingWith(
            "schema id 12 at " + stub.url() + "/schemas/ids/12 is not a valid Avro schema: ");
  }

  @Test
  void registersUnderTheSubjectWithTheConfluentContentTypeAndReturnsTheId() throws Exception {
    StubRegistry stub = stub(r -> Response.json("{\"id\":42}"));
    SchemaRegistryClient client = client(SchemaRegistryClient.builder(stub.url()));

    assertThat(client.register("readings-value", schema(1))).isEqualTo(42);
    assertThat(client.register("odd/subject name", schema(1))).isEqualTo(42);

    List<Request> requests = stub.requests();
    assertThat(requests).extracting(Request::method).containsOnly("POST");
    assertThat(requests)
        .extracting(Request::path)
        .containsExactly(
            "/subjects/readings-value/versions", "/subjects/odd%2Fsubject%20name/versions");
    assertThat(requests.get(0).contentType()).isEqualTo("application/vnd.schemaregistry.v1+json");
    JsonNode body = JSON.readTree(requests.get(0).body());
    assertThat(body.get("schema").asText()).isEqualTo(schema(1).toString());
    // what it registered it can read without asking
    assertThat(client.schemaById(42)).isEqualTo(schema(1));
    assertThat(requests).hasSize(2);
  }

  @Test
  void aRegistrationTheRegistryRefusesIsNotRetried() throws Exception {
    StubRegistry stub =
        stub(
            r ->
                new Response(
                    409,
                    "{\"error_code\":409,\"message\":\"Schema being registered is incompatible\"}"));
    SchemaRegistryClient client = client(SchemaRegistryClient.builder(stub.url()));

    assertThatThrownBy(() -> client.register("readings-value", schema(1)))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessage(
            "registering a schema under subject 'readings-value': POST "
                + stub.url()
                + "/subjects/readings-value/versions failed: HTTP 409, registry error 409:"
                + " Schema being registered is incompatible");
    assertThat(stub.requests()).hasSize(1);
  }

  @Test
  void concurrentMissesOfOneIdShareOneRequest() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    StubRegistry stub =
        stub(
            r -> {
              release.await(1, TimeUnit.MINUTES);
              return byIdRegistry(r);
            });
    closeLater.add(release::countDown);
    SchemaRegistryClient client = client(SchemaRegistryClient.builder(stub.url()));
    int n = 6;
    List<Thread> threads = new ArrayList<>();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            n,
            r -> {
              Thread t = new Thread(r);
              threads.add(t);
              return t;
            });
    closeLater.add(pool::shutdownNow);
    List<Future<Schema>> results = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      results.add(pool.submit(() -> client.schemaById(8)));
    }
    // Every caller is parked: one in its request, the others waiting for that request.
    await(
        () ->
            threads.size() == n
                && !stub.requests().isEmpty()
                && threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING),
        "all callers waiting");
    release.countDown();
    for (Future<Schema> result : results) {
      assertThat(result.get(1, TimeUnit.MINUTES)).isEqualTo(schema(8));
    }
    assertThat(paths(stub)).containsExactly("GET /schemas/ids/8");
  }

  @Test
  void aClosedClientRefusesCalls() throws Exception {
    StubRegistry stub = stub(SchemaRegistryClientTest::byIdRegistry);
    SchemaRegistryClient client = SchemaRegistryClient.builder(stub.url()).build();
    client.schemaById(1);
    client.close();
    client.close();

    assertThatThrownBy(() -> client.schemaById(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("the schema registry client of " + stub.url() + " is closed");
  }

  @Test
  void checksItsSettings() {
    assertThatThrownBy(() -> SchemaRegistryClient.builder("localhost:8081").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "the schema registry URL must be the base URL of a Confluent-compatible schema"
                + " registry API, such as http://localhost:8081 or"
                + " http://localhost:8080/apis/ccompat/v7; was 'localhost:8081': not an http://"
                + " or https:// URL with a host");
    assertThatThrownBy(
            () ->
                SchemaRegistryClient.builder("ftp://host/x").settingName("--registry-url").build())
        .hasMessageStartingWith("--registry-url must be the base URL");
    assertThatThrownBy(() -> SchemaRegistryClient.builder("http://h:8081").retries(-1))
        .hasMessage("retries must be between 0 and 20, was -1");
    assertThatThrownBy(() -> SchemaRegistryClient.builder("http://h:8081").cacheSize(0))
        .hasMessage("cacheSize must be at least 1, was 0");
    assertThatThrownBy(
            () -> SchemaRegistryClient.builder("http://h:8081").requestTimeout(Duration.ZERO))
        .hasMessage("requestTimeout must be positive, was PT0S");
  }

  private static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }
}
