package dev.depot.store.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void createsAndReplacesTheFileLeavingNoTempFileBehind() throws IOException {
    Path file = dir.resolve("meta");
    AtomicFiles.write(file, bytes("first\n"));
    assertThat(file).hasContent("first");
    AtomicFiles.write(file, bytes("second, longer\n"));
    assertThat(file).hasContent("second, longer");
    AtomicFiles.write(file, new byte[0]);
    assertThat(Files.size(file)).isZero();
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void aTempFileLeftByACrashIsOverwritten() throws IOException {
    Path file = dir.resolve("meta");
    Files.writeString(dir.resolve("meta.tmp"), "torn garbage from a crash, longer than the rest");
    AtomicFiles.write(file, bytes("new\n"));
    assertThat(file).hasContent("new");
    assertThat(dir.resolve("meta.tmp")).doesNotExist();
  }

  @Test
  void aFailedWriteLeavesTheOldContent() throws IOException {
    Path file = dir.resolve("meta");
    AtomicFiles.write(file, bytes("old\n"));
    // A directory where the temp file goes makes the write fail before the rename.
    Files.createDirectory(dir.resolve("meta.tmp"));
    assertThatThrownBy(() -> AtomicFiles.write(file, bytes("new\n")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("meta.tmp");
    assertThat(file).hasContent("old");
  }
}
