package dev.depot.store.queue;

import java.nio.ByteBuffer;

/**
 * Writes one item's bytes straight into a queue's write buffer, for {@link DepotQueue#append(int,
 * ItemWriter, long)} and {@link DepotQueue#append(int, ItemWriter, long, long)} (with a timestamp):
 * an item encoded in place costs no copy of its own.
 *
 * <pre>{@code
 * byte[] name = "sensor-7".getBytes(StandardCharsets.UTF_8);
 * long id = queue.append(8 + name.length, target -> {
 *   target.putLong(reading);     // big-endian, whatever the buffer's order was
 *   target.put(name);
 * }, kafkaOffset);
 * }</pre>
 *
 * <p>The writer runs on the appending thread while it holds the queue's write lock: it must be
 * quick, must not block, and must not call the queue.
 */
@FunctionalInterface
public interface ItemWriter {
  /**
   * Writes the item with relative puts: exactly {@code target.remaining()} bytes, the length given
   * to {@code append}, from {@code target}'s position to its limit. {@code target} is big-endian;
   * the writer may change its byte order and must not keep it, nor move its limit. When the writer
   * throws, or writes another number of bytes, nothing of the item is kept.
   */
  void write(ByteBuffer target);
}
