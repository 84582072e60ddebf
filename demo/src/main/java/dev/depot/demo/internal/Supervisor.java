package dev.depot.demo.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Supervises the quickstart's child processes: starts each one ({@link ChildProcess}) with its log
 * in {@code DATA/logs} and its pid in {@code DATA/pids}, fails the quickstart when one exits, and
 * stops them all, newest first (worker, application, broker, registry), once: at the end, on an
 * error, or on Ctrl-C. Stops what a killed previous run left in the same data directory.
 *
 * <p>Thread-safe: the shutdown hook ({@link #onSignal()}) stops the processes while the main thread
 * may be starting one; a process started after the stop began is refused.
 */
public final class Supervisor {
  private final DataDir data;
  private final PrintStream progress;
  private final List<ChildProcess> children = new ArrayList<>();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Object stopLock = new Object();
  private volatile boolean stopping;

  /**
   * @param progress where the stop reports each process (stderr)
   */
  public Supervisor(DataDir data, PrintStream progress) {
    this.data = data;
    this.progress = progress;
  }

  /**
   * Starts a child process with the quickstart's logging options; its output goes to {@code log}.
   */
  public ChildProcess start(
      String name, List<String> jvm, String classpath, String main, List<String> args, String log) {
    synchronized (children) {
      if (stopping) {
        throw new QuickstartException("stopped");
      }
      List<String> options = new ArrayList<>(jvm);
      options.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
      options.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
      options.add("-Ddepot.quickstart.data=" + data.root()); // how a later run finds leftovers
      ChildProcess child =
          ChildProcess.start(name, options, classpath, main, args, data.logs().resolve(log));
      children.add(child);
      appendPid(child);
      return child;
    }
  }

  /** Whether the stop has begun. */
  public boolean stopping() {
    return stopping;
  }

  /** Fails the quickstart when the stop has begun or {@code child} has exited (with its log). */
  public void requireAlive(ChildProcess child) {
    if (stopping) {
      throw new QuickstartException("stopped");
    }
    if (!child.isAlive()) {
      throw new QuickstartException(
          "the "
              + child.name()
              + " exited with code "
              + child.exitCode()
              + "; its log: "
              + child.log()
              + "\n"
              + child.logTail(15));
    }
  }

  /** Waits until the stop (Ctrl-C); fails the quickstart when one of {@code watched} exits. */
  public void awaitStop(List<ChildProcess> watched) {
    while (!stopping) {
      for (ChildProcess child : watched) {
        if (!child.isAlive()) {
          throw new QuickstartException(
              "the "
                  + child.name()
                  + " exited with code "
                  + child.exitCode()
                  + "; its log: "
                  + child.log());
        }
      }
      try {
        stopped.await(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Stops the children, newest first: worker, application, broker, registry. Idempotent. */
  public void stopAll() {
    // a second caller (Ctrl-C during the stop) waits here until the first has stopped everything
    synchronized (stopLock) {
      stopAllLocked();
    }
  }

  private void stopAllLocked() {
    List<ChildProcess> toStop;
    synchronized (children) {
      stopping = true;
      toStop = new ArrayList<>(children);
      children.clear();
    }
    if (!toStop.isEmpty()) {
      progress.println("==> stopping");
    }
    for (int i = toStop.size() - 1; i >= 0; i--) {
      ChildProcess child = toStop.get(i);
      boolean clean = child.stop(60);
      progress.println(
          "    " + child.name() + (clean ? " stopped" : " did not stop in 60 s: killed"));
    }
    progress.flush();
    stopped.countDown();
  }

  /** The shutdown hook's job (Ctrl-C, SIGTERM): says so once, then stops everything. */
  public void onSignal() {
    if (!stopping) {
      progress.println();
      progress.println("quickstart: interrupted");
    }
    stopAll();
  }

  /** Stops what a previous run in the same directory left running (it was killed with -9). */
  public void stopLeftovers() {
    Path pids = data.pids();
    if (!Files.exists(pids)) {
      return;
    }
    String root = data.root().toString();
    try {
      for (String line : Files.readAllLines(pids)) {
        String[] fields = line.split(" ", 2);
        ProcessHandle.of(Long.parseLong(fields[0]))
            .filter(p -> p.info().commandLine().orElse("").contains(root))
            .ifPresent(
                p -> {
                  progress.println("    stopping process " + p.pid() + " left by a previous run");
                  p.destroy();
                  p.onExit().orTimeout(60, TimeUnit.SECONDS).exceptionally(e -> p).join();
                  p.destroyForcibly();
                });
      }
    } catch (IOException | RuntimeException e) {
      progress.println("    (cannot read " + pids + ": " + e.getMessage() + ")");
    }
  }

  private void appendPid(ChildProcess child) {
    try {
      Files.writeString(
          data.pids(),
          child.pid() + " " + child.name() + "\n",
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
