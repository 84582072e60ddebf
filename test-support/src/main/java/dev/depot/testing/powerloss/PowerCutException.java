package dev.depot.testing.powerloss;

import java.io.IOException;

/**
 * What every file operation of a {@link PowerLossFileSystem} throws once its power is cut: the
 * machine is gone, and the code under test sees its disk fail.
 */
public final class PowerCutException extends IOException {
  private static final long serialVersionUID = 1L;

  PowerCutException(String message) {
    super(message);
  }
}
