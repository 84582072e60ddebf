package dev.depot.cli;

/** An error the tool reports as one line on standard error, with its exit code. */
final class CliException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  /** A usage error or a bad path: exit code 2. */
  static CliException usage(String message) {
    return new CliException(DepotCli.EXIT_USAGE, message);
  }

  int exitCode() {
    return exitCode;
  }
}
