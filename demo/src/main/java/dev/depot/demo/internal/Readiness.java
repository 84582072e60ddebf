package dev.depot.demo.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Waits until each part of the pipeline is ready to use, for up to {@link #START_TIMEOUT} each: the
 * broker answers (and then holds the pipeline's topics), the registry answers, the sink and its
 * tasks run. A part that exits while it is awaited fails the quickstart at once, through the {@link
 * Supervisor}; so does a sink task that fails.
 */
public final class Readiness {
  /** How long a part may take to come up. */
  public static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  private final Supervisor supervisor;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();

  public Readiness(Supervisor supervisor) {
    this.supervisor = supervisor;
  }

  /** Waits until the broker at {@code bootstrap} describes its cluster. */
  public void awaitBroker(ChildProcess broker, String bootstrap) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      while (true) {
        supervisor.requireAlive(broker);
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          return;
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw new QuickstartException(
                "the broker did not come up in "
                    + START_TIMEOUT.toSeconds()
                    + " s; its log: "
                    + broker.log());
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
      }
    }
  }

  /** Creates the topics (two partitions each) unless they exist. */
  public void createTopics(String bootstrap, List<String> topics) {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      for (String topic : topics) {
        try {
          admin
              .createTopics(List.of(new NewTopic(topic, 2, (short) 1)))
              .all()
              .get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new QuickstartException("cannot create topic " + topic + ": " + e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QuickstartException("interrupted");
    } catch (TimeoutException e) {
      throw new QuickstartException("creating the topics timed out");
    }
  }

  /** Waits until {@code url} answers 200. */
  public void awaitHttp(ChildProcess child, String url) {
    pollHttp(child, url, "the " + child.name() + " to answer " + url, r -> r.statusCode() == 200);
  }

  /**
   * Waits until the connector and all its tasks are RUNNING, through the worker's REST API at
   * {@code connectUrl}.
   */
  public void awaitConnector(ChildProcess connect, String connectUrl, String connector) {
    String url = connectUrl + "/connectors/" + connector + "/status";
    pollHttp(
        connect,
        url,
        "the depot sink to start",
        response -> {
          if (response.statusCode() != 200) {
            return false;
          }
          JsonNode status = json.readTree(response.body());
          boolean tasksRunning = status.path("tasks").size() > 0;
          for (JsonNode task : status.path("tasks")) {
            if (task.path("state").asText().equals("FAILED")) {
              throw new QuickstartException(
                  "the depot sink's task "
                      + task.path("id")
                      + " failed: "
                      + task.path("trace").asText().lines().findFirst().orElse("")
                      + "; log: "
                      + connect.log());
            }
            tasksRunning &= task.path("state").asText().equals("RUNNING");
          }
          String state = status.path("connector").path("state").asText();
          if (state.equals("FAILED")) {
            throw new QuickstartException(
                "the depot sink failed: " + response.body() + "; log: " + connect.log());
          }
          return state.equals("RUNNING") && tasksRunning;
        });
  }

  /** Decides from an answer whether the wait is over; may throw to fail the quickstart. */
  private interface HttpCheck {
    boolean done(HttpResponse<String> response) throws IOException;
  }

  /**
   * Asks {@code url} every 250 ms until {@code check} says done, while {@code child} is alive, for
   * up to {@link #START_TIMEOUT}. Connection errors and unparsable answers mean "not yet".
   */
  private void pollHttp(ChildProcess child, String url, String waitingFor, HttpCheck check) {
    URI uri = URI.create(url);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String last = "no answer";
    while (true) {
      supervisor.requireAlive(child);
      try {
        HttpResponse<String> response =
            http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        last = response.statusCode() + " " + response.body();
        if (check.done(response)) {
          return;
        }
      } catch (IOException e) {
        // not listening yet, or not a full answer yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QuickstartException("interrupted");
      }
      if (System.nanoTime() > deadline) {
        throw new QuickstartException(
            "gave up waiting for "
                + waitingFor
                + " after "
                + START_TIMEOUT.toSeconds()
                + " s (last answer: "
                + last
                + "); log: "
                + child.log());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
    }
  }
}
