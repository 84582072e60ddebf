package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;

/** The sample configs of {@code config/} as the sample config tests read them. */
final class SampleConfigFiles {
  /** The {@code config/} directory; {@code -Ddepot.config.dir} moves it. */
  static final Path DIR = Path.of(System.getProperty("depot.config.dir", "../config"));

  private SampleConfigFiles() {}

  /** The properties file {@code name} of {@link #DIR} as a map. */
  static Map<String, String> properties(String name) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(DIR.resolve(name))) {
      p.load(in);
    }
    Map<String, String> map = new HashMap<>();
    p.stringPropertyNames().forEach(k -> map.put(k, p.getProperty(k)));
    return map;
  }

  /** Asserts that a connector's {@code validate()} found no error in any setting. */
  static void assertNoErrors(Config result) {
    for (ConfigValue value : result.configValues()) {
      assertThat(value.errorMessages()).as(value.name() + "=" + value.value()).isEmpty();
    }
  }
}
