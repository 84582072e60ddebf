package dev.depot.cli;

import dev.depot.store.queue.DepotIds;

/** Queue ids on the command line: a decimal long, or {@code segment:position}. */
final class Ids {
  private Ids() {}

  /**
   * Parses {@code 12884901904} or {@code 3:16}.
   *
   * @throws IllegalArgumentException naming the accepted forms
   */
  static long parse(String text) {
    String s = text.trim();
    int colon = s.indexOf(':');
    try {
      if (colon < 0) {
        long id = Long.parseLong(s);
        if (id < 0) {
          throw new IllegalArgumentException("'" + text + "' is negative; ids are >= 0");
        }
        return id;
      }
      int segment = Integer.parseInt(s.substring(0, colon));
      long position = Long.parseLong(s.substring(colon + 1));
      return DepotIds.of(segment, position);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not an id: use a decimal id or segment:position, like 0:16");
    }
  }

  /** -1 stays -1 (no id); anything else prints as {@code segment:position}. */
  static String format(long id) {
    return id < 0 ? "-1" : DepotIds.toString(id);
  }

  /** Picocli converter for id options. */
  static final class Converter extends LongOptionConverter {
    @Override
    long parse(String value) {
      return Ids.parse(value);
    }
  }
}
