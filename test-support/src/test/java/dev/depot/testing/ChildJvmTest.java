package dev.depot.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class ChildJvmTest {
  @TempDir Path dir;

  /** Prints its arguments and a system property, then waits for its standard input to close. */
  public static final class Echo {
    public static void main(String[] args) throws Exception {
      System.out.println("args " + String.join(",", args));
      System.out.println("property " + System.getProperty("child.property"));
      System.err.println("to stderr");
      System.out.flush();
      while (System.in.read() != -1) {
        // until the parent closes our standard input
      }
      System.out.println("bye");
    }
  }

  /** Waits until it is stopped, whatever happens to its standard input. */
  public static final class Waiter {
    public static void main(String[] args) throws Exception {
      System.out.println("waiting");
      System.out.flush();
      new java.util.concurrent.CountDownLatch(1).await();
    }
  }

  private static ChildJvm.Builder echo() {
    return ChildJvm.main(Echo.class).jvmArg("-Xmx64m").jvmArg("-Dchild.property=p");
  }

  @Test
  void runsAMainClassWithItsArgumentsAndPipesStandardOutput() throws Exception {
    try (ChildJvm child = echo().args("a", "b").start()) {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(child.process().getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("args a,b");
      assertThat(out.readLine()).isEqualTo("property p");
      assertThat(child.pid()).isEqualTo(child.process().pid());
      child.process().getOutputStream().close();
      assertThat(out.readLine()).isEqualTo("bye");
      assertThat(child.awaitExit(Duration.ofMinutes(1))).isZero();
    }
  }

  @Test
  void logsBothStreamsAndAwaitsText() throws Exception {
    Path log = dir.resolve("logs/echo.log");
    try (ChildJvm child = echo().arg("x").log(log).start()) {
      child.awaitLog("to stderr", Duration.ofMinutes(1));
      assertThat(child.logText()).contains("args x", "property p");
      child.kill();
      assertThat(child.process().exitValue()).isEqualTo(137); // SIGKILL
    }
  }

  @Test
  void keepsStandardErrorApartWhenAsked() throws Exception {
    Path out = dir.resolve("out");
    Path err = dir.resolve("err");
    try (ChildJvm child = echo().log(out).errors(err).start()) {
      child.process().getOutputStream().close();
      assertThat(child.awaitExit(Duration.ofMinutes(1))).isZero();
    }
    assertThat(out).content().contains("args ", "bye").doesNotContain("to stderr");
    assertThat(err).content().isEqualTo("to stderr" + System.lineSeparator());
  }

  @Test
  void closeStopsTheChildWithSigterm() throws Exception {
    // not the echo: Process.destroy() also closes the child's standard input, and the echo
    // would then race the signal to a normal exit
    ChildJvm child =
        ChildJvm.main(Waiter.class).jvmArg("-Xmx64m").log(dir.resolve("waiter.log")).start();
    child.awaitLog("waiting", Duration.ofMinutes(1));

    child.close();

    assertThat(child.process().exitValue()).isEqualTo(143);
  }

  @Test
  void awaitLogFailsWhenTheChildExitsFirst() throws Exception {
    Path log = dir.resolve("echo.log");
    try (ChildJvm child = echo().log(log).start()) {
      child.process().getOutputStream().close();
      assertThatThrownBy(() -> child.awaitLog("never printed", Duration.ofMinutes(1)))
          .isInstanceOf(AssertionError.class)
          .hasMessageStartingWith("the child JVM exited before logging never printed in " + log);
    }
  }

  @Test
  void aMissingJarIsNamed() {
    Path jar = dir.resolve("missing.jar");
    assertThatThrownBy(() -> ChildJvm.jar(jar))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("no jar at " + jar + ": run the tests through 'mvn verify' (after package)");
  }

  @Test
  void runsAScriptInTheDirectoryGivenAndRefusesJvmOptionsForIt() throws Exception {
    Path script = dir.resolve("where.sh");
    Files.writeString(script, "#!/usr/bin/env bash\necho \"in $(pwd) with $*\"\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path work = Files.createDirectories(dir.resolve("work"));
    Path log = dir.resolve("script.log");
    try (ChildJvm child = ChildJvm.script(script).directory(work).args("a", "b").log(log).start()) {
      assertThat(child.awaitExit(Duration.ofMinutes(1))).isZero();
      assertThat(child.logText()).isEqualTo("in " + work.toRealPath() + " with a b\n");
    }
    assertThatThrownBy(() -> ChildJvm.script(script).jvmArg("-Xmx1g"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("a script takes no JVM options, was -Xmx1g");
  }
}
