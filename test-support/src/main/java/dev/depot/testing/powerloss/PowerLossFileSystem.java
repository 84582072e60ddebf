package dev.depot.testing.powerloss;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A file system that behaves like a disk after a power cut: what was not made durable by an fsync
 * is lost, or torn (see {@link Crash}). For tests of code that promises durability.
 *
 * <pre>{@code
 * PowerLossFileSystem fs = PowerLossFileSystem.create(tempDir);
 * fs.cutPowerAt(17);                       // operation 17 (0-based) and all after it fail
 * try {
 *   runWorkload(fs.root().resolve("queue")); // every file access through Path of fs
 * } catch (Exception e) {
 *   // the power cut, seen by the code under test
 * }
 * PowerLossFileSystem after = fs.restart(Crash.loseUnsynced()); // the disk as it comes back
 * check(after.root().resolve("queue"));
 * }</pre>
 *
 * <h2>The model</h2>
 *
 * Files live as real files under a directory of the default file system; this file system wraps it
 * and keeps, beside that current state, the durable state: for each file (an inode, which follows
 * renames) its content as of its last fsync, and for each directory its entries (names bound to
 * files or directories) as of its last fsync. {@link FileChannel#force} on a file makes the file's
 * current content durable; on a directory (opened as a channel, the way Java code syncs a
 * directory) it makes the directory's current entries durable. Nothing else does: closing a file,
 * fsyncing a file inside a new directory or a renamed file does not make its directory entry
 * durable. {@link #restart} writes the durable state (possibly torn) to a new directory and returns
 * a new file system over it; the old one is dead.
 *
 * <h2>Operations and crash points</h2>
 *
 * Every change is one numbered operation: a write, a truncate, a force, the open that creates or
 * truncates a file, a mkdir, a rename, a delete, a copy. {@link #cutPowerAt(long)} cuts the power
 * just before operation {@code k} runs: it and every later call (reads too; closing is allowed)
 * throw {@link PowerCutException}. {@link #operations()} counts the operations so far, so a test
 * runs its workload once to count them, then once per crash point (see {@link CrashPoints}).
 *
 * <h2>Why a wrapping {@code FileSystemProvider} and not FUSE</h2>
 *
 * It is deterministic (the crash point is an operation number, not a moment), needs no root, no
 * mount and no native library, runs thousands of crash points a second on small workloads, and
 * models directory entries exactly (FUSE sees them too, but the kernel's page cache above it would
 * have to be bypassed with direct I/O to see every write). Its cost: the code under test must do
 * every file access through {@link Path}s of the given file system. That is checked: {@code
 * Path.toFile()} throws for these paths, and {@link #restart} fails when a file or directory
 * appeared under the root that was not made through this file system (code that rebuilt a default
 * path from a string). Writable memory maps are refused: their writes bypass the model. Locks are
 * the real files' locks, released when the power is cut (as a dying process would).
 *
 * <p>Thread-safe: operations are serialized.
 */
public final class PowerLossFileSystem extends FileSystem {
  private static final Object DIR = new Object();

  private final Path base;
  private final Path realRoot;
  private final int generation;
  private final PlProvider provider;

  // Guarded by this.
  private final Map<Path, Inode> files = new HashMap<>();
  private final Set<Path> dirs = new HashSet<>();
  private final Map<Path, Map<String, Object>> durable = new HashMap<>();
  private final Set<PlChannel> openChannels = new HashSet<>();
  private final Deque<String> recent = new ArrayDeque<>();
  private long operations;
  private long cutAt = Long.MAX_VALUE;
  private long nextInode;
  private boolean restarted;

  private volatile String powerCut;

  private PowerLossFileSystem(Path base, int generation) {
    this.base = base;
    this.generation = generation;
    this.realRoot = base.resolve("disk-" + generation);
    this.provider = new PlProvider(this);
  }

  /**
   * A power-loss file system over a new directory under {@code workDir} (which must exist), empty
   * and durable.
   */
  public static PowerLossFileSystem create(Path workDir) throws IOException {
    Objects.requireNonNull(workDir, "workDir cannot be null");
    if (workDir.getFileSystem() != FileSystems.getDefault()) {
      throw new IllegalArgumentException(
          "workDir must be a directory of the default file system, was " + workDir);
    }
    PowerLossFileSystem fs = new PowerLossFileSystem(workDir.toAbsolutePath().normalize(), 0);
    Files.createDirectories(fs.realRoot);
    fs.adoptEmptyRoot();
    return fs;
  }

  private void adoptEmptyRoot() throws IOException {
    try (Stream<Path> entries = Files.list(realRoot)) {
      if (entries.findAny().isPresent()) {
        throw new IllegalArgumentException("the disk directory " + realRoot + " is not empty");
      }
    }
    dirs.add(realRoot);
    durable.put(realRoot, new HashMap<>());
  }

  /** The root directory: every path the code under test uses must resolve from it. */
  public Path root() {
    return new PlPath(this, realRoot);
  }

  /** The directory of the default file system that holds the files now. */
  public Path realRoot() {
    return realRoot;
  }

  /** Cuts the power just before operation {@code k} (0-based): it and every later call fail. */
  public synchronized void cutPowerAt(long k) {
    if (k < operations) {
      throw new IllegalArgumentException(
          "operation " + k + " already ran; cut at " + operations + " or later");
    }
    cutAt = k;
  }

  /** Cuts the power now. */
  public synchronized void cutPower() {
    if (powerCut == null) {
      powerCut = "power cut after operation " + (operations - 1) + " (by the test)";
    }
  }

  /** Whether the power is cut. */
  public boolean powerIsCut() {
    return powerCut != null;
  }

  /** Operations run so far. */
  public synchronized long operations() {
    return operations;
  }

  /** The last operations run (at most 8), oldest first, for failure messages. */
  public synchronized List<String> recentOperations() {
    return new ArrayList<>(recent);
  }

  /**
   * Cuts the power (if not yet), and brings the disk back: a new file system over a new directory
   * holding the durable state as {@code crash} leaves it, all of it durable. This file system's
   * open channels are closed (releasing their locks) and its directory deleted.
   *
   * @throws IllegalStateException when a file or directory appeared under the root outside this
   *     file system (the code under test escaped it), or when called twice
   */
  public synchronized PowerLossFileSystem restart(Crash crash) throws IOException {
    Objects.requireNonNull(crash, "crash cannot be null");
    if (restarted) {
      throw new IllegalStateException("file system " + name() + " was restarted already");
    }
    cutPower();
    restarted = true;
    for (PlChannel channel : new ArrayList<>(openChannels)) {
      try {
        channel.delegate().close();
      } catch (IOException ignored) {
        // it is gone either way
      }
    }
    openChannels.clear();
    checkNoEscapes();
    Map<Path, Map<String, Object>> current = currentEntries();
    PowerLossFileSystem next = new PowerLossFileSystem(base, generation + 1);
    Files.createDirectories(next.realRoot);
    next.adoptEmptyRoot();
    Random random = new Random(mix(crash.seed() * 31 + generation));
    next.materialize(realRoot, next.realRoot, current, crash, random, this);
    deleteTree(realRoot);
    return next;
  }

  private void materialize(
      Path from,
      Path to,
      Map<Path, Map<String, Object>> current,
      Crash crash,
      Random random,
      PowerLossFileSystem old)
      throws IOException {
    Map<String, Object> kept = new TreeMap<>(old.durable.getOrDefault(from, Map.of()));
    if (crash.isTorn()) {
      Map<String, Object> now = current.getOrDefault(from, Map.of());
      Set<String> names = new LinkedHashSet<>(new TreeMap<>(kept).keySet());
      names.addAll(new TreeMap<>(now).keySet());
      Map<String, Object> mixed = new TreeMap<>();
      for (String name : names) {
        Object choice = random.nextBoolean() ? kept.get(name) : now.get(name);
        if (choice != null) {
          mixed.put(name, choice);
        }
      }
      kept = mixed;
    }
    Map<String, Object> entries = new HashMap<>();
    for (Map.Entry<String, Object> e : kept.entrySet()) {
      Path target = to.resolve(e.getKey());
      if (e.getValue() == DIR) {
        Files.createDirectory(target);
        dirs.add(target);
        durable.put(target, new HashMap<>());
        materialize(from.resolve(e.getKey()), target, current, crash, random, old);
      } else {
        Inode inode = (Inode) e.getValue();
        byte[] content =
            crash.isTorn()
                ? tear(inode.durable, old.currentContent(inode), crash.pageBytes(), random)
                : inode.durable;
        Files.write(target, content);
        if (inode.path != null && Files.exists(inode.path)) {
          Files.setLastModifiedTime(target, Files.getLastModifiedTime(inode.path));
        }
        Inode copy = new Inode(nextInode++, target);
        copy.durable = content;
        files.put(target, copy);
      }
      entries.put(e.getKey(), e.getValue() == DIR ? DIR : files.get(target));
    }
    durable.put(to, entries);
  }

  private static byte[] tear(byte[] old, byte[] now, int page, Random random) {
    int min = Math.min(old.length, now.length);
    int max = Math.max(old.length, now.length);
    int firstBoundary = (min / page + 1) * page;
    int boundaries = max > firstBoundary ? (max - 1 - firstBoundary) / page + 1 : 0;
    int length;
    int pick = random.nextInt(3);
    if (pick == 0) {
      length = old.length;
    } else if (pick == 1 || boundaries == 0) {
      length = now.length;
    } else {
      length = firstBoundary + random.nextInt(boundaries) * page; // strictly between
    }
    byte[] out = new byte[length];
    for (int from = 0; from < length; from += page) {
      int to = Math.min(length, from + page);
      boolean same = Arrays.equals(padded(old, from, to), padded(now, from, to));
      byte[] source = same || random.nextBoolean() ? now : old;
      System.arraycopy(padded(source, from, to), 0, out, from, to - from);
    }
    return out;
  }

  /** Spreads nearby seeds apart: java.util.Random's first values of seeds 1, 2, 3 correlate. */
  private static long mix(long seed) {
    long z = seed + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static byte[] padded(byte[] content, int from, int to) {
    byte[] out = new byte[to - from];
    if (from < content.length) {
      System.arraycopy(content, from, out, 0, Math.min(to, content.length) - from);
    }
    return out;
  }

  private byte[] currentContent(Inode inode) throws IOException {
    if (inode.path == null) {
      return inode.detached;
    }
    return Files.readAllBytes(inode.path);
  }

  private Map<Path, Map<String, Object>> currentEntries() {
    Map<Path, Map<String, Object>> out = new HashMap<>();
    for (Path dir : dirs) {
      out.computeIfAbsent(dir, d -> new HashMap<>());
      if (!dir.equals(realRoot)) {
        out.computeIfAbsent(dir.getParent(), d -> new HashMap<>())
            .put(dir.getFileName().toString(), DIR);
      }
    }
    for (Map.Entry<Path, Inode> e : files.entrySet()) {
      out.computeIfAbsent(e.getKey().getParent(), d -> new HashMap<>())
          .put(e.getKey().getFileName().toString(), e.getValue());
    }
    return out;
  }

  private void checkNoEscapes() throws IOException {
    List<String> foreign = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(realRoot)) {
      walk.forEach(
          p -> {
            boolean known = Files.isDirectory(p) ? dirs.contains(p) : files.containsKey(p);
            if (!known) {
              foreign.add(p.toString());
            }
          });
    }
    if (!foreign.isEmpty()) {
      throw new IllegalStateException(
          "written outside the power-loss file system (the code under test escaped its Path): "
              + foreign);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.sorted((a, b) -> b.compareTo(a))::iterator) {
        Files.delete(p);
      }
    }
  }

  // ---- the model, for the provider and the channels ----

  /** A file, following its renames: its durable content, and where it is now (null: unlinked). */
  static final class Inode {
    final long id;
    Path path;
    byte[] durable = new byte[0];
    byte[] detached;

    Inode(long id, Path path) {
      this.id = id;
      this.path = path;
    }
  }

  @FunctionalInterface
  interface IoCall<T> {
    T call() throws IOException;
  }

  /** Runs one numbered operation, unless the power is cut before it. */
  synchronized <T> T operation(String what, IoCall<T> call) throws IOException {
    checkPower();
    long index = operations;
    if (index >= cutAt) {
      powerCut = "power cut before operation " + index + ": " + what;
      throw new PowerCutException(powerCut);
    }
    operations++;
    recent.addLast(index + ": " + what);
    if (recent.size() > 8) {
      recent.removeFirst();
    }
    return call.call();
  }

  void checkPower() throws PowerCutException {
    String cut = powerCut;
    if (cut != null) {
      throw new PowerCutException(cut + " (" + name() + ")");
    }
  }

  String name() {
    return "power-loss file system " + realRoot;
  }

  Path key(Path real) {
    return real.toAbsolutePath().normalize();
  }

  boolean inside(Path key) {
    return key.startsWith(realRoot);
  }

  /** The model's file at {@code key}, or null. */
  synchronized Inode file(Path key) {
    return files.get(key);
  }

  synchronized boolean isDirectory(Path key) {
    return dirs.contains(key);
  }

  synchronized Inode created(Path key) {
    Inode inode = new Inode(nextInode++, key);
    Inode replaced = files.put(key, inode);
    if (replaced != null) {
      detach(replaced);
    }
    return inode;
  }

  synchronized void directoryCreated(Path key) {
    dirs.add(key);
  }

  synchronized void deleted(Path key) throws IOException {
    Inode inode = files.remove(key);
    if (inode != null) {
      detach(inode);
    } else {
      dirs.remove(key);
    }
  }

  /** Before {@code key} is replaced by a rename or copy: keeps the content of the file there. */
  synchronized void replacing(Path key) {
    Inode inode = files.get(key);
    if (inode != null) {
      files.remove(key);
      detach(inode);
    }
  }

  synchronized void moved(Path from, Path to) throws IOException {
    Inode inode = files.remove(from);
    Inode replaced = files.put(to, inode);
    if (replaced != null && replaced != inode) {
      detach(replaced);
    }
    inode.path = to;
  }

  private void detach(Inode inode) {
    try {
      inode.detached = Files.readAllBytes(inode.path);
    } catch (IOException e) {
      inode.detached = inode.durable;
    }
    inode.path = null;
  }

  synchronized void syncDirectory(Path real) {
    Path dir = key(real);
    if (!dirs.contains(dir)) {
      return; // outside the model
    }
    durable.put(dir, new HashMap<>(currentEntries().getOrDefault(dir, Map.of())));
  }

  /** A force of a file: its current content becomes durable. */
  synchronized void makeDurable(Inode inode, FileChannel channel) throws IOException {
    if (inode.path != null) {
      inode.durable = Files.readAllBytes(inode.path);
    } else {
      try {
        inode.detached = readAll(channel); // unlinked: only an open channel still reaches it
      } catch (java.nio.channels.NonReadableChannelException e) {
        // written through a write-only channel since it was unlinked: keep what was seen
      }
      inode.durable = inode.detached;
    }
  }

  synchronized void opened(PlChannel channel) {
    openChannels.add(channel);
  }

  synchronized void closed(PlChannel channel) {
    openChannels.remove(channel);
  }

  static byte[] readAll(FileChannel channel) throws IOException {
    long size = channel.size();
    if (size > Integer.MAX_VALUE - 16) {
      throw new IOException("file too large for the power-loss model: " + size + " bytes");
    }
    ByteBuffer buffer = ByteBuffer.allocate((int) size);
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, buffer.position()) < 0) {
        break;
      }
    }
    return Arrays.copyOf(buffer.array(), buffer.position());
  }

  Path wrap(Path real) {
    return new PlPath(this, real);
  }

  // ---- FileSystem ----

  @Override
  public PlProvider provider() {
    return provider;
  }

  /** Does nothing: the file system lives until {@link #restart}. */
  @Override
  public void close() {}

  @Override
  public boolean isOpen() {
    return true;
  }

  @Override
  public boolean isReadOnly() {
    return false;
  }

  @Override
  public String getSeparator() {
    return FileSystems.getDefault().getSeparator();
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    List<Path> roots = new ArrayList<>();
    for (Path root : FileSystems.getDefault().getRootDirectories()) {
      roots.add(wrap(root));
    }
    return roots;
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    return FileSystems.getDefault().getFileStores();
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    return FileSystems.getDefault().supportedFileAttributeViews();
  }

  @Override
  public Path getPath(String first, String... more) {
    return wrap(FileSystems.getDefault().getPath(first, more));
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    PathMatcher real = FileSystems.getDefault().getPathMatcher(syntaxAndPattern);
    return path -> path instanceof PlPath && real.matches(((PlPath) path).real());
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    return FileSystems.getDefault().getUserPrincipalLookupService();
  }

  @Override
  public WatchService newWatchService() {
    throw new UnsupportedOperationException(
        "watching is not modelled by the power-loss file system");
  }

  @Override
  public String toString() {
    return name();
  }
}
