package dev.depot.streams;

/** What the dedup processor does with a record whose time key cannot be extracted. */
public enum BadRecordHandling {
  /** Fail the stream thread with a {@code StreamsException} naming topic, partition and offset. */
  FAIL,

  /**
   * Drop the record, log it at warning level, and count it in {@code bad-records-skipped-total}.
   */
  SKIP
}
