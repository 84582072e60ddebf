package dev.depot.bench;

import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.store.queue.SyncPolicy;
import java.nio.file.Path;

/**
 * The depot queue with {@link SyncPolicy#none()} and default settings, unless the bench is told
 * other buffer sizes. Appends with {@link DepotQueue#append(byte[])}; reads through one cursor from
 * the same queue object, copying each item out with {@link DepotRecord#copyTo(byte[], int)}.
 */
final class DepotContender implements QueueContender {
  private final int writeBufferBytes;
  private final int readBufferBytes;

  /**
   * @param writeBufferBytes the write buffer size, or 0 for the default
   * @param readBufferBytes the cursor read buffer size, or 0 for the default
   */
  DepotContender(int writeBufferBytes, int readBufferBytes) {
    this.writeBufferBytes = writeBufferBytes;
    this.readBufferBytes = readBufferBytes;
  }

  @Override
  public String name() {
    return "depot";
  }

  @Override
  public Trial open(Path directory) {
    DepotQueue.Builder builder = DepotQueue.builder(directory).syncPolicy(SyncPolicy.none());
    if (writeBufferBytes > 0) {
      builder.writeBufferBytes(writeBufferBytes);
    }
    if (readBufferBytes > 0) {
      builder.readBufferBytes(readBufferBytes);
    }
    return new DepotTrial(builder.build());
  }

  private static final class DepotTrial implements Trial {
    private final DepotQueue queue;

    DepotTrial(DepotQueue queue) {
      this.queue = queue;
    }

    @Override
    public void append(ItemPool items) {
      long n = items.count();
      for (long i = 0; i < n; i++) {
        queue.append(items.item(i));
      }
    }

    /** Appends one by one and calls {@code sync()} per batch, as a sink's flush would. */
    @Override
    public void appendDurably(ItemPool items, int batch) {
      long n = items.count();
      for (long i = 0; i < n; i++) {
        queue.append(items.item(i));
        if ((i + 1) % batch == 0) {
          queue.sync();
        }
      }
      queue.sync();
    }

    @Override
    public ReadResult readAll(byte[] scratch) {
      long count = 0;
      long checksum = 0;
      try (DepotCursor cursor = queue.stream()) {
        DepotRecord record;
        while ((record = cursor.next()) != null) {
          if (!record.complete()) {
            throw new IllegalStateException("unexpected partial record " + record);
          }
          int length = record.copyTo(scratch, 0);
          checksum += ItemPool.touch(scratch, length);
          count++;
        }
      }
      return new ReadResult(count, checksum);
    }

    @Override
    public void close() {
      queue.close();
    }
  }
}
