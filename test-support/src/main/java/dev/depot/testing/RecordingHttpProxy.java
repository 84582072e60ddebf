package dev.depot.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A reverse HTTP proxy on the loopback interface that forwards every request to a target and
 * records its method and path, so that a test can tell which API a program used:
 *
 * <pre>{@code
 * try (RecordingHttpProxy proxy = RecordingHttpProxy.start("http://127.0.0.1:" + registryPort)) {
 *   runProgram("--registry-url", proxy.url() + "/apis/ccompat/v7");
 *   assertThat(proxy.paths()).isNotEmpty().noneMatch(p -> p.startsWith("/apis/registry"));
 * }
 * }</pre>
 *
 * <p>A request for {@code proxy.url() + P} goes to {@code target + P} with the same method, query,
 * headers (less the hop-by-hop ones) and body; the answer comes back with its status, headers and
 * body. Redirects are passed back, not followed. When the target cannot be reached the proxy
 * answers 502. Requests are recorded when they arrive, before they are forwarded.
 *
 * <p>Thread-safe: it serves requests concurrently, and {@link #requests()} may be read at any time.
 */
public final class RecordingHttpProxy implements AutoCloseable {
  /** One request as the proxy received it: method, raw path, and raw query or null. */
  public record Request(String method, String path, String query) {
    @Override
    public String toString() {
      return method + " " + path + (query == null ? "" : "?" + query);
    }
  }

  private static final Duration TIMEOUT = Duration.ofMinutes(1);

  /** Headers that java.net.http sets itself or refuses, and hop-by-hop headers. */
  private static final Set<String> SKIPPED_REQUEST_HEADERS =
      Set.of(
          "connection",
          "content-length",
          "date",
          "expect",
          "from",
          "host",
          "keep-alive",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "via",
          "warning");

  private static final Set<String> SKIPPED_RESPONSE_HEADERS =
      Set.of(
          "connection",
          "content-length",
          "date",
          "keep-alive",
          "trailer",
          "transfer-encoding",
          "upgrade");

  private final String target;
  private final HttpServer server;
  private final ExecutorService threads;
  private final HttpClient http;
  private final List<Request> requests = new CopyOnWriteArrayList<>();

  private RecordingHttpProxy(String target, HttpServer server, ExecutorService threads) {
    this.target = target;
    this.server = server;
    this.threads = threads;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /**
   * Starts a proxy on a free loopback port that forwards to {@code targetBaseUrl} (scheme, host,
   * port and an optional path prefix; a trailing slash is ignored).
   */
  public static RecordingHttpProxy start(String targetBaseUrl) throws IOException {
    Objects.requireNonNull(targetBaseUrl, "targetBaseUrl cannot be null");
    String target = targetBaseUrl.replaceAll("/+$", "");
    URI uri = URI.create(target);
    if (uri.getScheme() == null || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "targetBaseUrl must be an absolute http URL, was " + targetBaseUrl);
    }
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    ExecutorService threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "recording-http-proxy");
              t.setDaemon(true);
              return t;
            });
    RecordingHttpProxy proxy = new RecordingHttpProxy(target, server, threads);
    server.createContext("/", proxy::forward);
    server.setExecutor(threads);
    server.start();
    return proxy;
  }

  /** The proxy's base URL, {@code http://127.0.0.1:PORT}: append the target's paths to it. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Where the requests go. */
  public String target() {
    return target;
  }

  /** The requests received so far, oldest first. */
  public List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The paths of the requests received so far, oldest first. */
  public List<String> paths() {
    return requests.stream().map(Request::path).toList();
  }

  private void forward(HttpExchange exchange) throws IOException {
    try (exchange) {
      URI received = exchange.getRequestURI();
      String method = exchange.getRequestMethod();
      requests.add(new Request(method, received.getRawPath(), received.getRawQuery()));
      byte[] body = exchange.getRequestBody().readAllBytes();
      String query = received.getRawQuery() == null ? "" : "?" + received.getRawQuery();
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(target + received.getRawPath() + query))
              .timeout(TIMEOUT)
              .method(
                  method,
                  body.length == 0
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofByteArray(body));
      for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
        if (!SKIPPED_REQUEST_HEADERS.contains(header.getKey().toLowerCase(Locale.ROOT))) {
          for (String value : header.getValue()) {
            request.header(header.getKey(), value);
          }
        }
      }
      HttpResponse<byte[]> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        reply(
            exchange,
            502,
            ("recording proxy: cannot forward to " + target + ": " + e)
                .getBytes(StandardCharsets.UTF_8));
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        reply(exchange, 503, "recording proxy: interrupted".getBytes(StandardCharsets.UTF_8));
        return;
      }
      response
          .headers()
          .map()
          .forEach(
              (name, values) -> {
                if (!name.startsWith(":")
                    && !SKIPPED_RESPONSE_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                  exchange.getResponseHeaders().put(name, values);
                }
              });
      boolean noBody =
          method.equals("HEAD") || response.statusCode() == 204 || response.statusCode() == 304;
      reply(exchange, response.statusCode(), noBody ? new byte[0] : response.body());
    }
  }

  private static void reply(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Stops serving at once and ends the proxy's threads. */
  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
