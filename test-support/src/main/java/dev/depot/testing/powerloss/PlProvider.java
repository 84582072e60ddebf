package dev.depot.testing.powerloss;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.spi.FileSystemProvider;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The provider of one {@link PowerLossFileSystem}: each call unwraps its paths to the default file
 * system, runs the change as one numbered operation of the file system and records it in the model.
 * Reads and attribute queries go straight to the real files.
 */
final class PlProvider extends FileSystemProvider {
  private final PowerLossFileSystem fs;
  private final FileSystemProvider real = FileSystems.getDefault().provider();

  PlProvider(PowerLossFileSystem fs) {
    this.fs = fs;
  }

  private Path unwrap(Path path) {
    if (!(path instanceof PlPath) || ((PlPath) path).getFileSystem() != fs) {
      throw new ProviderMismatchException(
          "path " + path + " is not of the power-loss file system " + fs.name());
    }
    return ((PlPath) path).real();
  }

  /** The model key of a path the code changes, which must lie under the root. */
  private Path changed(Path path) throws IOException {
    Path key = fs.key(unwrap(path));
    if (!fs.inside(key)) {
      throw new IOException(
          "the power-loss file system only changes files under " + fs.realRoot() + ", not " + key);
    }
    return key;
  }

  @Override
  public String getScheme() {
    return "powerloss";
  }

  @Override
  public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
    throw new UnsupportedOperationException("use PowerLossFileSystem.create");
  }

  @Override
  public FileSystem getFileSystem(URI uri) {
    throw new UnsupportedOperationException("use PowerLossFileSystem.create");
  }

  @Override
  public Path getPath(URI uri) {
    throw new UnsupportedOperationException("use PowerLossFileSystem.root().resolve(...)");
  }

  @Override
  public SeekableByteChannel newByteChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    return newFileChannel(path, options, attrs);
  }

  @Override
  public FileChannel newFileChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    fs.checkPower();
    Path realPath = unwrap(path);
    Path key = fs.key(realPath);
    for (OpenOption option : options) {
      if (option == StandardOpenOption.DELETE_ON_CLOSE
          || option == StandardOpenOption.SYNC
          || option == StandardOpenOption.DSYNC) {
        throw new UnsupportedOperationException(
            option + " is not modelled by the power-loss file system (" + key + ")");
      }
    }
    boolean write =
        options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
    if (!fs.inside(key)) {
      if (write) {
        changed(path); // throws
      }
      return real.newFileChannel(realPath, options, attrs);
    }
    if (fs.isDirectory(key)) {
      PlChannel channel =
          new PlChannel(fs, real.newFileChannel(realPath, options, attrs), realPath, null);
      fs.opened(channel);
      return channel;
    }
    boolean exists = fs.file(key) != null;
    boolean creates =
        write
            && (options.contains(StandardOpenOption.CREATE_NEW)
                || (options.contains(StandardOpenOption.CREATE) && !exists));
    boolean truncates =
        write
            && exists
            && options.contains(StandardOpenOption.TRUNCATE_EXISTING)
            && Files.size(realPath) > 0;
    FileChannel delegate;
    PowerLossFileSystem.Inode inode;
    if (creates || truncates) {
      Object[] opened = new Object[2];
      fs.operation(
          (creates ? "create " : "truncate ") + key,
          () -> {
            opened[0] = real.newFileChannel(realPath, options, attrs);
            opened[1] = creates ? fs.created(key) : fs.file(key);
            return null;
          });
      delegate = (FileChannel) opened[0];
      inode = (PowerLossFileSystem.Inode) opened[1];
    } else {
      if (!exists) {
        if (Files.exists(realPath)) {
          throw new IOException(
              key + " was not created through the power-loss file system (the code escaped it)");
        }
        throw new NoSuchFileException(key.toString());
      }
      delegate = real.newFileChannel(realPath, options, attrs);
      inode = fs.file(key);
    }
    PlChannel channel = new PlChannel(fs, delegate, realPath, inode);
    fs.opened(channel);
    return channel;
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(
      Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
    fs.checkPower();
    DirectoryStream<Path> stream =
        real.newDirectoryStream(unwrap(dir), p -> filter.accept(fs.wrap(p)));
    return new DirectoryStream<>() {
      @Override
      public Iterator<Path> iterator() {
        Iterator<Path> it = stream.iterator();
        return new Iterator<>() {
          @Override
          public boolean hasNext() {
            return it.hasNext();
          }

          @Override
          public Path next() {
            return fs.wrap(it.next());
          }
        };
      }

      @Override
      public void close() throws IOException {
        stream.close();
      }
    };
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    fs.checkPower();
    Path key = changed(dir);
    fs.operation(
        "mkdir " + key,
        () -> {
          real.createDirectory(key, attrs);
          fs.directoryCreated(key);
          return null;
        });
  }

  @Override
  public void delete(Path path) throws IOException {
    fs.checkPower();
    Path key = changed(path);
    if (fs.file(key) == null && !fs.isDirectory(key)) {
      if (Files.exists(key)) {
        throw new IOException(
            key + " was not created through the power-loss file system (the code escaped it)");
      }
      throw new NoSuchFileException(key.toString());
    }
    fs.operation(
        "delete " + key,
        () -> {
          if (fs.isDirectory(key)) {
            real.delete(key);
            fs.deleted(key);
          } else {
            fs.deleted(key); // keeps the content first, for a torn restart
            real.delete(key);
          }
          return null;
        });
  }

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    fs.checkPower();
    Path from = fs.key(unwrap(source));
    Path to = changed(target);
    fs.operation(
        "copy " + from + " to " + to,
        () -> {
          fs.replacing(to);
          real.copy(from, to, options);
          fs.created(to);
          return null;
        });
  }

  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    fs.checkPower();
    Path from = changed(source);
    Path to = changed(target);
    if (fs.isDirectory(from)) {
      throw new UnsupportedOperationException(
          "renaming a directory is not modelled by the power-loss file system: " + from);
    }
    if (fs.file(from) == null) {
      throw new NoSuchFileException(from.toString());
    }
    fs.operation(
        "rename " + from + " to " + to,
        () -> {
          fs.replacing(to); // keeps the content of a file replaced, for a torn restart
          real.move(from, to, options);
          fs.moved(from, to);
          return null;
        });
  }

  @Override
  public boolean isSameFile(Path path, Path path2) throws IOException {
    fs.checkPower();
    return real.isSameFile(unwrap(path), unwrap(path2));
  }

  @Override
  public boolean isHidden(Path path) throws IOException {
    return real.isHidden(unwrap(path));
  }

  @Override
  public FileStore getFileStore(Path path) throws IOException {
    return real.getFileStore(unwrap(path));
  }

  @Override
  public void checkAccess(Path path, AccessMode... modes) throws IOException {
    fs.checkPower();
    real.checkAccess(unwrap(path), modes);
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(
      Path path, Class<V> type, LinkOption... options) {
    return real.getFileAttributeView(unwrap(path), type, options);
  }

  @Override
  public <A extends BasicFileAttributes> A readAttributes(
      Path path, Class<A> type, LinkOption... options) throws IOException {
    fs.checkPower();
    return real.readAttributes(unwrap(path), type, options);
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
      throws IOException {
    fs.checkPower();
    return real.readAttributes(unwrap(path), attributes, options);
  }

  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options)
      throws IOException {
    fs.checkPower();
    real.setAttribute(unwrap(path), attribute, value, options);
  }
}
