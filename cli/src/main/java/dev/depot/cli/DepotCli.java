package dev.depot.cli;

import dev.depot.store.DepotException;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code depot} command-line tool: looks into a depot queue directory and appends to it.
 *
 * <pre>
 * depot ls DIR                       segment files, sizes, modification times
 * depot cat DIR [--from ID] [--limit N] [--format json|raw] [--encoding auto|utf8|base64]
 *               [--decode auto|envelope|none] [--registry-url URL]
 * depot verify DIR                   checks every record's checksum
 * depot stats DIR                    counts of items, partial and corrupt records, bytes
 * depot append DIR [--segment-bytes N] &lt; lines.txt
 * </pre>
 *
 * <p>Every command but {@code append} opens the queue read-only: it takes no lock and may run
 * beside the writer. Text output is UTF-8 whatever the platform's default charset, errors are one
 * line on standard error starting with {@code depot: }, and the exit code is 0 on success, 1 when
 * the queue is corrupt, locked or cannot be read or written, and 2 for a usage error or a bad path.
 */
@Command(
    name = "depot",
    mixinStandardHelpOptions = true,
    description = "Inspect and append to a depot queue directory.",
    footerHeading = "%nExit codes:%n",
    footer = {
      "  0  success",
      "  1  corrupt data, a locked queue, or an I/O error",
      "  2  usage error or bad path"
    })
public final class DepotCli implements Runnable {
  static final int EXIT_OK = 0;
  static final int EXIT_FAILURE = 1;
  static final int EXIT_USAGE = 2;

  private static final String LOG_FORMAT = "java.util.logging.SimpleFormatter.format";

  @Spec CommandSpec spec;

  DepotCli() {}

  /** Runs the tool with the process's standard streams and exits with its exit code. */
  public static void main(String[] args) {
    // The store logs recovery warnings through java.util.logging: one "depot:" line each, not the
    // default two-line format with a timestamp.
    if (System.getProperty(LOG_FORMAT) == null) {
      System.setProperty(LOG_FORMAT, "depot: %4$s: %5$s%n");
    }
    // FileOutputStream rather than System.out: a PrintStream hides write errors such as a closed
    // pipe, and the tool must notice them to stop reading.
    OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
    OutputStream err = new FileOutputStream(FileDescriptor.err);
    System.exit(run(System.in, out, err, args));
  }

  /** Runs one command line against the given streams and returns the exit code. */
  static int run(InputStream in, OutputStream out, OutputStream err, String... args) {
    Io io = new Io(in, out, err);
    try {
      return commandLine(io).execute(args);
    } finally {
      io.flush();
    }
  }

  /** The picocli command tree, writing through {@code io}, with depot's error handling. */
  static CommandLine commandLine(Io io) {
    CommandLine cli = new CommandLine(new DepotCli());
    cli.addSubcommand(new LsCommand(io));
    cli.addSubcommand(new CatCommand(io));
    cli.addSubcommand(new VerifyCommand(io));
    cli.addSubcommand(new StatsCommand(io));
    cli.addSubcommand(new AppendCommand(io));
    String version = "depot " + version();
    cli.getCommandSpec().version(version);
    for (CommandLine sub : cli.getSubcommands().values()) {
      sub.getCommandSpec().version(version);
    }
    cli.setOut(io.stdout);
    cli.setErr(io.stderr);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setParameterExceptionHandler(
        (e, args) -> {
          String command = e.getCommandLine().getCommandSpec().qualifiedName();
          io.error(e.getMessage() + " (see '" + command + " --help')");
          return EXIT_USAGE;
        });
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof CliException cliError) {
            io.error(cliError.getMessage());
            return cliError.exitCode();
          }
          if (e instanceof DepotException || e instanceof UncheckedIOException) {
            // Corruption, a locked directory, an I/O failure: the messages name the file.
            io.error(e.getMessage());
            return EXIT_FAILURE;
          }
          io.error("unexpected error: " + e);
          return EXIT_FAILURE;
        });
    return cli;
  }

  /** The version in the jar manifest, or {@code dev} when running from classes. */
  static String version() {
    String version = DepotCli.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }

  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(), "missing command: one of ls, cat, verify, stats, append");
  }
}
