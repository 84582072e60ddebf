package dev.depot.demo.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Runs another program's {@code main} in a quickstart child process, and exits that process
 * (running its shutdown hooks, so the broker, the worker or the application stops cleanly) as soon
 * as the quickstart process that started it is gone, whichever way it went: a {@code kill -9} of
 * the quickstart leaves nothing behind.
 *
 * <pre>{@code
 * java -cp ... dev.depot.demo.internal.ChildMain kafka.Kafka server.properties
 * }</pre>
 */
public final class ChildMain {
  private ChildMain() {}

  public static void main(String[] args) throws Throwable {
    if (args.length < 1) {
      System.err.println("usage: ChildMain MAIN_CLASS [ARGS...]");
      System.exit(2);
    }
    // the quickstart names itself (it starts this process through setsid, which may fork)
    String watched = System.getProperty("depot.quickstart.pid");
    ProcessHandle quickstart =
        watched == null
            ? ProcessHandle.current().parent().orElse(null)
            : ProcessHandle.of(Long.parseLong(watched)).orElse(null);
    if (quickstart == null) {
      System.err.println("the quickstart process is gone already: not starting " + args[0]);
      System.exit(0);
    }
    quickstart
        .onExit()
        .thenRun(
            () -> {
              System.err.println("quickstart process " + quickstart.pid() + " is gone: stopping");
              System.exit(0);
            });
    Method main = Class.forName(args[0]).getMethod("main", String[].class);
    try {
      main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
