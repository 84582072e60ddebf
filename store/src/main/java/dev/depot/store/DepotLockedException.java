package dev.depot.store;

/**
 * A second writer tried to open a directory that a writer, in this process or another one, already
 * holds. Read-only opens never take the lock and never raise this.
 */
public class DepotLockedException extends DepotException {
  private static final long serialVersionUID = 1L;

  public DepotLockedException(String message) {
    super(message);
  }
}
