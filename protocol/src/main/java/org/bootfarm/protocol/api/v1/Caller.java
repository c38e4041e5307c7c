package org.bootfarm.protocol.api.v1;

import java.util.Objects;

/**
 * Who makes an API call, and with which role. Its {@link #name} says with which kind of credential it proved itself,
 * because the names of the tokens file and the names of farm certificates are two namespaces that may hold the same
 * word (ADR 0065): {@code token:ci} is the client {@code ci} of the coordinator's tokens file ({@link #ofToken}),
 * {@code farm:nightly} the farm's own scheduled work ({@link #ofFarm}), and a name without a kind is a farm member's
 * certificate name (a clustered client, a worker, a coordinator), which can hold no {@code :}. The name travels as it
 * is wherever a coordinator relays a caller. A build records its submitter as {@link #credential()}; cancelling a
 * build needs that same credential, or {@link AccessRole#ADMIN}.
 */
public record Caller(String name, AccessRole role) {
  /** The kind of credential of a client of the tokens file. */
  public static final String TOKEN = "token";
  /** The kind of credential of a farm member, named by its certificate. */
  public static final String CERTIFICATE = "cert";
  /** The kind of the farm's own callers (its nightly runs). */
  public static final String FARM = "farm";

  public Caller {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
  }

  /** The client {@code client} of the coordinator's tokens file. */
  public static Caller ofToken(String client, AccessRole role) {
    return new Caller(TOKEN + ":" + client, role);
  }

  /** The farm itself, doing {@code what} on its own (its nightly runs). */
  public static Caller ofFarm(String what, AccessRole role) {
    return new Caller(FARM + ":" + what, role);
  }

  /** Whether this caller's role allows what needs {@code needed}. */
  public boolean may(AccessRole needed) {
    return role.allows(needed);
  }

  /** The name of its credential without the kind: the tokens file's client name, or the certificate's name. */
  public String client() {
    return clientOf(name);
  }

  /**
   * Who it is with the kind of its credential ({@code token:ci}, {@code cert:build-7}, {@code farm:nightly}): what a
   * build records as its submitter, and what cancelling it compares.
   */
  public String credential() {
    return name.startsWith(TOKEN + ":") || name.startsWith(FARM + ":") ? name : CERTIFICATE + ":" + name;
  }

  /**
   * A recorded submitter as {@link #credential()} writes it. A record made before submitters had kinds names a client
   * without one: those were the tokens file's clients, which submitted through HTTP and the bridge, and are read so.
   */
  public static String credentialOf(String recorded) {
    return recorded.startsWith(TOKEN + ":") || recorded.startsWith(CERTIFICATE + ":")
        || recorded.startsWith(FARM + ":") ? recorded : TOKEN + ":" + recorded;
  }

  /** The kind of a recorded submitter's credential: {@link #TOKEN}, {@link #CERTIFICATE} or {@link #FARM}. */
  public static String kindOf(String recorded) {
    String credential = credentialOf(recorded);
    return credential.substring(0, credential.indexOf(':'));
  }

  /**
   * A recorded submitter in words, for messages and the CLI: {@code 'ci' with a token}, {@code 'ci' with a
   * certificate}, {@code 'nightly', the farm itself}.
   */
  public static String describe(String recorded) {
    String name = "'" + clientOf(recorded) + "'";
    return switch (kindOf(recorded)) {
      case TOKEN -> name + " with a token";
      case CERTIFICATE -> name + " with a certificate";
      default -> name + ", the farm itself";
    };
  }

  /** The name of a recorded submitter (or of a {@link #name}) without its kind. */
  public static String clientOf(String recorded) {
    int colon = recorded.indexOf(':');
    return colon < 0 ? recorded : recorded.substring(colon + 1);
  }
}
