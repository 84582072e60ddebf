package dev.depot.streams.app;

import static dev.depot.streams.app.DedupCluster.APP_RUNNING;
import static dev.depot.streams.app.DedupCluster.T0;
import static dev.depot.streams.app.DedupCluster.WAIT;
import static dev.depot.streams.app.DedupCluster.assertEachKeyOnce;
import static dev.depot.streams.app.DedupCluster.await;
import static dev.depot.streams.app.DedupCluster.uploads;
import static org.assertj.core.api.Assertions.assertThat;

import dev.depot.store.timekey.TimeKey;
import dev.depot.streams.app.DedupCluster.Batch;
import dev.depot.streams.app.DedupCluster.Output;
import dev.depot.testing.ChildJvm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dedup application under the settings it ships with ({@code config/streams-dedup.properties}:
 * batch records, {@code exactly_once_v2}, static membership), SIGKILLed mid-work and started again
 * on the state directory the kill left, as a container's restart policy does. How fast it comes
 * back is measured by {@code bench/run dedup-crash}; this test checks that it does, and loses or
 * repeats nothing.
 */
class DedupRestartIT extends OnBroker {

  @TempDir Path stateDir;

  @Test
  void aKilledInstanceRestartedOnItsStateResumesAndForwardsEachReadingOnce() throws Exception {
    String app = "restart-app";
    String in = "restart-readings";
    String out = "restart-unique";
    cluster.createTopics(2, in, out);
    Map<String, String> shipped = cluster.shippedOverrides(app, stateDir.resolve("a"), in, out);
    String instanceId = DedupCluster.sampleConfig(Map.of()).getProperty("group.instance.id");
    assertThat(instanceId).as("the sample's group.instance.id").isNotBlank();
    Properties effective = DedupCluster.sampleConfig(shipped);
    assertThat(effective.getProperty("dedup.record.layout")).isEqualTo("batch");
    assertThat(effective.getProperty("processing.guarantee")).isEqualTo("exactly_once_v2");

    List<Batch> before = uploads(10, 4, 10, 100, T0); // 40 devices x 10 uploads of 100
    List<Batch> after = uploads(10, 4, 5, 100, T0 + 10 * 100 * 100_000L);
    Set<TimeKey> expected = new HashSet<>(DedupCluster.keysOf(before));
    Path log = LOGS.resolve("restart-a.log");

    ChildJvm first = DedupCluster.startApp(shipped, log).awaitLog(APP_RUNNING, WAIT);
    try (Output output = cluster.output(out)) {
      assertThat(staticMembers(app))
          .as("static members of %s", app)
          .allMatch(id -> id.startsWith(instanceId));

      cluster.sendRecords(in, before);
      cluster.sendRecords(in, everyNth(before, 3));
      await(
          "output to reach a fifth of the first uploads",
          () -> output.poll().readings >= expected.size() / 5);
      first.kill();

      // what the killed instance committed; its open transaction is aborted, never read
      await("reading " + out + " to its end after the kill", () -> output.poll().atEnd());
      long atKill = output.records;
      cluster.sendRecords(in, after);
      cluster.sendRecords(in, everyNth(before, 2)); // repeats across the kill
      cluster.sendRecords(in, everyNth(after, 2));
      expected.addAll(DedupCluster.keysOf(after));

      try (ChildJvm again = DedupCluster.startApp(shipped, log)) {
        await("the output to grow again after the restart", () -> output.poll().records > atKill);
        again.awaitLog(APP_RUNNING, WAIT);
        assertThat(staticMembers(app)).allMatch(id -> id.startsWith(instanceId));
        try (Output settled = cluster.settledOutput(app, in, out)) {
          assertEachKeyOnce(settled, expected);
        }
      }
    } finally {
      first.close();
    }
  }

  /** The group.instance.id of each member once the group has one, waiting for it. */
  private static List<String> staticMembers(String app) {
    List<String> ids = new ArrayList<>();
    await(
        app + " to have a member",
        () -> {
          try {
            ConsumerGroupDescription group =
                cluster.admin().describeConsumerGroups(List.of(app)).all().get().get(app);
            ids.clear();
            for (MemberDescription member : group.members()) {
              Optional<String> id = member.groupInstanceId();
              ids.add(id.orElse("<dynamic member " + member.consumerId() + ">"));
            }
            return !ids.isEmpty();
          } catch (InterruptedException | ExecutionException e) {
            return false;
          }
        });
    return ids;
  }
}
