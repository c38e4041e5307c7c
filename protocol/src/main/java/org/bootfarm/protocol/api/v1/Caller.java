package org.bootfarm.protocol.api.v1;

import java.util.Objects;

/**
 * Who makes an API call: the client name of the token it presented (its line in the coordinator's tokens
 * file) and that line's role. A build records its submitter's name; cancelling another client's build
 * needs {@link AccessRole#ADMIN}.
 */
public record Caller(String name, AccessRole role) {
  public Caller {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
  }

  /** Whether this caller's role allows what needs {@code needed}. */
  public boolean may(AccessRole needed) {
    return role.allows(needed);
  }
}
