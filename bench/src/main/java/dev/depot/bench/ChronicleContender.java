package dev.depot.bench;

import java.nio.file.Path;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Chronicle Queue, {@code ChronicleQueue.singleBuilder(dir)} with default settings. Each item is
 * one document: written with {@code writingDocument()} straight into the mapped file, read with
 * {@code readingDocument()} and copied out of the document's bytes. That is faster than {@code
 * appender.writeBytes(BytesStore.wrap(item))} / {@code tailer.readBytes(Bytes)}, which we measured
 * at the same speed for 50 B appends and about half the speed for reads and 1 KiB appends.
 */
final class ChronicleContender implements QueueContender {
  @Override
  public String name() {
    return "chronicle";
  }

  @Override
  public Trial open(Path directory) {
    return new ChronicleTrial(ChronicleQueue.singleBuilder(directory).build());
  }

  private static final class ChronicleTrial implements Trial {
    private final ChronicleQueue queue;
    private final ExcerptAppender appender;

    ChronicleTrial(ChronicleQueue queue) {
      this.queue = queue;
      this.appender = queue.createAppender();
    }

    @Override
    public void append(ItemPool items) {
      long n = items.count();
      for (long i = 0; i < n; i++) {
        try (DocumentContext dc = appender.writingDocument()) {
          dc.wire().bytes().write(items.item(i));
        }
      }
    }

    @Override
    public void appendDurably(ItemPool items, int batch) {
      throw new UnsupportedOperationException("the bench runs no durable workload on Chronicle");
    }

    @Override
    public ReadResult readAll(byte[] scratch) {
      long count = 0;
      long checksum = 0;
      try (ExcerptTailer tailer = queue.createTailer()) {
        while (true) {
          try (DocumentContext dc = tailer.readingDocument()) {
            if (!dc.isPresent()) {
              break;
            }
            Bytes<?> bytes = dc.wire().bytes();
            int length = (int) bytes.readRemaining();
            bytes.read(scratch, 0, length);
            checksum += ItemPool.touch(scratch, length);
            count++;
          }
        }
      }
      return new ReadResult(count, checksum);
    }

    @Override
    public void close() {
      appender.close();
      queue.close();
    }
  }
}
