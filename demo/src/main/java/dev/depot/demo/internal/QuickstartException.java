package dev.depot.demo.internal;

/**
 * A failure of the quickstart to report in one line (plus the log to read), without a stack trace:
 * the quickstart prints {@code quickstart: } and the message, stops everything and exits with 1.
 */
public final class QuickstartException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public QuickstartException(String message) {
    super(message);
  }
}
