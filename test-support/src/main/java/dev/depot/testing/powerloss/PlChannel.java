package dev.depot.testing.powerloss;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/**
 * A channel of a {@link PowerLossFileSystem}: reads go to the real file, every write, truncate and
 * force is one counted operation of the file system (which may cut the power before it), and a
 * force makes the content durable in the model: the file's content for a file, its entries for a
 * directory. Locks are the real file's locks.
 */
final class PlChannel extends FileChannel {
  private final PowerLossFileSystem fs;
  private final FileChannel delegate;
  private final Path real;
  private final PowerLossFileSystem.Inode inode; // null for a directory

  PlChannel(
      PowerLossFileSystem fs, FileChannel delegate, Path real, PowerLossFileSystem.Inode inode) {
    this.fs = fs;
    this.delegate = delegate;
    this.real = real;
    this.inode = inode;
  }

  FileChannel delegate() {
    return delegate;
  }

  PowerLossFileSystem.Inode inode() {
    return inode;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    fs.checkPower();
    return delegate.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    fs.checkPower();
    return delegate.read(dsts, offset, length);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    fs.checkPower();
    return delegate.read(dst, position);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return fs.operation("write " + real, () -> delegate.write(src));
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return fs.operation("write " + real, () -> delegate.write(srcs, offset, length));
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    return fs.operation("write " + real, () -> delegate.write(src, position));
  }

  @Override
  public long position() throws IOException {
    fs.checkPower();
    return delegate.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    fs.checkPower();
    delegate.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    fs.checkPower();
    return delegate.size();
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    fs.operation("truncate " + real + " to " + size, () -> delegate.truncate(size));
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    fs.operation(
        "force " + real,
        () -> {
          // no real fsync: the model decides what is durable, and tests stay fast
          if (inode == null) {
            fs.syncDirectory(real);
          } else {
            fs.makeDurable(inode, delegate);
          }
          return null;
        });
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    fs.checkPower();
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
    long done = 0;
    while (done < count) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), count - done));
      int n = delegate.read(buffer, position + done);
      if (n <= 0) {
        break;
      }
      buffer.flip();
      while (buffer.hasRemaining()) {
        target.write(buffer); // a channel of this file system counts its own writes
      }
      done += n;
    }
    return done;
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    return fs.operation(
        "write " + real + " (transfer)", () -> delegate.transferFrom(src, position, count));
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    fs.checkPower();
    if (mode != MapMode.READ_ONLY) {
      throw new UnsupportedOperationException(
          "writable memory maps of "
              + real
              + " are not modelled by the power-loss file system (mode "
              + mode
              + ")");
    }
    return delegate.map(mode, position, size);
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    fs.checkPower();
    return delegate.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    fs.checkPower();
    return delegate.tryLock(position, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    fs.closed(this);
    delegate.close();
  }
}
