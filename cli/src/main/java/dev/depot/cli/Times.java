package dev.depot.cli;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Times on the command line: an ISO-8601 instant or offset date-time, or epoch milliseconds. */
final class Times {
  private Times() {}

  /**
   * Parses {@code 2026-11-30T12:00:00Z}, {@code 2026-11-30T13:00:00+01:00} or {@code 1764504000000}
   * into milliseconds since the epoch.
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  static long parse(String text) {
    String s = text.trim();
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException notMillis) {
      // an ISO-8601 time, then
    }
    try {
      return Instant.parse(s).toEpochMilli();
    } catch (DateTimeParseException notInstant) {
      // perhaps with an offset
    }
    try {
      return OffsetDateTime.parse(s).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not a time: use an ISO-8601 time like 2026-11-30T12:00:00Z or"
              + " 2026-11-30T13:00:00+01:00, or milliseconds since the epoch");
    }
  }

  /** Picocli converter for time options. */
  static final class Converter extends LongOptionConverter {
    @Override
    long parse(String value) {
      return Times.parse(value);
    }
  }
}
