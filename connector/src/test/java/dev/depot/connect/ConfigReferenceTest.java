package dev.depot.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.ConfigKey;
import org.junit.jupiter.api.Test;

/**
 * Generates {@code docs/connector-config.md} from {@link DepotSinkConfig#CONFIG_DEF} and fails when
 * the committed file differs. Regenerate with {@code -Ddepot.docs.update=true}.
 */
class ConfigReferenceTest {
  static final Path FILE = Path.of("..", "docs", "connector-config.md");
  static final String REGENERATE =
      "mvn -B -pl connector -am test -Dtest=ConfigReferenceTest -Ddepot.docs.update=true"
          + " -Dsurefire.failIfNoSpecifiedTests=false";

  static String markdown() {
    StringBuilder out = new StringBuilder();
    out.append("# Depot sink connector configuration\n\n");
    out.append(
        "Generated from `DepotSinkConfig.CONFIG_DEF`; do not edit by hand. Regenerate with\n");
    out.append("`").append(REGENERATE).append("`.\n\n");
    out.append(
        "The worker's own sink settings (`topics`, `topics.regex`, `tasks.max`, `key.converter`,\n"
            + "`value.converter`, `header.converter`, `errors.tolerance`,\n"
            + "`errors.deadletterqueue.*`, `errors.log.*`, ...) apply as for any sink connector;\n"
            + "see the Kafka Connect documentation.\n");
    Map<String, List<ConfigKey>> groups = new LinkedHashMap<>();
    for (String group : DepotSinkConfig.CONFIG_DEF.groups()) {
      groups.put(group, new ArrayList<>());
    }
    for (ConfigKey key : DepotSinkConfig.CONFIG_DEF.configKeys().values()) {
      groups.computeIfAbsent(key.group, g -> new ArrayList<>()).add(key);
    }
    for (Map.Entry<String, List<ConfigKey>> group : groups.entrySet()) {
      out.append("\n## ").append(group.getKey()).append('\n');
      group.getValue().sort(Comparator.comparingInt(k -> k.orderInGroup));
      for (ConfigKey key : group.getValue()) {
        out.append("\n### `").append(key.name).append("`\n\n");
        out.append(key.documentation).append("\n\n");
        out.append("* Type: ").append(key.type.toString().toLowerCase(Locale.ROOT)).append('\n');
        out.append("* Default: ").append(defaultValue(key)).append('\n');
        if (key.validator != null) {
          out.append("* Valid values: ").append(key.validator).append('\n');
        }
        out.append("* Importance: ")
            .append(key.importance.toString().toLowerCase(Locale.ROOT))
            .append('\n');
      }
    }
    return out.toString();
  }

  private static String defaultValue(ConfigKey key) {
    if (!key.hasDefault()) {
      return "none (required)";
    }
    Object value = key.defaultValue;
    if (value instanceof Class<?> c) {
      return "`" + c.getName() + "`";
    }
    return "`" + ConfigDef.convertToString(value, key.type) + "`";
  }

  @Test
  void theCommittedReferenceMatchesTheConfigDef() throws IOException {
    String generated = markdown();
    if (Boolean.getBoolean("depot.docs.update")) {
      Files.writeString(FILE, generated, StandardCharsets.UTF_8);
    }
    assertThat(Files.exists(FILE)).as("%s is missing; run: %s", FILE, REGENERATE).isTrue();
    assertThat(Files.readString(FILE, StandardCharsets.UTF_8))
        .as("%s is stale; run: %s", FILE.normalize(), REGENERATE)
        .isEqualTo(generated);
  }

  @Test
  void everyKeyIsDocumentedAndGrouped() {
    for (ConfigKey key : DepotSinkConfig.CONFIG_DEF.configKeys().values()) {
      assertThat(key.documentation).as(key.name).isNotBlank();
      assertThat(key.group).as(key.name).isNotBlank();
      assertThat(key.displayName).as(key.name).isNotBlank();
    }
  }
}
