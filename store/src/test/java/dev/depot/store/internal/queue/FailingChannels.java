package dev.depot.store.internal.queue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Segment channels that behave like a disk that fills up: writes succeed until a byte budget is
 * spent, the write that crosses it stores what fits and then fails with "No space left on device".
 * {@link #failForce} makes fsync fail, {@link #failClose} makes closing fail (after closing),
 * {@link #failIndexes} makes index files fail to be created, as on a full disk.
 */
final class FailingChannels implements SegmentChannels {
  final AtomicLong budget;
  final AtomicBoolean failForce = new AtomicBoolean();
  final AtomicBoolean failClose = new AtomicBoolean();
  final AtomicBoolean failIndexes = new AtomicBoolean();

  FailingChannels(long budget) {
    this.budget = new AtomicLong(budget);
  }

  @Override
  public FileChannel open(Path file, OpenOption... options) throws IOException {
    if (failIndexes.get() && file.getFileName().toString().endsWith(".idx.tmp")) {
      throw new IOException("No space left on device");
    }
    return new Channel(FileChannel.open(file, options));
  }

  private final class Channel extends FileChannel {
    private final FileChannel delegate;

    Channel(FileChannel delegate) {
      this.delegate = delegate;
    }

    private int limited(ByteBuffer src, IoCall call) throws IOException {
      long left = budget.get();
      if (left <= 0) {
        throw new IOException("No space left on device");
      }
      if (src.remaining() <= left) {
        int n = call.write(src);
        budget.addAndGet(-n);
        return n;
      }
      ByteBuffer part = src.duplicate();
      part.limit(part.position() + (int) left);
      int n = call.write(part);
      budget.addAndGet(-n);
      src.position(src.position() + n);
      throw new IOException("No space left on device");
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      return limited(src, b -> delegate.write(b, position));
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return limited(src, delegate::write);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      long total = 0;
      for (int i = offset; i < offset + length; i++) {
        total += write(srcs[i]);
      }
      return total;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      if (failForce.get()) {
        throw new IOException("Input/output error");
      }
      delegate.force(metaData);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      return delegate.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      return delegate.read(dst, position);
    }

    @Override
    public long position() throws IOException {
      return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      delegate.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return delegate.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      delegate.truncate(size);
      return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target)
        throws IOException {
      throw new UnsupportedOperationException();
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count)
        throws IOException {
      throw new UnsupportedOperationException();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      throw new UnsupportedOperationException();
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      throw new UnsupportedOperationException();
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      throw new UnsupportedOperationException();
    }

    @Override
    protected void implCloseChannel() throws IOException {
      delegate.close();
      if (failClose.get()) {
        throw new IOException("Input/output error");
      }
    }
  }

  @FunctionalInterface
  private interface IoCall {
    int write(ByteBuffer buffer) throws IOException;
  }
}
