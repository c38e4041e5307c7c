package org.bootfarm.cluster.identity;

/** A farm CA, member certificate or key that cannot be used, with the file and what to do. */
public final class IdentityException extends Exception {
  public IdentityException(String message) {
    super(message);
  }

  public IdentityException(String message, Throwable cause) {
    super(message, cause);
  }
}
