package dev.depot.bench;

import java.io.IOException;
import java.nio.file.Path;

/** One queue implementation under test. */
interface QueueContender {
  /** The name used in the output, e.g. {@code depot}. */
  String name();

  /** Opens a fresh queue in {@code directory}, which exists and is empty. Not timed. */
  Trial open(Path directory) throws IOException;

  /** One queue instance: appends, then reads, then is closed. */
  interface Trial extends AutoCloseable {
    /** Appends every item of {@code items}, in order, one {@code byte[]} per append. */
    void append(ItemPool items) throws IOException;

    /**
     * Appends every item of {@code items} and makes each batch of {@code batch} items (and the
     * last, shorter one) durable before appending the next.
     */
    void appendDurably(ItemPool items, int batch) throws IOException;

    /**
     * Reads every item from the start, copying each into {@code scratch} (which is large enough)
     * and adding {@link ItemPool#touch} of the copy to the checksum.
     */
    ReadResult readAll(byte[] scratch) throws IOException;

    /** Releases the queue; may sync. Not timed. */
    @Override
    void close() throws IOException;
  }

  /** What a read phase saw. */
  record ReadResult(long items, long checksum) {}
}
