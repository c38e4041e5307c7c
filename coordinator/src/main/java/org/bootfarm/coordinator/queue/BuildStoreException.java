package org.bootfarm.coordinator.queue;

/**
 * The build store could not do what was asked (the database file is unreadable, locked by another
 * coordinator, or written by a newer schema); the message names the file and what to do.
 */
public class BuildStoreException extends RuntimeException {
  public BuildStoreException(String message) {
    super(message);
  }

  public BuildStoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
