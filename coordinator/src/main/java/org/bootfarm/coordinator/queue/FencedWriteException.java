package org.bootfarm.coordinator.queue;

/**
 * The shared PostgreSQL store refused a write because the coordinator that made it does not hold the current
 * term (docs/adr/0039): its term ended (another coordinator took over) or it never began one (a standby). The
 * message, the database's own, names the term the write carried and the coordinator that holds the current one.
 * A coordinator that sees this has stopped being the active one and must stop acting as it.
 */
public final class FencedWriteException extends BuildStoreException {
  /** The SQLSTATE the store's fence raises (a class of its own, not one of PostgreSQL's). */
  public static final String SQLSTATE = "BF001";

  public FencedWriteException(String message, Throwable cause) {
    super(message, cause);
  }
}
