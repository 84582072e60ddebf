package dev.depot.connect;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the sink task unit tests share: a depot directory, and the tasks a test started (in {@link
 * #started}), stopped after the test unless it cleared them after stopping them itself.
 */
abstract class SinkTaskTestBase {
  @TempDir Path dir;
  final List<DepotSinkTask> started = new ArrayList<>();

  @AfterEach
  void stopTasks() {
    for (DepotSinkTask task : started) {
      task.stop();
    }
  }

  /** Task settings on {@link #dir}, with {@code keysAndValues} in pairs. */
  Map<String, String> props(String... keysAndValues) {
    return DepotProps.of(dir, keysAndValues);
  }
}
