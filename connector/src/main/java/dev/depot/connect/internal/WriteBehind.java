package dev.depot.connect.internal;

import dev.depot.store.DepotException;
import dev.depot.store.queue.DepotQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Syncs busy queues in the background while the task goes on appending, with {@code
 * depot.sync.policy=commit}: the fsync before an offset commit then finds little left to write,
 * instead of every byte appended since the last commit (tens of MB at 200 ms commits), and the task
 * does not stall on the disk for it. It changes nothing about what is committed: a commit still
 * waits for its own sync, and offsets are committed only up to what a finished sync covered.
 *
 * <p>One daemon thread per task; at most one background sync per queue queued or running. A
 * background sync that fails leaves the queue failed, so the task's next append or sync fails with
 * the error. Thread-safe.
 */
public final class WriteBehind implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WriteBehind.class);

  /** Appended bytes after which a queue is synced in the background. */
  static final long BYTES = 16L << 20;

  private final ExecutorService executor;

  /** A write-behind thread named after {@code owner}. */
  public WriteBehind(String owner) {
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "depot-write-behind-" + owner);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Syncs {@code queue} in the background unless a sync of it is already queued or running ({@code
   * pending} true); clears {@code pending} when done.
   */
  void sync(DepotQueue queue, AtomicBoolean pending) {
    if (!pending.compareAndSet(false, true)) {
      return;
    }
    try {
      executor.execute(
          () -> {
            try {
              queue.sync();
            } catch (IllegalStateException e) {
              // closed meanwhile: its close synced
            } catch (DepotException e) {
              LOG.warn("background sync of {} failed: {}", queue.directory(), e.getMessage());
            } finally {
              pending.set(false);
            }
          });
    } catch (RejectedExecutionException e) {
      pending.set(false); // the task is stopping; commits sync for themselves
    }
  }

  /** Stops the thread after the syncs already queued (each queue's close syncs it anyway). */
  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
