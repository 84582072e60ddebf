package dev.depot.connect;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The connector's version, written into {@code version.properties} by the build. */
public final class Version {
  private static final String VERSION = load();

  private Version() {}

  /** The version, or "unknown" when the build did not fill it in. */
  public static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties props = new Properties();
      props.load(in);
      String version = props.getProperty("version", "unknown").trim();
      return version.isEmpty() || version.startsWith("${") ? "unknown" : version;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
