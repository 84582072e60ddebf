package dev.depot.bench;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * A Kafka Streams application a bench runs in this process: the first uncaught exception of a
 * stream thread shuts the client down and is kept, for {@link #check}; {@link #close} leaves the
 * group, so that the next application on the broker does not wait for its session to time out.
 *
 * <p>Listeners go on {@link #streams()} before it starts. Not thread-safe, but for {@link
 * #failure()}.
 */
final class BenchStreams implements AutoCloseable {
  private final KafkaStreams streams;
  private final String appId;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final Duration closeTimeout;

  /** The application, not started; {@code onFailure} runs after an uncaught exception is kept. */
  BenchStreams(Topology topology, Properties props, Duration closeTimeout, Runnable onFailure) {
    this.streams = new KafkaStreams(topology, props);
    this.appId = props.getProperty("application.id");
    this.closeTimeout = closeTimeout;
    streams.setUncaughtExceptionHandler(
        e -> {
          failure.set(e);
          onFailure.run();
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
  }

  BenchStreams(Topology topology, Properties props, Duration closeTimeout) {
    this(topology, props, closeTimeout, () -> {});
  }

  KafkaStreams streams() {
    return streams;
  }

  /** The first uncaught exception of a stream thread, or null. */
  Throwable failure() {
    return failure.get();
  }

  /** Throws when the application has failed (an uncaught exception, or the ERROR state). */
  void check() {
    if (failure.get() != null || streams.state() == KafkaStreams.State.ERROR) {
      throw new IllegalStateException(appId + ": the application failed", failure.get());
    }
  }

  /**
   * {@link BenchBroker#awaitCommitted} for this application's group (its {@code application.id}),
   * which also throws when the application fails while it waits.
   */
  long awaitCommitted(
      Admin admin,
      String topic,
      long end,
      Duration interval,
      long deadline,
      BenchBroker.CommitWatch watch)
      throws Exception {
    return BenchBroker.awaitCommitted(
        admin,
        appId,
        topic,
        end,
        interval,
        deadline,
        new BenchBroker.CommitWatch() {
          @Override
          public void committed(long now, long offset) {
            watch.committed(now, offset);
          }

          @Override
          public void waiting(long now, long offset) throws Exception {
            check();
            watch.waiting(now, offset);
          }

          @Override
          public void report(long now, long offset) {
            watch.report(now, offset);
          }
        });
  }

  /** Closes the application, leaving its group; waits up to the close timeout. */
  @Override
  public void close() {
    streams.close(
        CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(closeTimeout));
  }
}
