package dev.depot.demo.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One process of the quickstart (the broker, the registry, the Connect worker, the dedup
 * application): a JVM started through {@link ChildMain} in a session of its own ({@code setsid}),
 * so a Ctrl-C in the terminal reaches only the quickstart, which then stops the processes in order.
 * Its stdout and stderr go to a log file.
 */
public final class ChildProcess {
  private final String name;
  private final Process process;
  private final Path log;

  private ChildProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code mainClass} on {@code classpath} with the given JVM options and arguments.
   *
   * @param classpath must include the quickstart's own classes ({@link ChildMain})
   */
  public static ChildProcess start(
      String name,
      List<String> jvmOptions,
      String classpath,
      String mainClass,
      List<String> args,
      Path log) {
    List<String> command = new ArrayList<>();
    if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
      command.add("/usr/bin/setsid");
    }
    command.add(javaBinary());
    command.addAll(jvmOptions);
    command.add("-Ddepot.quickstart.pid=" + ProcessHandle.current().pid());
    command.add("-cp");
    command.add(classpath);
    command.add(ChildMain.class.getName());
    command.add(mainClass);
    command.addAll(args);
    try {
      Files.createDirectories(log.getParent());
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectInput(ProcessBuilder.Redirect.PIPE)
              .start();
      return new ChildProcess(name, process, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the " + name + ": " + e.getMessage(), e);
    }
  }

  /** The java executable this JVM runs on, so every process runs on the same Java. */
  static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code, or -1 while it runs. */
  public int exitCode() {
    return process.isAlive() ? -1 : process.exitValue();
  }

  /**
   * Asks the process to stop (SIGTERM: its shutdown hooks run), waits up to {@code graceSeconds},
   * then kills it. Returns true when it stopped by itself.
   */
  public boolean stop(int graceSeconds) {
    if (!process.isAlive()) {
      return true;
    }
    process.destroy();
    try {
      if (process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
        return true;
      }
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    return false;
  }

  /** The last {@code lines} lines of its log, for an error message. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }
}
