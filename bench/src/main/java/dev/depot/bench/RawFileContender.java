package dev.depot.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The floor any file-backed queue pays: one file of {@code [4-byte length][item bytes]} records,
 * written through a 256 KiB direct buffer with {@code FileChannel.write} whenever it fills, and
 * read back with big positional reads into a direct buffer of the same size. No checksums, no ids,
 * no segments, no recovery.
 */
final class RawFileContender implements QueueContender {
  static final int BUFFER_BYTES = 256 << 10;

  @Override
  public String name() {
    return "raw";
  }

  @Override
  public Trial open(Path directory) throws IOException {
    return new RawTrial(directory.resolve("items.log"));
  }

  private static final class RawTrial implements Trial {
    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buf =
        ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);

    RawTrial(Path file) throws IOException {
      this.file = file;
      this.channel =
          FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    @Override
    public void append(ItemPool items) throws IOException {
      long n = items.count();
      for (long i = 0; i < n; i++) {
        put(items.item(i));
      }
      flush();
    }

    @Override
    public void appendDurably(ItemPool items, int batch) throws IOException {
      long n = items.count();
      for (long i = 0; i < n; i++) {
        put(items.item(i));
        if ((i + 1) % batch == 0) {
          flush();
          channel.force(false);
        }
      }
      flush();
      channel.force(false);
    }

    private void put(byte[] item) throws IOException {
      if (4 + item.length > buf.remaining()) {
        flush();
        if (4 + item.length > buf.capacity()) {
          buf.putInt(item.length);
          flush();
          writeFully(ByteBuffer.wrap(item));
          return;
        }
      }
      buf.putInt(item.length);
      buf.put(item);
    }

    private void flush() throws IOException {
      buf.flip();
      writeFully(buf);
      buf.clear();
    }

    private void writeFully(ByteBuffer src) throws IOException {
      while (src.hasRemaining()) {
        channel.write(src);
      }
    }

    @Override
    public ReadResult readAll(byte[] scratch) throws IOException {
      long count = 0;
      long checksum = 0;
      ByteBuffer in = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      try (FileChannel reader = FileChannel.open(file, StandardOpenOption.READ)) {
        long filePos = 0;
        while (true) {
          int read = reader.read(in, filePos);
          if (read <= 0) {
            break;
          }
          filePos += read;
          int end = in.position();
          int at = 0;
          while (end - at >= 4) {
            int length = in.getInt(at);
            if (4 + length > in.capacity()) {
              throw new IllegalStateException("item of " + length + " bytes, larger than a read");
            }
            if (end - at - 4 < length) {
              break;
            }
            in.get(at + 4, scratch, 0, length);
            checksum += ItemPool.touch(scratch, length);
            count++;
            at += 4 + length;
          }
          in.limit(end).position(at);
          in.compact();
        }
      }
      return new ReadResult(count, checksum);
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
