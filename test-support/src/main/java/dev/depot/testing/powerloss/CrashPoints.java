package dev.depot.testing.powerloss;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Runs a workload under a {@link PowerLossFileSystem} once per crash point and checks what the disk
 * holds after each power cut.
 *
 * <pre>{@code
 * CrashPoints.Result r = CrashPoints.builder("queue append and sync", tempDir)
 *     .maxPoints(400).seed(42)
 *     .run(Promises::new, new CrashPoints.Scenario<Promises>() {
 *       public void run(Path root, Promises p) throws Exception { ... p.synced(...) ... }
 *       public void check(Path root, Promises p) throws Exception { ... }
 *     });
 * }</pre>
 *
 * First the workload runs without a cut, counting its operations n (and is checked after a cut at
 * its end). Then for each crash point k of 0..n-1 (all of them, or a sample of {@code maxPoints}
 * drawn with the seed), it runs again on a fresh disk with the power cut before operation k,
 * restarts the disk with each {@link Crash} mode (losing what was not synced, and tearing it at
 * 512-byte sectors with a seed derived from k) and runs the check. A failure names the scenario,
 * the point, the mode, the seed and the last operations before the cut; {@code -Dpowerloss.point=k}
 * replays one point, {@code -Dpowerloss.seed=s} changes the seed.
 *
 * <p>The workload must be deterministic (no background threads racing the file operations), so that
 * operation k is the same operation in every run.
 */
public final class CrashPoints {
  /** A workload and what it must find after a power cut. */
  public interface Scenario<S> {
    /**
     * Runs the workload on {@code root}, recording in {@code state} what it was promised (for
     * example the items a returned sync covers) as soon as the promise is made. Exceptions after
     * the power cut are expected and ignored.
     */
    void run(Path root, S state) throws Exception;

    /** Checks the disk after the restart against what {@code state} recorded. */
    void check(Path root, S state) throws Exception;
  }

  /** What a run covered. */
  public record Result(long operations, int points, int restarts) {}

  private final String name;
  private final Path workDir;
  private int maxPoints = 500;
  private long seed = 1;
  private List<Crash> modes = null;

  private CrashPoints(String name, Path workDir) {
    this.name = name;
    this.workDir = workDir;
  }

  /** Crash points for the scenario {@code name}, its disks under {@code workDir}. */
  public static CrashPoints builder(String name, Path workDir) {
    return new CrashPoints(
        Objects.requireNonNull(name, "name cannot be null"),
        Objects.requireNonNull(workDir, "workDir cannot be null"));
  }

  /** At most this many crash points, sampled with the seed when there are more (500). */
  public CrashPoints maxPoints(int maxPoints) {
    if (maxPoints < 1) {
      throw new IllegalArgumentException("maxPoints must be at least 1, was " + maxPoints);
    }
    this.maxPoints = maxPoints;
    return this;
  }

  /** The seed of the sample and of torn restarts (1). */
  public CrashPoints seed(long seed) {
    this.seed = seed;
    return this;
  }

  /** The crash modes, instead of losing everything unsynced and tearing at 512 bytes. */
  public CrashPoints modes(Crash... modes) {
    this.modes = List.of(modes);
    return this;
  }

  /**
   * Runs the scenario at every chosen crash point; throws AssertionError naming the first failure.
   */
  public <S> Result run(Supplier<S> newState, Scenario<S> scenario) throws IOException {
    long seedUsed = Long.getLong("powerloss.seed", seed);
    Files.createDirectories(workDir);
    // The run without a cut: counts the operations, and is checked after a cut at its end.
    PowerLossFileSystem counting = PowerLossFileSystem.create(workDir.resolve("count"));
    S counted = newState.get();
    try {
      scenario.run(counting.root(), counted);
    } catch (Exception e) {
      throw new AssertionError(name + ": the workload fails without a power cut: " + e, e);
    }
    long total = counting.operations();
    int restarts = 0;
    checkAfter(
        counting, counted, scenario, -1, total, Crash.loseUnsynced(), counting.recentOperations());
    restarts++;
    deleteTree(workDir.resolve("count"));

    TreeSet<Long> points = new TreeSet<>();
    Long only = Long.getLong("powerloss.point");
    if (only != null) {
      points.add(only);
    } else if (total <= maxPoints) {
      for (long k = 0; k < total; k++) {
        points.add(k);
      }
    } else {
      Random random = new Random(seedUsed);
      while (points.size() < maxPoints) {
        points.add((long) random.nextInt((int) Math.min(Integer.MAX_VALUE, total)));
      }
    }
    for (long k : points) {
      List<Crash> crashModes =
          modes != null
              ? modes
              : List.of(Crash.loseUnsynced(), Crash.torn(512, seedUsed * 1_000_003L + k));
      for (Crash crash : crashModes) {
        Path dir = workDir.resolve("point-" + k);
        PowerLossFileSystem fs = PowerLossFileSystem.create(dir);
        fs.cutPowerAt(k);
        S state = newState.get();
        try {
          scenario.run(fs.root(), state);
        } catch (Exception e) {
          if (!fs.powerIsCut()) {
            throw new AssertionError(
                where(k, total, crash, seedUsed) + ": the workload failed before the cut: " + e, e);
          }
        }
        if (!fs.powerIsCut()) {
          throw new AssertionError(
              where(k, total, crash, seedUsed)
                  + ": the workload ran fewer operations than when counted (not deterministic?)");
        }
        checkAfter(fs, state, scenario, k, total, crash, fs.recentOperations());
        restarts++;
        deleteTree(dir);
      }
    }
    return new Result(total, points.size(), restarts);
  }

  private <S> void checkAfter(
      PowerLossFileSystem fs,
      S state,
      Scenario<S> scenario,
      long k,
      long total,
      Crash crash,
      List<String> before)
      throws IOException {
    long seedUsed = Long.getLong("powerloss.seed", seed);
    PowerLossFileSystem after;
    try {
      after = fs.restart(crash);
    } catch (IllegalStateException e) {
      throw new AssertionError(where(k, total, crash, seedUsed) + ": " + e.getMessage(), e);
    }
    try {
      scenario.check(after.root(), state);
    } catch (Exception | AssertionError e) {
      throw new AssertionError(
          where(k, total, crash, seedUsed)
              + " (operations before the cut: "
              + before
              + "): "
              + e.getMessage(),
          e);
    }
  }

  private String where(long k, long total, Crash crash, long seedUsed) {
    if (k < 0) {
      return name + ": power cut after the last operation, restart " + crash;
    }
    return name
        + ": power cut before operation "
        + k
        + (total >= 0 ? " of " + total : "")
        + ", restart "
        + crash
        + ", seed "
        + seedUsed
        + " (replay with -Dpowerloss.point="
        + k
        + " -Dpowerloss.seed="
        + seedUsed
        + ")";
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(root)) {
      paths = walk.sorted(Comparator.reverseOrder()).toList();
    }
    List<IOException> errors = new ArrayList<>();
    for (Path p : paths) {
      try {
        Files.delete(p);
      } catch (IOException e) {
        errors.add(e);
      }
    }
    if (!errors.isEmpty()) {
      throw errors.get(0);
    }
  }
}
