package dev.depot.demo.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.generator.ReadingGenerator;
import dev.depot.store.DepotCorruptionException;
import dev.depot.store.DepotException;
import dev.depot.store.queue.DepotCursor;
import dev.depot.store.queue.DepotQueue;
import dev.depot.store.queue.DepotRecord;
import dev.depot.store.timekey.TimeKey;
import dev.depot.store.timekey.TimeKeyStreamSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;

/**
 * Reads the depot the sink writes, beside it: counts records per topic while the pipeline runs (a
 * read-only {@link DepotQueue} per partition, following it as it grows), and verifies it at the
 * end.
 *
 * <p>Not thread-safe: one thread polls it.
 */
public final class DepotWatch implements AutoCloseable {
  private final Path depot;
  private final Map<Path, Follower> followers = new HashMap<>();

  public DepotWatch(Path depot) {
    this.depot = depot;
  }

  /** Records in the depot for {@code topic} so far, over all its partitions. */
  public long count(String topic) {
    long total = 0;
    for (Path partition : partitions(depot.resolve(topic))) {
      Follower follower = followers.get(partition);
      if (follower == null) {
        follower = Follower.open(partition);
        if (follower == null) {
          continue; // created a moment ago, no segment yet
        }
        followers.put(partition, follower);
      }
      total += follower.advance();
    }
    return total;
  }

  /** Partition directories ({@code <topic>/<n>}) in number order; empty when there is none. */
  public static List<Path> partitions(Path topicDir) {
    if (!Files.isDirectory(topicDir)) {
      return List.of();
    }
    TreeMap<Integer, Path> found = new TreeMap<>();
    try (Stream<Path> children = Files.list(topicDir)) {
      children
          .filter(Files::isDirectory)
          .filter(p -> p.getFileName().toString().matches("\\d+"))
          .forEach(p -> found.put(Integer.parseInt(p.getFileName().toString()), p));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new ArrayList<>(found.values());
  }

  @Override
  public void close() {
    followers.values().forEach(Follower::close);
    followers.clear();
  }

  /** A read-only queue and a cursor at the end of what was counted. */
  private static final class Follower {
    private final DepotQueue queue;
    private final DepotCursor cursor;
    private long count;

    private Follower(DepotQueue queue) {
      this.queue = queue;
      this.cursor = queue.stream();
    }

    static Follower open(Path dir) {
      try {
        return new Follower(DepotQueue.builder(dir).readOnly(true).build());
      } catch (DepotException e) {
        return null;
      }
    }

    long advance() {
      while (true) {
        DepotRecord record;
        try {
          record = cursor.next();
        } catch (DepotCorruptionException e) {
          continue; // verify() reports it
        }
        if (record == null) {
          return count;
        }
        if (record.complete()) {
          count++;
        }
      }
    }

    void close() {
      cursor.close();
      queue.close();
    }
  }

  /** What {@link #verify} found. */
  public record Verification(
      Map<String, Long> records,
      Map<String, Integer> partitions,
      long recordsRead,
      long partial,
      List<String> problems,
      long distinctKeys,
      long outputDuplicates,
      long outputKeysNotInInput) {
    /** True when nothing is wrong. */
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /**
   * Reads every record of both topics from the start, checking every checksum (the queue does) and
   * decoding every envelope and reading: the raw topic must hold each offset of each partition
   * once, in order; the deduplicated topic must hold each of the raw topic's distinct keys exactly
   * once, and no other. Uses two time-key sets under {@code scratch}.
   *
   * @param avro true for Avro readings in the Confluent wire format, false for JSON
   */
  public static Verification verify(
      Path depot, String rawTopic, String uniqueTopic, boolean avro, Path scratch) {
    List<String> problems = new ArrayList<>();
    Map<String, Long> records = new HashMap<>();
    Map<String, Integer> partitionCounts = new HashMap<>();
    long[] read = new long[2]; // records read, partial records
    ReadingDecoder decoder = new ReadingDecoder(avro);
    try (TimeKeyStreamSet input =
            TimeKeyStreamSet.builder().directory(scratch.resolve("input-keys")).build();
        TimeKeyStreamSet output =
            TimeKeyStreamSet.builder().directory(scratch.resolve("output-keys")).build()) {
      scan(
          depot,
          rawTopic,
          true,
          decoder,
          records,
          partitionCounts,
          read,
          problems,
          key -> {
            input.insert(List.of(key));
            return true;
          });
      long[] outputDuplicates = {0};
      long[] notInInput = {0};
      long distinctOut =
          scan(
              depot,
              uniqueTopic,
              false,
              decoder,
              records,
              partitionCounts,
              read,
              problems,
              key -> {
                if (!input.contains(key)) {
                  notInInput[0]++;
                }
                boolean isNew = output.insert(List.of(key))[0];
                if (!isNew) {
                  outputDuplicates[0]++;
                }
                return isNew;
              });
      long inputDistinct = input.stats().keys();
      if (outputDuplicates[0] > 0) {
        problems.add(uniqueTopic + " holds " + outputDuplicates[0] + " repeated keys");
      }
      if (notInInput[0] > 0) {
        problems.add(uniqueTopic + " holds " + notInInput[0] + " keys that " + rawTopic + " lacks");
      }
      if (distinctOut != inputDistinct) {
        problems.add(
            uniqueTopic
                + " holds "
                + distinctOut
                + " distinct keys, "
                + rawTopic
                + " "
                + inputDistinct);
      }
      if (read[1] > 0) {
        problems.add(read[1] + " partial records (a torn write)");
      }
      return new Verification(
          records,
          partitionCounts,
          read[0],
          read[1],
          problems,
          inputDistinct,
          outputDuplicates[0],
          notInInput[0]);
    }
  }

  private interface KeySink {
    boolean accept(TimeKey key);
  }

  private static long scan(
      Path depot,
      String topic,
      boolean contiguous,
      ReadingDecoder decoder,
      Map<String, Long> records,
      Map<String, Integer> partitionCounts,
      long[] read,
      List<String> problems,
      KeySink sink) {
    List<Path> partitions = partitions(depot.resolve(topic));
    partitionCounts.put(topic, partitions.size());
    long complete = 0;
    long accepted = 0;
    for (Path dir : partitions) {
      int partition = Integer.parseInt(dir.getFileName().toString());
      long lastOffset = -1;
      try (DepotQueue queue = DepotQueue.builder(dir).readOnly(true).build();
          DepotCursor cursor = queue.stream()) {
        while (true) {
          DepotRecord record;
          try {
            record = cursor.next();
          } catch (DepotCorruptionException e) {
            problems.add(e.getMessage());
            continue;
          }
          if (record == null) {
            break;
          }
          read[0]++;
          if (!record.complete()) {
            read[1]++;
            continue;
          }
          complete++;
          DepotEnvelope envelope;
          try {
            envelope = EnvelopeCodec.decode(record.item());
          } catch (RuntimeException e) {
            problems.add(dir + " record " + record.id() + " is not an envelope: " + e.getMessage());
            continue;
          }
          if (!envelope.topic().equals(topic) || envelope.partition() != partition) {
            problems.add(
                dir
                    + " holds a record of "
                    + envelope.topic()
                    + "-"
                    + envelope.partition()
                    + " at offset "
                    + envelope.offset());
          }
          long expected = lastOffset + 1;
          if (contiguous ? envelope.offset() != expected : envelope.offset() < expected) {
            problems.add(
                topic
                    + "-"
                    + partition
                    + ": offset "
                    + envelope.offset()
                    + " follows "
                    + lastOffset
                    + (contiguous ? " (a gap or a repeat)" : " (a repeat)"));
          }
          lastOffset = envelope.offset();
          try {
            if (sink.accept(decoder.key(envelope.value()))) {
              accepted++;
            }
          } catch (RuntimeException e) {
            problems.add(
                topic + "-" + partition + " offset " + envelope.offset() + ": " + e.getMessage());
          }
        }
      } catch (DepotException e) {
        problems.add(dir + ": " + e.getMessage());
      }
    }
    records.merge(topic, complete, Long::sum);
    return accepted;
  }

  /** Decodes a reading's time key from its value bytes. */
  static final class ReadingDecoder {
    private final boolean avro;
    private final ObjectMapper json = new ObjectMapper();
    private final GenericDatumReader<GenericRecord> reader =
        new GenericDatumReader<>(ReadingGenerator.SCHEMA);

    ReadingDecoder(boolean avro) {
      this.avro = avro;
    }

    TimeKey key(byte[] value) {
      if (value == null) {
        throw new IllegalArgumentException("a null value");
      }
      if (avro) {
        if (value.length < 5 || value[0] != 0) {
          throw new IllegalArgumentException("not in the Confluent wire format (magic byte 0)");
        }
        try {
          GenericRecord r =
              reader.read(
                  null, DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
          return TimeKey.of(
              (Long) r.get("ts_us"), (Integer) r.get("user_id"), (Integer) r.get("device_id"));
        } catch (IOException e) {
          throw new IllegalArgumentException("bad Avro: " + e.getMessage(), e);
        }
      }
      try {
        JsonNode node = json.readTree(value);
        return TimeKey.of(
            node.get("ts_us").asLong(), node.get("user_id").asInt(), node.get("device_id").asInt());
      } catch (IOException | NullPointerException e) {
        throw new IllegalArgumentException(
            "bad JSON reading: "
                + new String(value, 0, Math.min(value.length, 80), StandardCharsets.UTF_8),
            e);
      }
    }
  }
}
