package dev.depot.store.queue;

import java.nio.ByteBuffer;

/**
 * One record read by a {@link DepotCursor}. The object is a view that the cursor reuses: its
 * content is valid until the cursor's next call. Copy what must outlive it with {@link #item()}.
 */
public interface DepotRecord {
  /** What {@link #tag()} returns for a record appended without a tag. */
  long NO_TAG = Long.MIN_VALUE;

  /** What {@link #timestamp()} returns for a record appended without a timestamp. */
  long NO_TIMESTAMP = Long.MIN_VALUE;

  /** The record's id, as {@link DepotQueue#append(byte[])} returned it. */
  long id();

  /**
   * The tag given to {@link DepotQueue#append(byte[], long)}, or {@link #NO_TAG}: a long the
   * application keeps with the item, such as the offset it came from.
   */
  long tag();

  /**
   * The timestamp given to {@link DepotQueue#appendTimed(byte[], long, long)}, in milliseconds
   * since the epoch, or {@link #NO_TIMESTAMP}: for records appended without one, for every record
   * of a version 1 segment (written before timestamps existed), and for partial records. The Kafka
   * Connect sink stores the Kafka record's timestamp here.
   */
  long timestamp();

  /**
   * False for the leftover of a record that a crash left partly written. Its bytes are whatever
   * reached the disk after the frame's first 12 bytes, unverified (for a record appended with a tag
   * they start with the tag's 8 bytes, and then the timestamp's 8 when it had one): do not treat
   * them as an item. Its {@link #tag()} is {@link #NO_TAG} and its {@link #timestamp()} {@link
   * #NO_TIMESTAMP}.
   */
  boolean complete();

  /** The number of item bytes. */
  int length();

  /** A copy of the item bytes. */
  byte[] item();

  /**
   * Copies the item bytes into {@code destination} from {@code offset}, without allocating, and
   * returns how many were copied ({@link #length()}).
   *
   * @throws IndexOutOfBoundsException when the item does not fit
   */
  int copyTo(byte[] destination, int offset);

  /** A read-only view of the item bytes, position 0, valid until the cursor's next call. */
  ByteBuffer buffer();
}
