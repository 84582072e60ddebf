package dev.depot.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A JVM in a child process, as another process would run it: a main class of the test class path, a
 * jar, or a script that starts JVMs of its own ({@code ./quickstart}). Tests use it to kill a
 * writer mid-way, hold a lock from outside, run a shaded jar or the quickstart.
 *
 * <pre>{@code
 * try (ChildJvm app = ChildJvm.jar(jar).jvmArg("-Xmx512m").arg(config).log(log).start()) {
 *   app.awaitLog("-> RUNNING", Duration.ofMinutes(2));
 *   app.kill(); // SIGKILL
 * }
 * }</pre>
 *
 * <p>Without {@link Builder#log(Path)} the child's standard output is a pipe ({@link
 * #process()}{@code .getInputStream()}); with a log it is appended to that file. Standard error
 * goes where {@link Builder#errors(Path)} says, else into the log, else to this JVM's. Not
 * thread-safe.
 */
public final class ChildJvm implements AutoCloseable {
  private static final Duration STOP_WAIT = Duration.ofMinutes(1);

  private final Process process;
  private final Path log;

  private ChildJvm(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** A child that runs {@code main} with this JVM's class path. */
  public static Builder main(Class<?> main) {
    Objects.requireNonNull(main, "main cannot be null");
    return new Builder(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
  }

  /** A child that runs {@code java -jar jar}. */
  public static Builder jar(Path jar) {
    Objects.requireNonNull(jar, "jar cannot be null");
    if (!Files.exists(jar)) {
      throw new IllegalStateException(
          "no jar at " + jar + ": run the tests through 'mvn verify' (after package)");
    }
    return new Builder(List.of("-jar", jar.toString()));
  }

  /**
   * A child that runs the executable {@code script}, which starts JVMs of its own; it takes {@link
   * Builder#arg arguments} but no {@link Builder#jvmArg JVM options}.
   */
  public static Builder script(Path script) {
    Objects.requireNonNull(script, "script cannot be null");
    return new Builder(List.of(script.toString()), false);
  }

  /** Collects the command line of a child JVM. */
  public static final class Builder {
    private final List<String> target;
    private final boolean java;
    private final List<String> jvmArgs = new ArrayList<>();
    private final List<String> args = new ArrayList<>();
    private Path log;
    private Path errors;
    private Path directory;

    private Builder(List<String> target) {
      this(target, true);
    }

    private Builder(List<String> target, boolean java) {
      this.target = target;
      this.java = java;
    }

    /** An option for the JVM, before the main class or jar: {@code -Xmx128m}, {@code -Dk=v}. */
    public Builder jvmArg(String jvmArg) {
      Objects.requireNonNull(jvmArg, "jvmArg cannot be null");
      if (!java) {
        throw new IllegalStateException("a script takes no JVM options, was " + jvmArg);
      }
      jvmArgs.add(jvmArg);
      return this;
    }

    /** The child's working directory; this JVM's when not set. */
    public Builder directory(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory cannot be null");
      return this;
    }

    /** An argument for the program, after the main class or jar. */
    public Builder arg(String arg) {
      args.add(Objects.requireNonNull(arg, "arg cannot be null"));
      return this;
    }

    /** Arguments for the program, in order. */
    public Builder args(String... args) {
      for (String arg : args) {
        arg(arg);
      }
      return this;
    }

    /** Appends the child's standard output and error to {@code log} (its directory is created). */
    public Builder log(Path log) {
      this.log = Objects.requireNonNull(log, "log cannot be null");
      return this;
    }

    /** Appends the child's standard error to {@code errors}, apart from its standard output. */
    public Builder errors(Path errors) {
      this.errors = Objects.requireNonNull(errors, "errors cannot be null");
      return this;
    }

    /** The full command line. */
    public List<String> command() {
      List<String> command = new ArrayList<>();
      if (java) {
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      }
      command.addAll(jvmArgs);
      command.addAll(target);
      command.addAll(args);
      return command;
    }

    public ChildJvm start() throws IOException {
      ProcessBuilder builder = new ProcessBuilder(command());
      if (directory != null) {
        builder.directory(directory.toFile());
      }
      if (log != null) {
        Files.createDirectories(log.toAbsolutePath().getParent());
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      }
      if (errors != null) {
        Files.createDirectories(errors.toAbsolutePath().getParent());
        builder.redirectError(ProcessBuilder.Redirect.appendTo(errors.toFile()));
      } else if (log != null) {
        builder.redirectErrorStream(true);
      } else {
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
      }
      return new ChildJvm(builder.start(), log);
    }
  }

  public Process process() {
    return process;
  }

  public long pid() {
    return process.pid();
  }

  /** The log so far; only for a child started with a log. */
  public String logText() {
    if (log == null) {
      throw new IllegalStateException("this child was started without a log");
    }
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Waits until the log contains {@code text}; fails if the child exits first or {@code wait}
   * passes, with the log in the message.
   */
  public ChildJvm awaitLog(String text, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!logText().contains(text)) {
      if (!process.isAlive()) {
        throw new AssertionError(
            "the child JVM exited before logging " + text + " in " + log + ":\n" + logText());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "timed out after " + wait + " waiting for " + text + " in " + log + ":\n" + logText());
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
    return this;
  }

  /** Waits for the child to exit by itself and returns its exit code; fails after {@code wait}. */
  public int awaitExit(Duration wait) throws InterruptedException {
    if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the child JVM did not exit in " + wait);
    }
    return process.exitValue();
  }

  /** SIGKILL: no shutdown hook, no clean close of anything; returns when the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("killed child JVM " + pid() + " still running after " + STOP_WAIT);
    }
  }

  /**
   * SIGTERM, so shutdown hooks run; SIGKILL if the child is still running after a minute, or if
   * this thread is interrupted while it waits (the interrupt is kept).
   */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(STOP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
