package dev.depot.store.internal;

/** File names made of a zero-padded number and a suffix, so that {@code ls} sorts them. */
public final class FileNames {
  private FileNames() {}

  /** {@code number} zero-padded to {@code digits}, then {@code suffix}. */
  public static String of(long number, int digits, String suffix) {
    return String.format("%0" + digits + "d%s", number, suffix);
  }

  /**
   * The number in a name made by {@link #of}, or -1 when the name is not exactly {@code digits}
   * decimal digits followed by {@code suffix} (or the number overflows a long).
   */
  public static long parse(String name, int digits, String suffix) {
    if (name.length() != digits + suffix.length() || !name.endsWith(suffix)) {
      return -1;
    }
    long value = 0;
    for (int i = 0; i < digits; i++) {
      char c = name.charAt(i);
      if (c < '0' || c > '9' || value > (Long.MAX_VALUE - (c - '0')) / 10) {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }
}
