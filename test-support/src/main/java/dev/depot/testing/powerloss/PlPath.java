package dev.depot.testing.powerloss;

import java.io.IOException;
import java.net.URI;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Objects;

/**
 * A path of a {@link PowerLossFileSystem}: a default-file-system path underneath, and this file
 * system as its owner, so that {@code Files} calls on it come back to {@link PlProvider}. {@link
 * #toFile()} throws (the default for a non-default file system): code under test that escapes to
 * {@code java.io.File} fails loudly instead of writing around the model.
 */
final class PlPath implements Path {
  private final PowerLossFileSystem fs;
  private final Path real;

  PlPath(PowerLossFileSystem fs, Path real) {
    this.fs = fs;
    this.real = real;
  }

  /** The default-file-system path underneath. */
  Path real() {
    return real;
  }

  private PlPath wrap(Path p) {
    return p == null ? null : new PlPath(fs, p);
  }

  private Path unwrap(Path other) {
    Objects.requireNonNull(other, "other cannot be null");
    if (!(other instanceof PlPath) || ((PlPath) other).fs != fs) {
      throw new ProviderMismatchException(
          "path " + other + " is not of the power-loss file system " + fs.name());
    }
    return ((PlPath) other).real;
  }

  @Override
  public PowerLossFileSystem getFileSystem() {
    return fs;
  }

  @Override
  public boolean isAbsolute() {
    return real.isAbsolute();
  }

  @Override
  public Path getRoot() {
    return wrap(real.getRoot());
  }

  @Override
  public Path getFileName() {
    return wrap(real.getFileName());
  }

  @Override
  public Path getParent() {
    return wrap(real.getParent());
  }

  @Override
  public int getNameCount() {
    return real.getNameCount();
  }

  @Override
  public Path getName(int index) {
    return wrap(real.getName(index));
  }

  @Override
  public Path subpath(int beginIndex, int endIndex) {
    return wrap(real.subpath(beginIndex, endIndex));
  }

  @Override
  public boolean startsWith(Path other) {
    return other instanceof PlPath && ((PlPath) other).fs == fs && real.startsWith(unwrap(other));
  }

  @Override
  public boolean endsWith(Path other) {
    return other instanceof PlPath && ((PlPath) other).fs == fs && real.endsWith(unwrap(other));
  }

  @Override
  public Path normalize() {
    return wrap(real.normalize());
  }

  @Override
  public Path resolve(Path other) {
    return wrap(real.resolve(unwrap(other)));
  }

  @Override
  public Path resolve(String other) {
    return wrap(real.resolve(other));
  }

  @Override
  public Path relativize(Path other) {
    return wrap(real.relativize(unwrap(other)));
  }

  @Override
  public URI toUri() {
    throw new UnsupportedOperationException(
        "a power-loss file system path has no URI: "
            + real
            + " (the code escapes the file system)");
  }

  @Override
  public Path toAbsolutePath() {
    return wrap(real.toAbsolutePath());
  }

  @Override
  public Path toRealPath(LinkOption... options) throws IOException {
    fs.checkPower();
    return wrap(real.toRealPath(options));
  }

  @Override
  public WatchKey register(
      WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
    throw new UnsupportedOperationException(
        "watching is not modelled by the power-loss file system");
  }

  @Override
  public int compareTo(Path other) {
    return real.compareTo(unwrap(other));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof PlPath
        && ((PlPath) other).fs == fs
        && ((PlPath) other).real.equals(real);
  }

  @Override
  public int hashCode() {
    return real.hashCode() * 31 + System.identityHashCode(fs);
  }

  @Override
  public String toString() {
    return real.toString();
  }
}
