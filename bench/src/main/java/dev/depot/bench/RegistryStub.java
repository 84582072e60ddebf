package dev.depot.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.depot.registry.SchemaRegistryClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/**
 * The smallest Confluent-compatible schema registry a dedup app reads from: {@code GET
 * /schemas/ids/{id}} answers {@code {"schema": "..."}} for the schemas {@link #add added} in this
 * process, 404 for any other id or path. Nothing else of the API (no subjects, no writes): the
 * bench encodes its values itself with the ids it got here. Listens on 127.0.0.1, an ephemeral
 * port. Thread-safe.
 */
final class RegistryStub implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "/schemas/ids/";

  private final HttpServer server;
  private final Map<Integer, byte[]> answers = new ConcurrentHashMap<>();
  private final AtomicInteger nextId = new AtomicInteger(1);
  private final AtomicInteger requests = new AtomicInteger();

  private RegistryStub(HttpServer server) {
    this.server = server;
  }

  static RegistryStub start() throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    RegistryStub stub = new RegistryStub(server);
    server.createContext("/", stub::answer);
    server.start();
    return stub;
  }

  /** The base URL to give as {@code dedup.registry.url}. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Registers {@code schema} and returns its new id. */
  int add(Schema schema) throws IOException {
    int id = nextId.getAndIncrement();
    answers.put(id, JSON.writeValueAsBytes(Map.of("schema", schema.toString())));
    return id;
  }

  /** Requests answered so far (each app instance should fetch each schema once). */
  int requests() {
    return requests.get();
  }

  private void answer(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      byte[] body = null;
      if (exchange.getRequestMethod().equals("GET") && path.startsWith(PREFIX)) {
        try {
          body = answers.get(Integer.parseInt(path.substring(PREFIX.length())));
        } catch (NumberFormatException e) {
          body = null;
        }
      }
      int status = body == null ? 404 : 200;
      if (body == null) {
        body =
            "{\"error_code\":40403,\"message\":\"Schema not found\"}"
                .getBytes(StandardCharsets.UTF_8);
      }
      exchange.getResponseHeaders().set("Content-Type", SchemaRegistryClient.CONTENT_TYPE);
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
