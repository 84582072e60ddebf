package dev.depot.store.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.depot.store.DepotLockedException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The single-writer lock across processes. */
@Timeout(120)
class WriterLockIT {
  @TempDir Path dir;

  @Test
  void aWriterInAnotherProcessIsRefusedWhileReadOnlyOpensWork() throws Exception {
    Process child = ChildJvm.start(LockHolderMain.class, dir.toString());
    BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    try {
      assertThat(out.readLine()).isEqualTo("holding " + child.pid());
      assertThatThrownBy(() -> DepotQueue.open(dir))
          .isInstanceOf(DepotLockedException.class)
          .hasMessage(
              "depot queue "
                  + dir.toAbsolutePath()
                  + " is locked by another writer (process "
                  + child.pid()
                  + "); stop that writer or open the queue read-only");
      try (DepotQueue reader = DepotQueue.builder(dir).readOnly(true).build()) {
        assertThat(Items.readAll(reader, 0)).hasSize(3);
      }
      child.getOutputStream().close(); // the child closes its queue and exits
      assertThat(out.readLine()).isEqualTo("closed");
      assertThat(child.waitFor()).isZero();
    } finally {
      child.destroyForcibly();
      out.close();
    }
    try (DepotQueue queue = DepotQueue.open(dir)) {
      assertThat(Items.readAll(queue, 0)).hasSize(3);
    }
  }

  @Test
  void aKilledWritersLockIsReleasedByTheOperatingSystem() throws Exception {
    Process child = ChildJvm.start(LockHolderMain.class, dir.toString());
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      assertThat(out.readLine()).startsWith("holding ");
      assertThatThrownBy(() -> DepotQueue.open(dir)).isInstanceOf(DepotLockedException.class);
    } finally {
      child.destroyForcibly();
      child.waitFor();
    }
    try (DepotQueue queue = DepotQueue.open(dir)) {
      queue.append(new byte[] {1});
      assertThat(Items.readAll(queue, 0)).hasSize(4);
    }
  }
}
