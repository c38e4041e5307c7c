package org.bootfarm.cluster;

import java.util.ArrayList;
import java.util.List;

/**
 * One entry of a join list ({@code --join H:P[,H:P...]}): the address of a cluster member a node
 * contacts to join. A bare host means {@link #DEFAULT_PORT}; port ranges are refused (Hazelcast's
 * TCP-IP join throws on them).
 */
public record JoinMember(String host, int port) {
  /** Hazelcast's usual member port, used for a join entry given as a bare host. */
  public static final int DEFAULT_PORT = 5701;

  public JoinMember {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("join member has an empty host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("join member " + host + " has port " + port + ", not in 1..65535");
    }
  }

  /**
   * Parses a comma-separated join list such as {@code 10.0.0.5:5701,10.0.0.6}. An empty or blank
   * list means no members to contact (a node that forms a cluster on its own).
   *
   * @throws IllegalArgumentException naming the bad entry and what a good one looks like
   */
  public static List<JoinMember> parseList(String list) {
    List<JoinMember> members = new ArrayList<>();
    if (list == null || list.isBlank()) {
      return members;
    }
    String[] entries = list.split(",", -1);
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].strip();
      if (entry.isEmpty()) {
        throw new IllegalArgumentException("--join '" + list + "': entry " + (i + 1)
            + " is empty; give members as HOST:PORT separated by single commas");
      }
      members.add(parse(entry));
    }
    return List.copyOf(members);
  }

  /**
   * Parses one entry: {@code host}, {@code host:port}, {@code [ipv6]} or {@code [ipv6]:port}.
   *
   * @throws IllegalArgumentException naming the entry and what is wrong with it
   */
  public static JoinMember parse(String entry) {
    String host;
    String port;
    if (entry.startsWith("[")) {
      int close = entry.indexOf(']');
      if (close < 0) {
        throw bad(entry, "an IPv6 address opened with '[' is never closed with ']'");
      }
      host = entry.substring(1, close);
      String rest = entry.substring(close + 1);
      if (!rest.isEmpty() && !rest.startsWith(":")) {
        throw bad(entry, "after ']' only ':PORT' may follow");
      }
      port = rest.isEmpty() ? null : rest.substring(1);
    } else {
      int colon = entry.indexOf(':');
      if (colon >= 0 && entry.indexOf(':', colon + 1) >= 0) {
        throw bad(entry, "more than one ':'; write an IPv6 address as [ADDRESS]:PORT");
      }
      host = colon < 0 ? entry : entry.substring(0, colon);
      port = colon < 0 ? null : entry.substring(colon + 1);
    }
    if (host.isBlank()) {
      throw bad(entry, "the host is empty");
    }
    if (host.chars().anyMatch(Character::isWhitespace)) {
      throw bad(entry, "the host contains whitespace");
    }
    if (port == null) {
      return new JoinMember(host, DEFAULT_PORT);
    }
    if (port.contains("-")) {
      throw bad(entry, "port ranges are not supported; list each member as HOST:PORT");
    }
    if (port.isEmpty() || !port.chars().allMatch(c -> c >= '0' && c <= '9') || port.length() > 5) {
      throw bad(entry, "the port '" + port + "' is not a number");
    }
    int number = Integer.parseInt(port);
    if (number < 1 || number > 65535) {
      throw bad(entry, "the port " + number + " is not in 1..65535");
    }
    return new JoinMember(host, number);
  }

  /** The form Hazelcast's TCP-IP member list takes: {@code host:port}, IPv6 in brackets. */
  public String hazelcastMember() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return hazelcastMember();
  }

  private static IllegalArgumentException bad(String entry, String why) {
    return new IllegalArgumentException("--join entry '" + entry + "': " + why);
  }
}
