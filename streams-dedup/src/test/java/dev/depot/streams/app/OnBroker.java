package dev.depot.streams.app;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A test class's own broker (one per class, started before its tests and closed after). */
abstract class OnBroker {
  static final Path LOGS = Path.of("target", "it-logs");
  static DedupCluster cluster;

  @BeforeAll
  static void startBroker() throws Exception {
    cluster = DedupCluster.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (cluster != null) {
      cluster.close();
      cluster = null;
    }
  }

  /** Every n-th upload of the list, again: what devices send when they miss an acknowledgement. */
  static List<DedupCluster.Batch> everyNth(List<DedupCluster.Batch> batches, int n) {
    List<DedupCluster.Batch> out = new ArrayList<>();
    for (int i = 0; i < batches.size(); i += n) {
      out.add(batches.get(i));
    }
    return out;
  }
}
