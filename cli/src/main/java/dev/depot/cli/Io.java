package dev.depot.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * The streams a command reads and writes. {@link #stdout} and {@link #out} are the same stream, as
 * text and as bytes: flush {@link #stdout} before writing bytes to {@link #out}.
 */
final class Io {
  final InputStream in;
  final OutputStream out;
  final PrintWriter stdout;
  final PrintWriter stderr;

  Io(InputStream in, OutputStream out, OutputStream err) {
    this.in = in;
    this.out = out;
    this.stdout = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), false);
    this.stderr = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
  }

  /** Prints {@code depot: message} as one line on standard error, after what stdout holds. */
  void error(String message) {
    stdout.flush();
    String text = message == null ? "unknown error" : message;
    stderr.println("depot: " + text.replaceAll("\\R", " "));
    stderr.flush();
  }

  void flush() {
    stdout.flush();
    stderr.flush();
  }
}
