package dev.depot.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * A real Apicurio schema registry (in-memory storage) running as a child process on the loopback
 * interface, for tests that need the Confluent-compatible API and wire format.
 *
 * <p>The runner comes from {@code io.apicurio:apicurio-registry-app:tar.gz:all}, which a module's
 * build unpacks into {@code target/apicurio} (the parent pom's {@code unpack-schema-registry}
 * execution of maven-dependency-plugin) and names in the system property {@code
 * depot.apicurio.dir}.
 *
 * <pre>{@code
 * try (ApicurioRegistry registry = ApicurioRegistry.start(runnerDir, logFile)) {
 *   serializerConfig.put("apicurio.registry.url", registry.apicurioApi());
 *   HttpResponse<String> r = registry.get("/schemas/ids/1"); // Confluent API
 * }
 * }</pre>
 *
 * <p>{@link #close()} kills the process and waits for it to be gone; a JVM shutdown hook kills it
 * too if the test JVM exits without closing. Not thread-safe.
 */
public final class ApicurioRegistry implements AutoCloseable {
  /** Starting a Quarkus app on two busy cores can take a while. */
  public static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  private static final String CCOMPAT = "/apis/ccompat/v7";

  private final ChildJvm child;
  private final Process process;
  private final int port;
  private final Path log;
  private final Thread killer;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private ApicurioRegistry(ChildJvm child, int port, Path log) {
    this.child = child;
    this.process = child.process();
    this.port = port;
    this.log = log;
    this.killer = new Thread(process::destroyForcibly, "kill-apicurio-" + port);
    Runtime.getRuntime().addShutdownHook(killer);
  }

  /** The directory of the unpacked runner, from the system property the build sets. */
  public static Path runnerDirFromBuild() {
    String dir = System.getProperty("depot.apicurio.dir");
    if (dir == null) {
      throw new IllegalStateException(
          "system property depot.apicurio.dir is not set: run the test through 'mvn verify',"
              + " which unpacks the registry into target/apicurio");
    }
    return Path.of(dir);
  }

  /**
   * Starts the registry on a free loopback port and waits until its Confluent API answers. On any
   * failure the process is killed before the exception leaves.
   *
   * @param runnerDir the unpacked {@code apicurio-registry-app} distribution
   * @param log where the registry's output goes
   */
  public static ApicurioRegistry start(Path runnerDir, Path log) throws IOException {
    Objects.requireNonNull(runnerDir, "runnerDir cannot be null");
    Objects.requireNonNull(log, "log cannot be null");
    Path jar = runnerJar(runnerDir);
    int port = freeLoopbackPort();
    Files.deleteIfExists(log); // a fresh log each start
    ChildJvm child =
        ChildJvm.jar(jar)
            .jvmArg("-Xmx256m")
            .jvmArg("-XX:+UseSerialGC")
            .jvmArg("-Dquarkus.http.host=127.0.0.1")
            .jvmArg("-Dquarkus.http.port=" + port)
            .jvmArg("-Dquarkus.log.console.color=false")
            .directory(runnerDir)
            .log(log)
            .start();
    ApicurioRegistry registry = new ApicurioRegistry(child, port, log);
    try {
      registry.awaitReady();
      return registry;
    } catch (RuntimeException | Error e) {
      registry.close();
      throw e;
    }
  }

  private static Path runnerJar(Path runnerDir) throws IOException {
    try (Stream<Path> files = Files.list(runnerDir)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith("-runner.jar"))
          .findFirst()
          .orElseThrow(
              () ->
                  new IllegalStateException(
                      "no *-runner.jar in "
                          + runnerDir
                          + ": 'mvn verify' (phase pre-integration-test) unpacks it there"));
    }
  }

  private static int freeLoopbackPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "the registry exited with code " + process.exitValue() + " while starting" + logTail());
      }
      try {
        if (get("/subjects").statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the registry did not answer on "
                + ccompatApi()
                + " within "
                + START_TIMEOUT
                + logTail());
      }
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
  }

  /** Base URL of the native API, for the Apicurio serdes' {@code apicurio.registry.url}. */
  public String apicurioApi() {
    return "http://127.0.0.1:" + port + "/apis/registry/v2";
  }

  /** Base URL of the Confluent-compatible API. */
  public String ccompatApi() {
    return "http://127.0.0.1:" + port + CCOMPAT;
  }

  /** {@code GET} on the Confluent-compatible API, e.g. {@code get("/schemas/ids/1")}. */
  public HttpResponse<String> get(String path) throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(ccompatApi() + path))
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: GET " + request.uri(), e);
    }
  }

  /** The registry's process, so that a test can check it is gone after {@link #close()}. */
  public ProcessHandle process() {
    return process.toHandle();
  }

  /** The last lines of the registry's output, for failure messages. */
  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return "\n--- last lines of "
          + log
          + " ---\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "\n(no registry log at " + log + ": " + e + ")";
    }
  }

  /** Kills the registry and waits until the process is gone. */
  @Override
  public void close() {
    try {
      child.close(); // SIGTERM, then SIGKILL if it is not gone in a minute
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(killer);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down: the hook runs anyway
      }
    }
  }
}
