package dev.depot.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestFilesTest {
  @TempDir Path dir;

  @Test
  void deleteTreeRemovesTheRootAndEverythingUnderIt() throws IOException {
    Path root = dir.resolve("root");
    Files.createDirectories(root.resolve("a/b"));
    Files.writeString(root.resolve("a/b/file"), "x");
    Files.writeString(root.resolve("top"), "y");

    TestFiles.deleteTree(root);

    assertThat(root).doesNotExist();
    assertThat(dir).exists();
  }

  @Test
  void deleteTreeOfAMissingPathDoesNothing() throws IOException {
    TestFiles.deleteTree(dir.resolve("missing"));

    assertThat(dir).isEmptyDirectory();
  }

  @Test
  void segmentNamesAreTheNumberZeroPaddedToTenDigits() {
    assertThat(TestFiles.segmentName(0)).isEqualTo("0000000000.seg");
    assertThat(TestFiles.segmentName(2_147_483_647)).isEqualTo("2147483647.seg");
    assertThat(TestFiles.segment(dir, 12)).isEqualTo(dir.resolve("0000000012.seg"));
  }

  @Test
  void timeKeySegmentNamesAreTheStartMicrosZeroPaddedToNineteenDigits() {
    assertThat(TestFiles.timeKeySegmentName(1_700_000_000_000_000L))
        .isEqualTo("0001700000000000000.tks");
    assertThat(TestFiles.timeKeySegmentName(-86_400_000_000L))
        .isEqualTo("-0000000086400000000.tks");
    assertThat(TestFiles.timeKeySegment(dir, 0)).isEqualTo(dir.resolve("0000000000000000000.tks"));
  }
}
