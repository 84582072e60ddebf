package dev.depot.connect;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Connector and task settings of the unit tests. */
final class DepotProps {
  private DepotProps() {}

  /**
   * {@code depot.path} set to {@code depot}, then the settings {@code keysAndValues} names in pairs
   * (a later pair wins); a new map the caller may change.
   */
  static Map<String, String> of(Path depot, String... keysAndValues) {
    Map<String, String> props = new HashMap<>();
    props.put("depot.path", depot.toString());
    for (int i = 0; i < keysAndValues.length; i += 2) {
      props.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return props;
  }
}
