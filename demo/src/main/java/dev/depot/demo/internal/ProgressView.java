package dev.depot.demo.internal;

import dev.depot.generator.ReadingGenerator;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * What the quickstart shows on stderr while it runs: a {@code ==> } line for each step, and while
 * the pipeline runs a progress bar of the records in the depot against those expected. On a
 * terminal the bar redraws in place every 200 ms; otherwise (a log, a test) it prints a line every
 * 2 s and at the end. Not thread-safe: the main thread uses it.
 */
public final class ProgressView {
  /** How long the counts may stay the same before the quickstart gives up. */
  static final Duration STALL_TIMEOUT = Duration.ofMinutes(3);

  private static final int WIDTH = 30;

  private final PrintStream progress;
  private final boolean terminal;

  /**
   * @param terminal whether {@code progress} is a terminal, where the bar redraws in place
   */
  public ProgressView(PrintStream progress, boolean terminal) {
    this.progress = progress;
    this.terminal = terminal;
  }

  /** Announces a step: {@code ==> what}. */
  public void step(String what) {
    progress.println("==> " + what);
    progress.flush();
  }

  /**
   * Shows progress until the depot holds every record the generator sent to the raw topic and every
   * one the dedup application should forward, and returns the nanos from {@code started} to then.
   * Gives up when the counts stay the same for {@link #STALL_TIMEOUT}, naming {@code logs}, or when
   * the generator fails.
   *
   * @param sent set by the generator's thread when it has sent everything (-1 until then)
   * @param readings the readings the whole run produces ({@code --records})
   * @param records the records the whole run produces to the raw topic
   * @param check run on each turn first: throws a {@link QuickstartException} when a part failed or
   *     the quickstart is stopping
   */
  public long follow(
      ReadingGenerator generator,
      AtomicLong sent,
      DepotWatch watch,
      String rawTopic,
      String uniqueTopic,
      long readings,
      long records,
      Runnable check,
      long started,
      Path logs) {
    long lastChange = System.nanoTime();
    long lastShown = 0;
    long lastTotal = -1;
    while (true) {
      check.run();
      if (generator.failure() != null) {
        throw new QuickstartException("producing failed: " + generator.failure());
      }
      long produced = generator.produced();
      long raw = watch.count(rawTopic);
      long unique = watch.count(uniqueTopic);
      // in records: every upload is new readings only or a whole re-send (dropped whole)
      long expectedUnique = records - generator.duplicateRecords();
      boolean done =
          sent.get() >= 0
              && raw >= generator.producedRecords()
              && unique >= generator.producedRecords() - generator.duplicateRecords();
      long now = System.nanoTime();
      if (raw + unique + produced != lastTotal) {
        lastTotal = raw + unique + produced;
        lastChange = now;
      } else if (now - lastChange > STALL_TIMEOUT.toNanos()) {
        throw new QuickstartException(
            String.format(
                Locale.ROOT,
                "no progress for %d s: produced %,d, depot %s %,d and %s %,d; logs in %s",
                STALL_TIMEOUT.toSeconds(),
                produced,
                rawTopic,
                raw,
                uniqueTopic,
                unique,
                logs));
      }
      if (done || terminal || now - lastShown > TimeUnit.SECONDS.toNanos(2)) {
        lastShown = now;
        String bar = bar(readings, produced, records, raw, unique, expectedUnique, now - started);
        if (terminal) {
          progress.print("\r" + bar);
        } else {
          progress.println(bar);
        }
        progress.flush();
      }
      if (done) {
        if (terminal) {
          progress.println();
        }
        return now - started;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(terminal ? 200 : 250));
    }
  }

  /** One line: the share of the expected records in the depot, and the counts. */
  static String bar(
      long readings,
      long produced,
      long records,
      long raw,
      long unique,
      long expectedUnique,
      long nanos) {
    double share = (raw + unique) / (double) (records + Math.max(expectedUnique, 1));
    int filled = (int) Math.min(WIDTH, Math.round(share * WIDTH));
    return String.format(
        Locale.ROOT,
        "[%s%s] %3d%%  produced %,d/%,d readings  in the depot: raw %,d, unique %,d records"
            + "  %.0f s",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        Math.min(100, Math.round(share * 100)),
        produced,
        readings,
        raw,
        unique,
        nanos / 1e9);
  }
}
