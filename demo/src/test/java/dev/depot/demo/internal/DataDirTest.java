package dev.depot.demo.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirTest {
  @TempDir Path tmp;

  @Test
  void createsANewDirectoryWithItsMarkerAndLogsWithoutStoppingLeftovers() {
    DataDir data = new DataDir(tmp.resolve("qs"));
    AtomicInteger leftoversStopped = new AtomicInteger();
    data.prepare(leftoversStopped::incrementAndGet);
    assertThat(data.root().resolve(DataDir.MARKER)).isRegularFile();
    assertThat(data.logs()).isDirectory();
    assertThat(leftoversStopped).hasValue(0);
  }

  @Test
  void emptiesAPreviousRunAfterStoppingWhatItLeft() throws Exception {
    DataDir data = new DataDir(tmp.resolve("qs"));
    data.prepare(() -> {});
    Files.createDirectories(data.depot().resolve("readings/0"));
    Files.writeString(data.pids(), "1 broker\n");
    AtomicInteger leftoversStopped = new AtomicInteger();
    data.prepare(
        () -> {
          assertThat(data.pids()).as("the pids are still there to stop").exists();
          leftoversStopped.incrementAndGet();
        });
    assertThat(leftoversStopped).hasValue(1);
    assertThat(data.depot()).doesNotExist();
    assertThat(data.pids()).doesNotExist();
    assertThat(data.root().resolve(DataDir.MARKER)).isRegularFile();
  }

  @Test
  void refusesToEmptyADirectoryAQuickstartDidNotMake() throws Exception {
    Path mine = Files.createDirectories(tmp.resolve("mine"));
    Files.writeString(mine.resolve("notes.txt"), "keep me");
    assertThatThrownBy(() -> new DataDir(mine).prepare(() -> {}))
        .isInstanceOf(QuickstartException.class)
        .hasMessage(
            "refusing to empty "
                + mine
                + ": it is not a quickstart data directory (no .quickstart file in it); choose"
                + " another --data");
    assertThat(mine.resolve("notes.txt")).hasContent("keep me");
  }
}
