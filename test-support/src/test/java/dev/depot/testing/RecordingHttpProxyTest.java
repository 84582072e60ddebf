package dev.depot.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RecordingHttpProxyTest {
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private HttpServer target;

  /** The target echoes what it received; /missing is a 404. */
  @BeforeEach
  void startTarget() throws Exception {
    target = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    target.createContext(
        "/",
        exchange -> {
          try (exchange) {
            String echo =
                exchange.getRequestMethod()
                    + " "
                    + exchange.getRequestURI()
                    + " type="
                    + exchange.getRequestHeaders().getFirst("Content-Type")
                    + " body="
                    + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            byte[] body = echo.getBytes(StandardCharsets.UTF_8);
            int status = exchange.getRequestURI().getPath().endsWith("/missing") ? 404 : 201;
            exchange.getResponseHeaders().set("X-Target", "yes");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    target.start();
  }

  @AfterEach
  void stopTarget() {
    target.stop(0);
  }

  private String targetUrl() {
    return "http://127.0.0.1:" + target.getAddress().getPort();
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(
        request.timeout(Duration.ofMinutes(1)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  @Test
  void forwardsRequestsWithStatusHeadersAndBodiesAndRecordsTheirPaths() throws Exception {
    try (RecordingHttpProxy proxy = RecordingHttpProxy.start(targetUrl() + "/")) {
      HttpResponse<String> get =
          send(HttpRequest.newBuilder(URI.create(proxy.url() + "/apis/ccompat/v7/schemas/ids/1")));
      HttpResponse<String> post =
          send(
              HttpRequest.newBuilder(
                      URI.create(proxy.url() + "/subjects/s%2Fx/versions?normalize=true"))
                  .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"schema\":\"\\\"int\\\"\"}")));
      HttpResponse<String> missing =
          send(HttpRequest.newBuilder(URI.create(proxy.url() + "/apis/registry/v2/missing")));

      assertThat(get.statusCode()).isEqualTo(201);
      assertThat(get.body()).isEqualTo("GET /apis/ccompat/v7/schemas/ids/1 type=null body=");
      assertThat(get.headers().firstValue("X-Target")).contains("yes");
      assertThat(post.statusCode()).isEqualTo(201);
      assertThat(post.body())
          .isEqualTo(
              "POST /subjects/s%2Fx/versions?normalize=true"
                  + " type=application/vnd.schemaregistry.v1+json body={\"schema\":\"\\\"int\\\"\"}");
      assertThat(missing.statusCode()).isEqualTo(404);

      assertThat(proxy.requests())
          .containsExactly(
              new RecordingHttpProxy.Request("GET", "/apis/ccompat/v7/schemas/ids/1", null),
              new RecordingHttpProxy.Request("POST", "/subjects/s%2Fx/versions", "normalize=true"),
              new RecordingHttpProxy.Request("GET", "/apis/registry/v2/missing", null));
      assertThat(proxy.paths())
          .containsExactly(
              "/apis/ccompat/v7/schemas/ids/1",
              "/subjects/s%2Fx/versions",
              "/apis/registry/v2/missing");
    }
  }

  @Test
  void aTargetWithAPathPrefixGetsItInFrontOfEveryPath() throws Exception {
    try (RecordingHttpProxy proxy = RecordingHttpProxy.start(targetUrl() + "/apis/ccompat/v7")) {
      HttpResponse<String> get =
          send(HttpRequest.newBuilder(URI.create(proxy.url() + "/subjects")));

      assertThat(get.body()).isEqualTo("GET /apis/ccompat/v7/subjects type=null body=");
      assertThat(proxy.paths()).containsExactly("/subjects");
    }
  }

  @Test
  void anUnreachableTargetIsA502() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    try (RecordingHttpProxy proxy = RecordingHttpProxy.start("http://127.0.0.1:" + port)) {
      HttpResponse<String> get = send(HttpRequest.newBuilder(URI.create(proxy.url() + "/x")));

      assertThat(get.statusCode()).isEqualTo(502);
      assertThat(get.body())
          .startsWith("recording proxy: cannot forward to http://127.0.0.1:" + port);
      assertThat(proxy.paths()).containsExactly("/x");
    }
  }
}
