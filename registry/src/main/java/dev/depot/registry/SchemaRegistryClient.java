package dev.depot.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/**
 * A small client of the Confluent Schema Registry REST API, as served by Confluent Schema Registry,
 * Karapace and Apicurio ({@code /apis/ccompat/v7}): Avro writer schemas by global id, for reading
 * the {@linkplain ConfluentWire Confluent wire format}, and schema registration, for writing it.
 *
 * <pre>{@code
 * try (SchemaRegistryClient registry =
 *     SchemaRegistryClient.builder("http://localhost:8081").requestTimeout(Duration.ofSeconds(5)).build()) {
 *   int id = registry.register("readings-value", schema);       // a writer, once
 *   Schema writer = registry.schemaById(ConfluentWire.schemaId(value)); // a reader, per value
 * }
 * }</pre>
 *
 * <p>Bounded: every request has a timeout ({@link Builder#requestTimeout(Duration)}, 10 s by
 * default); connection failures, timeouts, HTTP 5xx and 429 are retried ({@link
 * Builder#retries(int)}, 3 by default) after 100 ms, 200 ms, 400 ms, ... (at most 5 s); other
 * answers are not. Schemas by id are kept in an LRU cache of {@link Builder#cacheSize(int)} entries
 * (1000 by default): ids are immutable in every registry, so a cached schema never goes stale.
 * Reading never writes to the registry. The client sends no credentials.
 *
 * <p>Thread-safe: one client serves any number of threads. Threads that miss the cache for the same
 * id at the same time share one fetch. Failures are {@link SchemaRegistryException}s.
 */
public final class SchemaRegistryClient implements AutoCloseable {
  /** The content type of the Confluent API's request bodies. */
  public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  public static final int DEFAULT_RETRIES = 3;
  public static final int DEFAULT_CACHE_SIZE = 1000;

  private static final String ACCEPT =
      "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; q=0.9,"
          + " application/json; q=0.5";
  private static final long FIRST_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 5_000;
  private static final int MAX_RETRIES = 20;
  private static final int BODY_EXCERPT = 200;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger CLIENTS = new AtomicInteger();

  private final String baseUrl;
  private final String setting;
  private final Duration requestTimeout;
  private final int retries;
  private final ExecutorService executor;
  private final HttpClient http;

  /** Schemas by id, least recently used first; guarded by itself. */
  private final LinkedHashMap<Integer, Schema> cache;

  /** Fetches under way, so that concurrent misses of one id make one request. */
  private final ConcurrentHashMap<Integer, CompletableFuture<Schema>> fetching =
      new ConcurrentHashMap<>();

  private volatile boolean closed;

  private SchemaRegistryClient(Builder builder, String baseUrl) {
    this.baseUrl = baseUrl;
    this.setting = builder.settingName;
    this.requestTimeout = builder.requestTimeout;
    this.retries = builder.retries;
    int cacheSize = builder.cacheSize;
    this.cache =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<Integer, Schema> eldest) {
            return size() > cacheSize;
          }
        };
    String threads = "schema-registry-client-" + CLIENTS.incrementAndGet();
    AtomicInteger thread = new AtomicInteger();
    this.executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, threads + "-" + thread.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(requestTimeout)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .executor(executor)
            .build();
  }

  /**
   * A builder of a client of the Confluent API at {@code baseUrl}, for example {@code
   * http://localhost:8081} (Confluent Schema Registry, Karapace) or {@code
   * http://localhost:8080/apis/ccompat/v7} (Apicurio). A trailing slash is ignored.
   */
  public static Builder builder(String baseUrl) {
    return new Builder(Objects.requireNonNull(baseUrl, "baseUrl cannot be null"));
  }

  /** The base URL of the registry's Confluent API, without a trailing slash. */
  public String baseUrl() {
    return baseUrl;
  }

  /**
   * The Avro schema with the registry's global id {@code id} ({@code GET /schemas/ids/{id}}), from
   * the cache when it is there.
   *
   * @throws SchemaRegistryException when the registry cannot be reached, does not know the id
   *     (error code 40403), or holds a schema under it that is not Avro or does not parse
   * @throws IllegalStateException when the client is closed
   */
  public Schema schemaById(int id) {
    ensureOpen();
    Schema schema = cached(id);
    if (schema != null) {
      return schema;
    }
    CompletableFuture<Schema> mine = new CompletableFuture<>();
    CompletableFuture<Schema> other = fetching.putIfAbsent(id, mine);
    if (other != null) {
      return await(other, id);
    }
    try {
      // Another thread may have cached it between the look-up above and putIfAbsent.
      schema = cached(id);
      if (schema == null) {
        schema = fetch(id);
        synchronized (cache) {
          cache.put(id, schema);
        }
      }
      mine.complete(schema);
      return schema;
    } catch (RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      fetching.remove(id, mine);
    }
  }

  /**
   * Registers {@code schema} under {@code subject} ({@code POST /subjects/{subject}/versions}) and
   * returns its global id, the one to write in the {@linkplain ConfluentWire#header(int) wire
   * format}. A schema the subject already has keeps its id. The usual subject of a topic's values
   * is {@code <topic>-value} (Confluent's TopicNameStrategy).
   *
   * @throws SchemaRegistryException when the registry cannot be reached or refuses the schema (for
   *     example 409, incompatible with the subject's compatibility rule)
   */
  public int register(String subject, Schema schema) {
    Objects.requireNonNull(subject, "subject cannot be null");
    Objects.requireNonNull(schema, "schema cannot be null");
    if (subject.isEmpty()) {
      throw new IllegalArgumentException("subject cannot be empty");
    }
    ensureOpen();
    String body;
    try {
      body = JSON.writeValueAsString(Map.of("schema", schema.toString()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a JSON string", e);
    }
    String what = "registering a schema under subject '" + subject + "'";
    Answer answer = call("/subjects/" + pathSegment(subject) + "/versions", body, what);
    JsonNode id = answer.json.get("id");
    if (id == null || !id.canConvertToInt()) {
      throw unexpected(answer, what, "no integer field \"id\"");
    }
    synchronized (cache) {
      cache.put(id.intValue(), schema);
    }
    return id.intValue();
  }

  /** Number of schemas in the cache; for tests and metrics. */
  public int cachedSchemas() {
    synchronized (cache) {
      return cache.size();
    }
  }

  /**
   * Drops the cache and stops the client's HTTP threads. Calls after it throw {@link
   * IllegalStateException}. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    executor.shutdownNow();
    synchronized (cache) {
      cache.clear();
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the schema registry client of " + baseUrl + " is closed");
    }
  }

  private Schema cached(int id) {
    synchronized (cache) {
      return cache.get(id);
    }
  }

  private Schema await(CompletableFuture<Schema> fetch, int id) {
    try {
      return fetch.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SchemaRegistryException registryError) {
        throw registryError.rethrown();
      }
      throw new SchemaRegistryException(
          "fetching schema id " + id + " from " + baseUrl + " failed: " + cause,
          baseUrl + "/schemas/ids/" + id,
          SchemaRegistryException.NO_STATUS,
          SchemaRegistryException.NO_ERROR_CODE,
          cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryException(
          "interrupted while waiting for schema id " + id + " from " + baseUrl,
          baseUrl + "/schemas/ids/" + id,
          SchemaRegistryException.NO_STATUS,
          SchemaRegistryException.NO_ERROR_CODE,
          e);
    }
  }

  private Schema fetch(int id) {
    String what = "schema id " + id;
    Answer answer = call("/schemas/ids/" + id, null, what);
    JsonNode type = answer.json.get("schemaType");
    if (type != null && !type.isNull() && !"AVRO".equals(type.asText())) {
      throw new SchemaRegistryException(
          what
              + " at "
              + answer.url
              + " is a "
              + type.asText()
              + " schema; only AVRO schemas can be read (schemaType AVRO or absent)",
          answer.url,
          answer.status,
          SchemaRegistryException.NO_ERROR_CODE,
          null);
    }
    JsonNode text = answer.json.get("schema");
    if (text == null || !text.isTextual()) {
      throw unexpected(answer, what, "no string field \"schema\"");
    }
    JsonNode references = answer.json.get("references");
    if (references != null && references.isArray() && references.size() > 0) {
      throw new SchemaRegistryException(
          what
              + " at "
              + answer.url
              + " refers to schemas of other subjects ("
              + references
              + "); this client does not resolve schema references",
          answer.url,
          answer.status,
          SchemaRegistryException.NO_ERROR_CODE,
          null);
    }
    try {
      return new Schema.Parser().parse(text.asText());
    } catch (RuntimeException e) {
      // SchemaParseException mostly, but Avro 1.12 throws a NullPointerException for an unknown
      // type name
      throw new SchemaRegistryException(
          what + " at " + answer.url + " is not a valid Avro schema: " + describe(e),
          answer.url,
          answer.status,
          SchemaRegistryException.NO_ERROR_CODE,
          e);
    }
  }

  /** A successful answer: its URL, status and JSON body. */
  private record Answer(String url, int status, JsonNode json, String body) {}

  /**
   * One request with retries: a GET when {@code body} is null, else a POST of the JSON body.
   * Returns the 2xx answer; throws for anything else once the retries are spent.
   */
  private Answer call(String path, String body, String what) {
    URI uri = URI.create(baseUrl + path);
    String url = uri.toString();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri).timeout(requestTimeout).header("Accept", ACCEPT);
    String method;
    if (body == null) {
      method = "GET";
      request.GET();
    } else {
      method = "POST";
      request
          .header("Content-Type", CONTENT_TYPE)
          .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    }
    HttpRequest built = request.build();
    for (int attempt = 1; ; attempt++) {
      ensureOpen();
      HttpResponse<String> response;
      try {
        response = http.send(built, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        if (attempt <= retries) {
          backOff(attempt, what, url);
          continue;
        }
        throw ioFailure(what, method, url, e, attempt);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw interrupted(what, method, url, e);
      }
      int status = response.statusCode();
      if (status >= 200 && status < 300) {
        JsonNode json;
        try {
          json = JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
          json = null;
        }
        Answer answer = new Answer(url, status, json, response.body());
        if (json == null || !json.isObject()) {
          throw unexpected(answer, what, "not a JSON object");
        }
        return answer;
      }
      if ((status >= 500 || status == 429) && attempt <= retries) {
        backOff(attempt, what, url);
        continue;
      }
      throw httpFailure(what, method, url, status, response.body(), attempt);
    }
  }

  private void backOff(int attempt, String what, String url) {
    long millis = Math.min(FIRST_BACKOFF_MS << Math.min(attempt - 1, 20), MAX_BACKOFF_MS);
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw interrupted(what, "retrying", url, e);
    }
  }

  private String check() {
    return "check " + setting + " (" + baseUrl + ")";
  }

  private SchemaRegistryException ioFailure(
      String what, String method, String url, IOException e, int attempts) {
    String reason;
    if (e instanceof HttpTimeoutException) {
      reason = "no answer within " + requestTimeout.toMillis() + " ms (" + e.getMessage() + ")";
    } else if (e instanceof ConnectException) {
      reason = "cannot connect (" + describe(e) + "); is the registry running there?";
    } else {
      reason = describe(e);
    }
    return new SchemaRegistryException(
        what
            + ": "
            + method
            + " "
            + url
            + " failed: "
            + reason
            + attempts(attempts)
            + "; "
            + check(),
        url,
        SchemaRegistryException.NO_STATUS,
        SchemaRegistryException.NO_ERROR_CODE,
        e);
  }

  private SchemaRegistryException interrupted(
      String what, String method, String url, InterruptedException e) {
    return new SchemaRegistryException(
        what + ": interrupted (" + method + " " + url + ")",
        url,
        SchemaRegistryException.NO_STATUS,
        SchemaRegistryException.NO_ERROR_CODE,
        e);
  }

  private SchemaRegistryException httpFailure(
      String what, String method, String url, int status, String body, int attempts) {
    int errorCode = SchemaRegistryException.NO_ERROR_CODE;
    String registryMessage = null;
    try {
      JsonNode json = JSON.readTree(body);
      if (json != null && json.isObject()) {
        JsonNode code = json.get("error_code");
        if (code != null && code.canConvertToInt()) {
          errorCode = code.intValue();
        }
        JsonNode message = json.get("message");
        if (message != null && !message.isNull()) {
          registryMessage = message.asText();
        }
      }
    } catch (JsonProcessingException e) {
      // not a Confluent error body: the excerpt below says what came instead
    }
    StringBuilder text = new StringBuilder();
    text.append(what).append(": ").append(method).append(' ').append(url);
    text.append(" failed: HTTP ").append(status);
    if (errorCode != SchemaRegistryException.NO_ERROR_CODE || registryMessage != null) {
      text.append(", registry error");
      if (errorCode != SchemaRegistryException.NO_ERROR_CODE) {
        text.append(' ').append(errorCode);
      }
      if (registryMessage != null) {
        text.append(": ").append(registryMessage);
      }
    } else if (body != null && !body.isBlank()) {
      text.append(", body: ").append(excerpt(body));
    }
    text.append(attempts(attempts));
    boolean confluentError = errorCode != SchemaRegistryException.NO_ERROR_CODE;
    if (status == 401 || status == 403) {
      text.append("; the registry wants credentials, which this client does not send; ")
          .append(check());
    } else if (!confluentError && (status == 404 || status == 405 || status == 400)) {
      // An answer that is not the Confluent API's own: most likely the wrong base URL.
      text.append("; is ")
          .append(baseUrl)
          .append(" the base URL of a Confluent-compatible API (e.g. http://host:8081, or")
          .append(" Apicurio's http://host:8080/apis/ccompat/v7)? ")
          .append(check());
    }
    return new SchemaRegistryException(text.toString(), url, status, errorCode, null);
  }

  private SchemaRegistryException unexpected(Answer answer, String what, String problem) {
    return new SchemaRegistryException(
        what
            + ": "
            + answer.url
            + " answered HTTP "
            + answer.status
            + " with "
            + problem
            + " (body: "
            + excerpt(answer.body)
            + "); is "
            + baseUrl
            + " the base URL of a Confluent-compatible API? "
            + check(),
        answer.url,
        answer.status,
        SchemaRegistryException.NO_ERROR_CODE,
        null);
  }

  private static String attempts(int attempts) {
    return attempts > 1 ? " (" + attempts + " attempts)" : "";
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank()
        ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + message;
  }

  private static String excerpt(String body) {
    String flat = body == null ? "" : body.replaceAll("\\s+", " ").trim();
    return flat.length() <= BODY_EXCERPT ? flat : flat.substring(0, BODY_EXCERPT) + "...";
  }

  /** Percent-encodes a path segment: everything but RFC 3986's unreserved characters. */
  static String pathSegment(String segment) {
    StringBuilder sb = new StringBuilder();
    for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xFF);
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~') {
        sb.append(c);
      } else {
        sb.append('%').append(String.format("%02X", b & 0xFF));
      }
    }
    return sb.toString();
  }

  /**
   * Settings of a {@link SchemaRegistryClient}. Not thread-safe.
   *
   * <pre>{@code
   * SchemaRegistryClient registry = SchemaRegistryClient.builder(url)
   *     .requestTimeout(Duration.ofSeconds(5)).retries(5).cacheSize(10_000)
   *     .settingName("schema.registry.url").build();
   * }</pre>
   */
  public static final class Builder {
    private final String baseUrl;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private int retries = DEFAULT_RETRIES;
    private int cacheSize = DEFAULT_CACHE_SIZE;
    private String settingName = "the schema registry URL";

    private Builder(String baseUrl) {
      this.baseUrl = baseUrl;
    }

    /** The longest wait for connecting and for each answer; 10 s by default. */
    public Builder requestTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "requestTimeout cannot be null");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive, was " + timeout);
      }
      this.requestTimeout = timeout;
      return this;
    }

    /**
     * How often a request is tried again after a connection failure, a timeout, HTTP 5xx or 429,
     * waiting 100 ms, then twice as long each time (at most 5 s); 3 by default, 0 for no retry.
     */
    public Builder retries(int retries) {
      if (retries < 0 || retries > MAX_RETRIES) {
        throw new IllegalArgumentException(
            "retries must be between 0 and " + MAX_RETRIES + ", was " + retries);
      }
      this.retries = retries;
      return this;
    }

    /** How many schemas the LRU cache of schemas by id holds; 1000 by default. */
    public Builder cacheSize(int cacheSize) {
      if (cacheSize < 1) {
        throw new IllegalArgumentException("cacheSize must be at least 1, was " + cacheSize);
      }
      this.cacheSize = cacheSize;
      return this;
    }

    /**
     * The name of the setting the base URL came from, for example {@code --registry-url} or {@code
     * schema.registry.url}: error messages that point at a configuration mistake say to check it.
     * Default: {@code the schema registry URL}.
     */
    public Builder settingName(String settingName) {
      Objects.requireNonNull(settingName, "settingName cannot be null");
      this.settingName = settingName;
      return this;
    }

    /**
     * The client.
     *
     * @throws IllegalArgumentException when the base URL is not an http or https URL with a host
     */
    public SchemaRegistryClient build() {
      return new SchemaRegistryClient(this, normalize());
    }

    private String normalize() {
      String url = baseUrl.strip();
      while (url.endsWith("/")) {
        url = url.substring(0, url.length() - 1);
      }
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw badUrl(e.getMessage());
      }
      String scheme = uri.getScheme();
      if (scheme == null
          || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          || uri.getHost() == null) {
        throw badUrl("not an http:// or https:// URL with a host");
      }
      if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw badUrl("a base URL has no query or fragment");
      }
      return url;
    }

    private IllegalArgumentException badUrl(String reason) {
      return new IllegalArgumentException(
          settingName
              + " must be the base URL of a Confluent-compatible schema registry API, such as"
              + " http://localhost:8081 or http://localhost:8080/apis/ccompat/v7; was '"
              + baseUrl
              + "': "
              + reason);
    }
  }
}
