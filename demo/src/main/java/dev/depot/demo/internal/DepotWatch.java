package dev.depot.demo.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.depot.envelope.DepotEnvelope;
import dev.depot.envelope.EnvelopeCodec;
import dev.depot.generator.ReadingGenerator;
import dev.depot.registry.ConfluentWire;
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
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
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

  /**
   * What {@link #verify} found.
   *
   * @param records complete records per topic
   * @param readings readings per topic (one per record in the reading layout)
   * @param partitions partition directories per topic
   * @param recordsRead records read, complete or not
   * @param partial partial records (a torn write)
   * @param problems what is wrong, empty when the depot verified (at most {@link #MAX_PROBLEMS})
   * @param distinctReadings distinct readings of the raw topic
   * @param trimmed records of the deduplicated topic that hold only some of their raw record's
   *     readings (the others were duplicates)
   */
  public record Verification(
      Map<String, Long> records,
      Map<String, Long> readings,
      Map<String, Integer> partitions,
      long recordsRead,
      long partial,
      List<String> problems,
      long distinctReadings,
      long trimmed) {
    /** True when nothing is wrong. */
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /** The most problems {@link #verify} lists; it counts the rest. */
  public static final int MAX_PROBLEMS = 20;

  /**
   * Reads every record of both topics from the start, checking every checksum (the queue does) and
   * decoding every envelope and every reading in it: the raw topic must hold each offset of each
   * partition once, in order. The deduplicated topic must hold, partition by partition and in
   * order, one record for each raw record that holds a reading not seen before, with the same key
   * and exactly those new readings, and nothing else: each distinct reading exactly once, the first
   * time it was sent. (A device's readings share a key, so they share a partition number in both
   * topics.) Uses a time-key set under {@code scratch}.
   *
   * @param schemas the writer schema of each Confluent wire-format schema id, for Avro values; null
   *     for JSON values
   */
  public static Verification verify(
      Path depot,
      String rawTopic,
      String uniqueTopic,
      Function<Integer, Schema> schemas,
      Path scratch) {
    Problems problems = new Problems();
    Map<String, Long> records = new HashMap<>(Map.of(rawTopic, 0L, uniqueTopic, 0L));
    Map<String, Long> readings = new HashMap<>(Map.of(rawTopic, 0L, uniqueTopic, 0L));
    List<Path> rawPartitions = partitions(depot.resolve(rawTopic));
    List<Path> uniquePartitions = partitions(depot.resolve(uniqueTopic));
    long[] read = new long[2]; // records read, partial records
    long trimmed = 0;
    ReadingDecoder decoder = new ReadingDecoder(schemas);
    try (TimeKeyStreamSet seen =
        TimeKeyStreamSet.builder().directory(scratch.resolve("raw-readings")).build()) {
      for (Path rawDir : rawPartitions) {
        int partition = Integer.parseInt(rawDir.getFileName().toString());
        Path uniqueDir = depot.resolve(uniqueTopic).resolve(Integer.toString(partition));
        try (Reader raw = new Reader(rawDir, rawTopic, partition, true, decoder, problems, read);
            Reader unique =
                new Reader(uniqueDir, uniqueTopic, partition, false, decoder, problems, read)) {
          Entry in;
          while ((in = raw.next()) != null) {
            records.merge(rawTopic, 1L, Long::sum);
            readings.merge(rawTopic, (long) in.readings().size(), Long::sum);
            boolean[] isNew = seen.insert(in.readings());
            List<TimeKey> fresh = new ArrayList<>();
            for (int i = 0; i < isNew.length; i++) {
              if (isNew[i]) {
                fresh.add(in.readings().get(i));
              }
            }
            if (fresh.isEmpty()) {
              continue; // every reading repeats: the dedup application drops the record
            }
            Entry out = unique.next();
            if (out == null) {
              problems.add(
                  uniqueTopic
                      + "-"
                      + partition
                      + " ends before the "
                      + fresh.size()
                      + " new readings of "
                      + rawTopic
                      + "-"
                      + partition
                      + " offset "
                      + in.offset());
              continue;
            }
            records.merge(uniqueTopic, 1L, Long::sum);
            readings.merge(uniqueTopic, (long) out.readings().size(), Long::sum);
            if (!out.readings().equals(fresh) || !Arrays.equals(out.key(), in.key())) {
              problems.add(
                  uniqueTopic
                      + "-"
                      + partition
                      + " offset "
                      + out.offset()
                      + " holds "
                      + out.readings().size()
                      + " readings that are not the "
                      + fresh.size()
                      + " new readings of "
                      + rawTopic
                      + "-"
                      + partition
                      + " offset "
                      + in.offset()
                      + " under its key");
            } else if (fresh.size() < in.readings().size()) {
              trimmed++;
            }
          }
          Entry extra;
          long extras = 0;
          while ((extra = unique.next()) != null) {
            records.merge(uniqueTopic, 1L, Long::sum);
            readings.merge(uniqueTopic, (long) extra.readings().size(), Long::sum);
            extras++;
          }
          if (extras > 0) {
            problems.add(
                uniqueTopic
                    + "-"
                    + partition
                    + " holds "
                    + extras
                    + " records beyond the new readings of "
                    + rawTopic
                    + "-"
                    + partition);
          }
        }
      }
      for (Path uniqueDir : uniquePartitions) {
        Path rawDir = depot.resolve(rawTopic).resolve(uniqueDir.getFileName());
        if (!rawPartitions.contains(rawDir)) {
          problems.add(uniqueDir + " has no partition of " + rawTopic + " beside it");
        }
      }
      long distinct = seen.stats().keys();
      if (readings.get(uniqueTopic) != distinct && problems.isEmpty()) {
        problems.add(
            uniqueTopic
                + " holds "
                + readings.get(uniqueTopic)
                + " readings, "
                + rawTopic
                + " "
                + distinct
                + " distinct ones");
      }
      if (read[1] > 0) {
        problems.add(read[1] + " partial records (a torn write)");
      }
      return new Verification(
          records,
          readings,
          Map.of(rawTopic, rawPartitions.size(), uniqueTopic, uniquePartitions.size()),
          read[0],
          read[1],
          problems.list(),
          distinct,
          trimmed);
    }
  }

  /** The first {@link #MAX_PROBLEMS} problems, and how many more there were. */
  private static final class Problems {
    private final List<String> list = new ArrayList<>();
    private long more;

    void add(String problem) {
      if (list.size() < MAX_PROBLEMS) {
        list.add(problem);
      } else {
        more++;
      }
    }

    boolean isEmpty() {
      return list.isEmpty();
    }

    List<String> list() {
      List<String> all = new ArrayList<>(list);
      if (more > 0) {
        all.add(more + " more problems");
      }
      return all;
    }
  }

  /** A complete record of a partition: its offset, key and readings. */
  private record Entry(long offset, byte[] key, List<TimeKey> readings) {}

  /**
   * Reads one partition's queue in order, checking each record's envelope (its topic and partition,
   * its offset following the one before) and decoding its readings; a record that fails is a
   * problem and skipped. A partition that is not there reads as empty.
   */
  private static final class Reader implements AutoCloseable {
    private final Path dir;
    private final String topic;
    private final int partition;
    private final boolean contiguous;
    private final ReadingDecoder decoder;
    private final Problems problems;
    private final long[] read;
    private final DepotQueue queue;
    private final DepotCursor cursor;
    private long lastOffset = -1;

    Reader(
        Path dir,
        String topic,
        int partition,
        boolean contiguous,
        ReadingDecoder decoder,
        Problems problems,
        long[] read) {
      this.dir = dir;
      this.topic = topic;
      this.partition = partition;
      this.contiguous = contiguous;
      this.decoder = decoder;
      this.problems = problems;
      this.read = read;
      DepotQueue opened = null;
      if (Files.isDirectory(dir)) {
        try {
          opened = DepotQueue.builder(dir).readOnly(true).build();
        } catch (DepotException e) {
          problems.add(dir + ": " + e.getMessage());
        }
      }
      this.queue = opened;
      this.cursor = opened == null ? null : opened.stream();
    }

    /** The next complete record that decodes, or null at the end. */
    Entry next() {
      if (cursor == null) {
        return null;
      }
      while (true) {
        DepotRecord record;
        try {
          record = cursor.next();
        } catch (DepotCorruptionException e) {
          problems.add(e.getMessage());
          continue;
        } catch (DepotException e) {
          problems.add(dir + ": " + e.getMessage());
          return null;
        }
        if (record == null) {
          return null;
        }
        read[0]++;
        if (!record.complete()) {
          read[1]++;
          continue;
        }
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
          return new Entry(envelope.offset(), envelope.key(), decoder.readings(envelope.value()));
        } catch (RuntimeException e) {
          problems.add(
              topic + "-" + partition + " offset " + envelope.offset() + ": " + e.getMessage());
        }
      }
    }

    @Override
    public void close() {
      if (cursor != null) {
        cursor.close();
        queue.close();
      }
    }
  }

  /**
   * Decodes the readings of a value: a reading, or a batch record holding an array of readings in
   * its {@value ReadingGenerator#BATCH_FIELD} field. Each reading's {@code ts_us}, {@code user_id}
   * and {@code device_id}, from the reading or, when missing there, from the record around the
   * array. Avro values are in the Confluent wire format and decode with the schema they were
   * written with (looked up by id, once).
   */
  static final class ReadingDecoder {
    private final Function<Integer, Schema> schemas;
    private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new HashMap<>();
    private final ObjectMapper json = new ObjectMapper();
    private BinaryDecoder binary;

    /**
     * @param schemas writer schemas by id for Avro values, null for JSON values
     */
    ReadingDecoder(Function<Integer, Schema> schemas) {
      this.schemas = schemas;
    }

    List<TimeKey> readings(byte[] value) {
      if (value == null) {
        throw new IllegalArgumentException("a null value");
      }
      return schemas != null ? avro(value) : json(value);
    }

    private List<TimeKey> avro(byte[] value) {
      if (!ConfluentWire.hasHeader(value)) {
        throw new IllegalArgumentException("not in the Confluent wire format (magic byte 0)");
      }
      int id = ConfluentWire.schemaId(value);
      GenericDatumReader<GenericRecord> reader =
          readers.computeIfAbsent(id, i -> new GenericDatumReader<>(schemas.apply(i)));
      GenericRecord record;
      try {
        binary =
            DecoderFactory.get()
                .binaryDecoder(
                    value,
                    ConfluentWire.HEADER_BYTES,
                    value.length - ConfluentWire.HEADER_BYTES,
                    binary);
        record = reader.read(null, binary);
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(
            "bad Avro for schema id " + id + ": " + e.getMessage(), e);
      }
      if (record.getSchema().getField(ReadingGenerator.BATCH_FIELD) == null) {
        return List.of(avroKey(record, record));
      }
      List<TimeKey> keys = new ArrayList<>();
      for (Object reading : (Collection<?>) record.get(ReadingGenerator.BATCH_FIELD)) {
        keys.add(avroKey((GenericRecord) reading, record));
      }
      return keys;
    }

    private static TimeKey avroKey(GenericRecord reading, GenericRecord around) {
      return TimeKey.of(
          avroField(reading, around, "ts_us").longValue(),
          avroField(reading, around, "user_id").intValue(),
          avroField(reading, around, "device_id").intValue());
    }

    private static Number avroField(GenericRecord reading, GenericRecord around, String name) {
      GenericRecord holder = reading.hasField(name) ? reading : around;
      Object v = holder.hasField(name) ? holder.get(name) : null;
      if (!(v instanceof Number n)) {
        throw new IllegalArgumentException("a reading without a number in " + name);
      }
      return n;
    }

    private List<TimeKey> json(byte[] value) {
      try {
        JsonNode node = json.readTree(value);
        JsonNode array = node.get(ReadingGenerator.BATCH_FIELD);
        if (array == null) {
          return List.of(jsonKey(node, node));
        }
        if (!array.isArray()) {
          throw new IllegalArgumentException(ReadingGenerator.BATCH_FIELD + " is not an array");
        }
        List<TimeKey> keys = new ArrayList<>(array.size());
        for (JsonNode reading : array) {
          keys.add(jsonKey(reading, node));
        }
        return keys;
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(
            "bad JSON reading ("
                + e.getMessage()
                + "): "
                + new String(value, 0, Math.min(value.length, 80), StandardCharsets.UTF_8),
            e);
      }
    }

    private static TimeKey jsonKey(JsonNode reading, JsonNode around) {
      return TimeKey.of(
          jsonField(reading, around, "ts_us").asLong(),
          jsonField(reading, around, "user_id").asInt(),
          jsonField(reading, around, "device_id").asInt());
    }

    private static JsonNode jsonField(JsonNode reading, JsonNode around, String name) {
      JsonNode v = reading.has(name) ? reading.get(name) : around.get(name);
      if (v == null || !v.isIntegralNumber()) {
        throw new IllegalArgumentException("a reading without a whole number in " + name);
      }
      return v;
    }
  }
}
