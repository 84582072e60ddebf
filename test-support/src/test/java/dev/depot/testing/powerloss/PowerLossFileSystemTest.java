package dev.depot.testing.powerloss;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PowerLossFileSystemTest {
  @TempDir Path temp;

  private static void write(Path file, String text, boolean force) throws IOException {
    try (FileChannel ch = FileChannel.open(file, CREATE, WRITE, TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(text.getBytes(UTF_8));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      if (force) {
        ch.force(true);
      }
    }
  }

  private static void syncDir(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, READ)) {
      ch.force(true);
    }
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, UTF_8);
  }

  /** The right way to replace a file: temp, force, rename, force the directory. */
  private static void replaceDurably(Path file, String text) throws IOException {
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    write(temp, text, true);
    Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDir(file.getParent());
  }

  @Test
  void fileWrittenForcedAndItsDirectorySyncedSurvives() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    Path file = fs.root().resolve("a");
    write(file, "hello", true);
    syncDir(fs.root());
    PowerLossFileSystem after = fs.restart(Crash.loseUnsynced());
    assertThat(read(after.root().resolve("a"))).isEqualTo("hello");
  }

  @Test
  void fileNeverForcedLosesItsContentEvenWhenItsEntryIsDurable() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    write(fs.root().resolve("a"), "hello", false);
    syncDir(fs.root());
    PowerLossFileSystem after = fs.restart(Crash.loseUnsynced());
    assertThat(after.root().resolve("a")).exists();
    assertThat(read(after.root().resolve("a"))).isEmpty();
  }

  @Test
  void forcedFileInAnUnsyncedDirectoryIsLost() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    write(fs.root().resolve("a"), "hello", true);
    PowerLossFileSystem after = fs.restart(Crash.loseUnsynced());
    assertThat(after.root().resolve("a")).doesNotExist();
  }

  @Test
  void newDirectoryNeedsItsParentSynced() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    Path dir = Files.createDirectories(fs.root().resolve("d").resolve("e"));
    write(dir.resolve("a"), "hello", true);
    syncDir(dir);
    PowerLossFileSystem lost = fs.restart(Crash.loseUnsynced());
    assertThat(lost.root().resolve("d")).doesNotExist();

    PowerLossFileSystem fs2 = PowerLossFileSystem.create(temp.resolve("2"));
    Path dir2 = Files.createDirectories(fs2.root().resolve("d").resolve("e"));
    write(dir2.resolve("a"), "hello", true);
    syncDir(dir2);
    syncDir(dir2.getParent());
    syncDir(fs2.root());
    PowerLossFileSystem kept = fs2.restart(Crash.loseUnsynced());
    assertThat(read(kept.root().resolve("d").resolve("e").resolve("a"))).isEqualTo("hello");
  }

  @Test
  void bytesAppendedAfterTheLastForceAreLost() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    Path file = fs.root().resolve("log");
    try (FileChannel ch = FileChannel.open(file, CREATE, WRITE)) {
      ch.write(ByteBuffer.wrap("synced;".getBytes(UTF_8)));
      ch.force(false);
      ch.write(ByteBuffer.wrap("unsynced".getBytes(UTF_8)));
    }
    syncDir(fs.root());
    PowerLossFileSystem after = fs.restart(Crash.loseUnsynced());
    assertThat(read(after.root().resolve("log"))).isEqualTo("synced;");
  }

  @Test
  void forceThroughAnotherChannelOfTheSameFileCounts() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    Path file = fs.root().resolve("log");
    try (FileChannel ch = FileChannel.open(file, CREATE, WRITE)) {
      ch.write(ByteBuffer.wrap("data".getBytes(UTF_8)));
      try (FileChannel other = FileChannel.open(file, READ)) {
        other.force(false);
      }
    }
    syncDir(fs.root());
    assertThat(read(fs.restart(Crash.loseUnsynced()).root().resolve("log"))).isEqualTo("data");
  }

  @Test
  void durableReplaceKeepsTheNewContent() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    Path file = fs.root().resolve("meta");
    replaceDurably(file, "v1");
    replaceDurably(file, "v2");
    PowerLossFileSystem after = fs.restart(Crash.loseUnsynced());
    assertThat(read(after.root().resolve("meta"))).isEqualTo("v2");
  }

  @Test
  void renameWithoutDirectorySyncIsRevertedAndTheOldFileFollowsItsInode() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    Path file = fs.root().resolve("meta");
    replaceDurably(file, "v1");
    Path temp2 = fs.root().resolve("meta.tmp");
    write(temp2, "v2", true);
    Files.move(temp2, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    PowerLossFileSystem after = fs.restart(Crash.loseUnsynced());
    assertThat(read(after.root().resolve("meta"))).isEqualTo("v1");
    assertThat(after.root().resolve("meta.tmp")).doesNotExist();
  }

  @Test
  void replaceWithoutForcingTheTempFileLeavesAnEmptyFile() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    Path file = fs.root().resolve("meta");
    replaceDurably(file, "v1");
    Path temp2 = fs.root().resolve("meta.tmp");
    write(temp2, "v2", false); // the bug: no force before the rename
    Files.move(temp2, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDir(fs.root());
    PowerLossFileSystem after = fs.restart(Crash.loseUnsynced());
    assertThat(read(after.root().resolve("meta"))).isEmpty();
  }

  @Test
  void deleteWithoutDirectorySyncComesBack() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    Path file = fs.root().resolve("seg");
    replaceDurably(file, "data");
    Files.delete(file);
    assertThat(file).doesNotExist();
    PowerLossFileSystem after = fs.restart(Crash.loseUnsynced());
    assertThat(read(after.root().resolve("seg"))).isEqualTo("data");
  }

  @Test
  void tornRestartKeepsEachChangedSectorOldOrNew() throws IOException {
    byte[] old = new byte[2048];
    byte[] now = new byte[4096];
    java.util.Arrays.fill(old, (byte) 'o');
    java.util.Arrays.fill(now, (byte) 'n');
    Set<String> shapes = new HashSet<>();
    for (long seed = 0; seed < 40; seed++) {
      PowerLossFileSystem fs = PowerLossFileSystem.create(temp.resolve("s" + seed));
      Path file = fs.root().resolve("f");
      try (FileChannel ch = FileChannel.open(file, CREATE, WRITE)) {
        ch.write(ByteBuffer.wrap(old));
        ch.force(false);
        ch.write(ByteBuffer.wrap(now), 0);
      }
      syncDir(fs.root());
      byte[] got = Files.readAllBytes(fs.restart(Crash.torn(512, seed)).root().resolve("f"));
      assertThat(got.length % 512).isZero();
      assertThat(got.length).isIn(2048, 2560, 3072, 3584, 4096);
      StringBuilder shape = new StringBuilder();
      for (int s = 0; s < got.length / 512; s++) {
        byte first = got[s * 512];
        for (int i = s * 512; i < (s + 1) * 512; i++) {
          assertThat(got[i]).as("byte %d, seed %d", i, seed).isEqualTo(first); // whole sectors
        }
        assertThat(first).isIn((byte) 'o', (byte) 'n', (byte) 0);
        if (s >= 4) {
          assertThat(first).isIn((byte) 'n', (byte) 0); // no old bytes past the old length
        }
        shape.append((char) (first == 0 ? '0' : first));
      }
      shapes.add(shape.toString());
    }
    assertThat(shapes).hasSizeGreaterThan(5); // really mixed, not all old or all new
    assertThat(shapes).anyMatch(s -> s.contains("o") && s.contains("n"));
  }

  @Test
  void tornRestartMayKeepOrLoseAnUnsyncedEntry() throws IOException {
    Set<Boolean> kept = new HashSet<>();
    for (long seed = 0; seed < 20; seed++) {
      PowerLossFileSystem fs = PowerLossFileSystem.create(temp.resolve("s" + seed));
      write(fs.root().resolve("a"), "x", true);
      kept.add(Files.exists(fs.restart(Crash.torn(512, seed)).root().resolve("a")));
    }
    assertThat(kept).containsExactlyInAnyOrder(true, false);
  }

  @Test
  void cutsThePowerBeforeTheChosenOperationAndCountsOperations() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    Path file = fs.root().resolve("a");
    try (FileChannel ch = FileChannel.open(file, CREATE, WRITE)) { // op 0: create
      ch.write(ByteBuffer.wrap(new byte[] {1})); // op 1
      ch.force(false); // op 2
    }
    assertThat(fs.operations()).isEqualTo(3);
    fs.cutPowerAt(4);
    syncDir(fs.root()); // op 3
    try (FileChannel ch = FileChannel.open(file, WRITE)) {
      assertThatThrownBy(() -> ch.write(ByteBuffer.wrap(new byte[] {2}))) // op 4: cut
          .isInstanceOf(PowerCutException.class)
          .hasMessageContaining("before operation 4: write");
      assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(1), 0))
          .isInstanceOf(PowerCutException.class);
    }
    assertThat(fs.powerIsCut()).isTrue();
    assertThatThrownBy(() -> Files.size(file)).isInstanceOf(PowerCutException.class);
    assertThat(Files.readAllBytes(fs.restart(Crash.loseUnsynced()).root().resolve("a")))
        .containsExactly(1);
  }

  @Test
  void pathsOfTheFileSystemHaveNoJavaIoFile() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    assertThatThrownBy(() -> fs.root().resolve("a").toFile())
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(fs.root().resolve("a").getFileSystem()).isSameAs(fs);
  }

  @Test
  void restartRefusesFilesWrittenAroundTheFileSystem() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    Files.writeString(fs.realRoot().resolve("escaped"), "x"); // a default-FS path: an escape
    assertThatThrownBy(() -> fs.restart(Crash.loseUnsynced()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("escaped");
  }

  @Test
  void writableMemoryMapsAreRefused() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    try (FileChannel ch = FileChannel.open(fs.root().resolve("m"), CREATE, READ, WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[8]));
      assertThatThrownBy(() -> ch.map(FileChannel.MapMode.READ_WRITE, 0, 8))
          .isInstanceOf(UnsupportedOperationException.class);
      assertThat(ch.map(FileChannel.MapMode.READ_ONLY, 0, 8).get(0)).isEqualTo((byte) 0);
    }
  }

  @Test
  void locksAreRealAndReleasedByTheRestart() throws IOException {
    PowerLossFileSystem fs = PowerLossFileSystem.create(temp);
    Path lockFile = fs.root().resolve(".lock");
    FileChannel holder = FileChannel.open(lockFile, CREATE, READ, WRITE);
    FileLock lock = holder.tryLock();
    assertThat(lock).isNotNull();
    try (FileChannel other = FileChannel.open(lockFile, READ, WRITE)) {
      assertThatThrownBy(other::tryLock)
          .isInstanceOf(java.nio.channels.OverlappingFileLockException.class);
    }
    syncDir(fs.root());
    PowerLossFileSystem after = fs.restart(Crash.loseUnsynced());
    assertThat(holder.isOpen()).isTrue(); // the test's handle; its real channel is closed
    try (FileChannel ch = FileChannel.open(after.root().resolve(".lock"), READ, WRITE)) {
      assertThat(ch.tryLock()).isNotNull();
    }
    holder.close();
  }

  @Test
  void crashPointsCatchAProgramThatSkipsAnFsync() {
    assertThatThrownBy(
            () ->
                CrashPoints.builder("replace without a directory sync", temp)
                    .run(ArrayList<String>::new, new Replacer(false)))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("replace without a directory sync: power cut")
        .hasMessageContaining("restart loseUnsynced()")
        .hasMessageContaining("rename");
  }

  @Test
  void aFailureAtACrashPointNamesThePointAndHowToReplayIt() {
    // promises "x" before anything is synced: right at its end, wrong from operation 2 (of 6:
    // create, write, truncate, write, force, directory force)
    assertThatThrownBy(
            () ->
                CrashPoints.builder("one write, never synced", temp)
                    .run(
                        ArrayList<String>::new,
                        new CrashPoints.Scenario<List<String>>() {
                          @Override
                          public void run(Path root, List<String> promised) throws Exception {
                            write(root.resolve("a"), "x", false);
                            promised.add("x");
                            write(root.resolve("a"), "x", true);
                            syncDir(root);
                          }

                          @Override
                          public void check(Path root, List<String> promised) throws Exception {
                            assertThat(promised.isEmpty() || read(root.resolve("a")).equals("x"))
                                .isTrue();
                          }
                        }))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("one write, never synced: power cut before operation 2 of 6")
        .hasMessageContaining("-Dpowerloss.point=2 -Dpowerloss.seed=1");
  }

  @Test
  void crashPointsPassAProgramThatSyncsEverything() throws IOException {
    CrashPoints.Result result =
        CrashPoints.builder("replace done right", temp)
            .run(ArrayList<String>::new, new Replacer(true));
    assertThat(result.operations()).isGreaterThan(20);
    assertThat(result.points()).isEqualTo((int) result.operations());
    assertThat(result.restarts()).isEqualTo(1 + 2 * result.points());
  }

  /** Replaces a file five times, recording each version once it is promised durable. */
  private static final class Replacer implements CrashPoints.Scenario<List<String>> {
    private final boolean syncDirectory;

    Replacer(boolean syncDirectory) {
      this.syncDirectory = syncDirectory;
    }

    @Override
    public void run(Path root, List<String> promised) throws Exception {
      Path file = root.resolve("meta");
      for (int v = 1; v <= 5; v++) {
        Path temp = root.resolve("meta.tmp");
        write(temp, "version " + v, true);
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (syncDirectory) {
          syncDir(root);
        }
        promised.add("version " + v);
      }
    }

    @Override
    public void check(Path root, List<String> promised) throws Exception {
      if (promised.isEmpty()) {
        return;
      }
      Path file = root.resolve("meta");
      assertThat(file).exists();
      String last = promised.get(promised.size() - 1);
      String got = read(file);
      // the last promised version, or a later one whose rename reached the disk
      assertThat(Integer.parseInt(got.substring(8)))
          .isGreaterThanOrEqualTo(Integer.parseInt(last.substring(8)));
    }
  }
}
