package dev.depot.testing;

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

/**
 * A configuration reference generated from a {@link ConfigDef}: a Markdown page per component and a
 * short table in the README between two markers. Tests compare the committed files with what is
 * generated and fail when they are stale; with {@code -Ddepot.docs.update=true} they rewrite them.
 */
public final class ConfigReference {
  private final ConfigDef def;
  private final String regenerate;

  /**
   * @param regenerate the command that regenerates the files, named in failure messages
   */
  public ConfigReference(ConfigDef def, String regenerate) {
    this.def = def;
    this.regenerate = regenerate;
  }

  /** The reference page: a title, an introduction, then each group's keys in order. */
  public String markdown(String title, String source, String intro) {
    StringBuilder out = new StringBuilder();
    out.append("# ").append(title).append("\n\n");
    out.append("Generated from `")
        .append(source)
        .append("`; do not edit by hand. Regenerate with\n");
    out.append("`").append(regenerate).append("`.\n\n");
    out.append(intro);
    for (Map.Entry<String, List<ConfigKey>> group : groups().entrySet()) {
      out.append("\n## ").append(group.getKey()).append('\n');
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

  /** The README's table: one row per key, its first sentence, type, default and valid values. */
  public String readmeTable() {
    StringBuilder out = new StringBuilder();
    out.append("| key | what it sets | type | default | valid values |\n");
    out.append("|---|---|---|---|---|\n");
    for (List<ConfigKey> keys : groups().values()) {
      for (ConfigKey key : keys) {
        String doc = key.documentation;
        int end = doc.indexOf(". ");
        String first = (end < 0 ? doc : doc.substring(0, end + 1)).replace("|", "\\|");
        out.append("| `")
            .append(key.name)
            .append("` | ")
            .append(first)
            .append(" | ")
            .append(key.type.toString().toLowerCase(Locale.ROOT))
            .append(" | ")
            .append(defaultValue(key))
            .append(" | ")
            .append(key.validator == null ? "" : key.validator.toString().replace("|", "\\|"))
            .append(" |\n");
      }
    }
    return out.toString();
  }

  /** Asserts that {@code file} holds {@code generated} (rewriting it first when asked to). */
  public void assertFile(Path file, String generated) throws IOException {
    if (Boolean.getBoolean("depot.docs.update")) {
      Files.writeString(file, generated, StandardCharsets.UTF_8);
    }
    assertThat(Files.exists(file)).as("%s is missing; run: %s", file, regenerate).isTrue();
    assertThat(Files.readString(file, StandardCharsets.UTF_8))
        .as("%s is stale; run: %s", file.normalize(), regenerate)
        .isEqualTo(generated);
  }

  /** Asserts that {@code file} holds {@code generated} between the two marker lines. */
  public void assertSection(Path file, String start, String end, String generated)
      throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    int from = text.indexOf(start);
    int to = text.indexOf(end);
    assertThat(from).as("%s lacks %s", file, start).isNotNegative();
    assertThat(to).as("%s lacks %s", file, end).isGreaterThan(from);
    String section = "\n" + generated;
    if (Boolean.getBoolean("depot.docs.update")) {
      text = text.substring(0, from + start.length()) + section + text.substring(to);
      Files.writeString(file, text, StandardCharsets.UTF_8);
      to = text.indexOf(end);
    }
    assertThat(text.substring(from + start.length(), to))
        .as("the table in %s is stale; run: %s", file.normalize(), regenerate)
        .isEqualTo(section);
  }

  /** Asserts that every key has documentation, a group and a display name. */
  public void assertDocumented() {
    for (ConfigKey key : def.configKeys().values()) {
      assertThat(key.documentation).as(key.name).isNotBlank();
      assertThat(key.group).as(key.name).isNotBlank();
      assertThat(key.displayName).as(key.name).isNotBlank();
    }
  }

  private Map<String, List<ConfigKey>> groups() {
    Map<String, List<ConfigKey>> groups = new LinkedHashMap<>();
    for (String group : def.groups()) {
      groups.put(group, new ArrayList<>());
    }
    for (ConfigKey key : def.configKeys().values()) {
      groups.computeIfAbsent(key.group, g -> new ArrayList<>()).add(key);
    }
    for (List<ConfigKey> keys : groups.values()) {
      keys.sort(Comparator.comparingInt(k -> k.orderInGroup));
    }
    return groups;
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
}
