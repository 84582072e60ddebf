package dev.depot.connect.internal;

import java.util.function.Supplier;
import org.apache.kafka.common.metrics.PluginMetrics;

/** Where a task's metrics go: the worker's plugin metrics (KIP-877), when the worker has them. */
public final class TaskMetrics {
  private TaskMetrics() {}

  /**
   * The task context's plugin metrics, or null on a worker older than KIP-877 (the task then
   * records no metrics). Call as {@code TaskMetrics.plugin(context::pluginMetrics)}.
   */
  public static PluginMetrics plugin(Supplier<PluginMetrics> fromContext) {
    try {
      return fromContext.get();
    } catch (NoSuchMethodError | NoClassDefFoundError | UnsupportedOperationException e) {
      return null; // a worker older than KIP-877
    }
  }
}
