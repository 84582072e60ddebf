package dev.depot.connect.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.connect.errors.ConnectException;

/**
 * The queues the depot sink keeps under a {@code depot.path}: {@code <topic>/<partition>/} with a
 * {@code depot.format} file (written before the queue's first segment, so a directory without it is
 * a queue still being created and is left for the next scan).
 */
public final class SourceQueues {
  private SourceQueues() {}

  /**
   * One queue: the topic and partition it stores.
   *
   * @param topic the stored topic
   * @param partition the stored partition
   */
  public record QueueRef(String topic, int partition) implements Comparable<QueueRef> {
    private static final Comparator<QueueRef> ORDER =
        Comparator.comparing(QueueRef::topic).thenComparingInt(QueueRef::partition);

    /** The queue's directory under {@code root}. */
    public Path directory(Path root) {
      return root.resolve(topic).resolve(Integer.toString(partition));
    }

    /** {@code topic/partition}, as task configs and {@code replay.start.offsets} keys name it. */
    @Override
    public String toString() {
      return topic + "/" + partition;
    }

    /** The inverse of {@link #toString()}. */
    public static QueueRef parse(String text) {
      int slash = text.lastIndexOf('/');
      if (slash <= 0) {
        throw new IllegalArgumentException("not a queue name <topic>/<partition>: " + text);
      }
      return new QueueRef(text.substring(0, slash), Integer.parseInt(text.substring(slash + 1)));
    }

    @Override
    public int compareTo(QueueRef other) {
      return ORDER.compare(this, other);
    }
  }

  /**
   * Checks that {@code root} is a readable directory.
   *
   * @throws ConnectException naming the path and the setting when it is not
   */
  public static void checkRoot(Path root, String setting) {
    if (!Files.isDirectory(root)) {
      throw new ConnectException(
          setting
              + "="
              + root
              + (Files.exists(root) ? " is not a directory" : " does not exist")
              + ": set "
              + setting
              + " to the directory the depot sink writes (the sink's depot.path)");
    }
    if (!Files.isReadable(root) || !Files.isExecutable(root)) {
      throw new ConnectException(
          setting
              + "="
              + root
              + " is not readable by this worker (user "
              + System.getProperty("user.name")
              + "): grant it read and execute permission, or set "
              + setting
              + " to another directory");
    }
  }

  /**
   * The queues under {@code root}, sorted by topic and partition; only those of {@code topics} when
   * it is not empty.
   */
  public static List<QueueRef> list(Path root, Collection<String> topics, String setting) {
    checkRoot(root, setting);
    List<QueueRef> out = new ArrayList<>();
    try (Stream<Path> topicDirs = Files.list(root)) {
      for (Path topicDir : (Iterable<Path>) topicDirs::iterator) {
        String topic = topicDir.getFileName().toString();
        if (!Files.isDirectory(topicDir)
            || topic.startsWith(".")
            || (!topics.isEmpty() && !topics.contains(topic))) {
          continue;
        }
        try (Stream<Path> partitionDirs = Files.list(topicDir)) {
          for (Path dir : (Iterable<Path>) partitionDirs::iterator) {
            String name = dir.getFileName().toString();
            if (name.matches("\\d{1,9}")
                && Files.isRegularFile(dir.resolve(PartitionWriter.FORMAT_FILE))) {
              out.add(new QueueRef(topic, Integer.parseInt(name)));
            }
          }
        }
      }
    } catch (IOException e) {
      throw new ConnectException(
          "cannot list the queues under " + setting + "=" + root + ": " + e, e);
    }
    out.sort(null);
    return out;
  }
}
