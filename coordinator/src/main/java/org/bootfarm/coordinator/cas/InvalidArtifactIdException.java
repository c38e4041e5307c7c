package org.bootfarm.coordinator.cas;

/** An artifact id that is not a sha256 in lower-case hex; the message names the id and the problem. */
public final class InvalidArtifactIdException extends IllegalArgumentException {
  private final String id;

  InvalidArtifactIdException(String id, String message) {
    super(message);
    this.id = id;
  }

  /** The rejected id as given (may be null or arbitrarily long). */
  public String id() {
    return id;
  }
}
