package org.bootfarm.cluster.identity;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.bootfarm.cluster.NodeRole;

/**
 * Who a member of the farm is, as its certificate says: a name (a worker's id, a coordinator's or a
 * client's name) and its role. Only a certificate signed by the farm CA makes one.
 *
 * @param name the certificate's common name, the same shape as a worker id
 * @param role what the certificate lets its holder be
 */
public record MemberIdentity(String name, NodeRole role) {
  /** A member name: what a worker id may be (letters, digits, '.', '_', '-'; at most 64). */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  public MemberIdentity {
    Objects.requireNonNull(role, "role");
    if (name == null || !NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("member name '" + name + "' must be 1-64 letters, digits, '.', '_' or '-'"
          + " (a worker's name is its worker id)");
    }
  }

  /** The role as written in certificates and on the command line: coordinator, worker, client. */
  public static String roleName(NodeRole role) {
    return role.name().toLowerCase(Locale.ROOT);
  }

  /**
   * The role named on a command line or in a certificate.
   *
   * @throws IllegalArgumentException naming the roles there are
   */
  public static NodeRole parseRole(String text) {
    for (NodeRole role : NodeRole.values()) {
      if (roleName(role).equals(text)) {
        return role;
      }
    }
    throw new IllegalArgumentException("role '" + text + "' is not one of coordinator, worker, client");
  }

  @Override
  public String toString() {
    return roleName(role) + " '" + name + "'";
  }
}
