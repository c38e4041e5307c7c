package org.bootfarm.protocol.api.v1;

import java.util.Locale;
import java.util.Optional;

/**
 * What a client of the farm may do, as its line in the coordinator's tokens file says: each role allows
 * what the roles before it allow. {@code read} sees builds, workers, repos, nightly runs and artifacts;
 * {@code submit} also submits builds, uploads artifacts, verifies and cancels its own builds; {@code admin}
 * also starts nightly runs, pins and unpins, and cancels anyone's builds.
 */
public enum AccessRole {
  READ,
  SUBMIT,
  ADMIN;

  /** Whether a caller with this role may do what needs {@code needed}. */
  public boolean allows(AccessRole needed) {
    return compareTo(needed) >= 0;
  }

  /** The role as written in a tokens file and in messages: {@code read}, {@code submit}, {@code admin}. */
  public String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role a tokens-file word names, if any. */
  public static Optional<AccessRole> ofWord(String word) {
    for (AccessRole role : values()) {
      if (role.word().equals(word)) {
        return Optional.of(role);
      }
    }
    return Optional.empty();
  }
}
