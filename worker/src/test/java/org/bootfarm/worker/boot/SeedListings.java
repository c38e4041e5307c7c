package org.bootfarm.worker.boot;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The iptables listings the seed (seed-custom-bootstrap-repos.txt) shows for a working container VM,
 * and a parser that turns {@code iptables -L -v} output into chains, policies and rules with the
 * packet and byte counters left out, so that a listing can be compared with the seed rule for rule.
 */
public final class SeedListings {

  /** {@code iptables-wrapper -L -v} for a container on the default bridge network 172.16.0.0/16. */
  public static final String BRIDGE_FILTER = """
      Chain INPUT (policy DROP 1 packets, 36 bytes)
      pkts bytes target prot opt in out source destination
      2 72 VIC all -- any any anywhere anywhere
      0 0 ACCEPT all -- lo any anywhere anywhere
      Chain FORWARD (policy DROP 0 packets, 0 bytes)
      pkts bytes target prot opt in out source destination
      0 0 ACCEPT all -- lo lo anywhere anywhere
      Chain OUTPUT (policy DROP 0 packets, 0 bytes)
      pkts bytes target prot opt in out source destination
      0 0 VIC all -- any any anywhere anywhere
      0 0 ACCEPT all -- any lo anywhere anywhere
      Chain VIC (2 references)
      pkts bytes target prot opt in out source destination
      0 0 ACCEPT all -- eth0 any anywhere anywhere state RELATED,ESTABLISHED
      0 0 ACCEPT all -- any eth0 anywhere anywhere
      0 0 ACCEPT all -- eth0 any 172.16.0.0/16 anywhere
      1 36 RETURN all -- any any anywhere anywhere
      """;

  /** {@code iptables-wrapper -L -v} for a container on a DHCP network with port 80 published to 8080. */
  public static final String PUBLISHED_FILTER = """
      Chain INPUT (policy DROP 1 packets, 36 bytes)
      pkts bytes target prot opt in out source destination
      5 776 VIC all -- any any anywhere anywhere
      0 0 ACCEPT all -- lo any anywhere anywhere
      Chain FORWARD (policy DROP 0 packets, 0 bytes)
      pkts bytes target prot opt in out source destination
      0 0 ACCEPT all -- lo lo anywhere anywhere
      Chain OUTPUT (policy DROP 0 packets, 0 bytes)
      pkts bytes target prot opt in out source destination
      0 0 VIC all -- any any anywhere anywhere
      0 0 ACCEPT all -- any lo anywhere anywhere
      Chain VIC (2 references)
      pkts bytes target prot opt in out source destination
      0 0 ACCEPT udp -- eth0 any anywhere anywhere udp spts:67:68 dpts:67:68
      0 0 ACCEPT udp -- any eth0 anywhere anywhere udp spts:67:68 dpts:67:68
      0 0 ACCEPT all -- eth0 any anywhere anywhere state RELATED,ESTABLISHED
      0 0 ACCEPT all -- any eth0 anywhere anywhere
      0 0 ACCEPT icmp -- eth0 any anywhere anywhere icmp echo-request
      0 0 ACCEPT icmp -- any eth0 anywhere anywhere icmp echo-reply
      0 0 ACCEPT tcp -- eth0 any anywhere anywhere tcp dpt:8080
      1 36 RETURN all -- any any anywhere anywhere
      """;

  /** {@code iptables-wrapper -L -v -t nat} for the published port: REDIRECT 80 to 8080. */
  public static final String PUBLISHED_NAT = """
      Chain PREROUTING (policy ACCEPT 1 packets, 36 bytes)
      pkts bytes target prot opt in out source destination
      0 0 REDIRECT tcp -- eth0 any anywhere anywhere tcp dpt:80 redir ports 8080
      Chain INPUT (policy ACCEPT 0 packets, 0 bytes)
      pkts bytes target prot opt in out source destination
      Chain OUTPUT (policy ACCEPT 0 packets, 0 bytes)
      pkts bytes target prot opt in out source destination
      Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)
      pkts bytes target prot opt in out source destination
      """;

  /** The entropy daemon's command line in the seed's process listing. */
  public static final String ENTROPY_COMMAND =
      "/.tether/lib64/ld-linux-x86-64.so.2 --library-path /.tether/lib64 /.tether/bin/haveged -w 1024 -v 1 -F";

  private SeedListings() {}

  /**
   * One chain of a listing.
   *
   * @param name       the chain name
   * @param policy     the policy of a built-in chain ({@code DROP}, {@code ACCEPT}); null for a user chain
   * @param references how many rules jump to a user chain; null for a built-in chain
   * @param rules      the rules in order
   */
  public record Chain(String name, String policy, Integer references, List<Rule> rules) {}

  /**
   * One rule, every column but the counters; {@code match} holds the trailing match and target
   * options ({@code state RELATED,ESTABLISHED}, {@code tcp dpt:80 redir ports 8080}) with blanks
   * normalised, empty when there are none. {@code target} is empty for a rule without one.
   */
  public record Rule(String target, String prot, String opt, String in, String out, String source,
      String destination, String match) {}

  /**
   * Parses {@code iptables -L -v} output (any amount of blank space between columns, blank lines
   * ignored) into its chains in order.
   *
   * @throws IllegalArgumentException naming the line that is neither a chain header, a column
   *     header nor a rule
   */
  public static List<Chain> parse(String listing) {
    List<Chain> chains = new ArrayList<>();
    String name = null;
    String policy = null;
    Integer references = null;
    List<Rule> rules = null;
    for (String raw : listing.split("\\R")) {
      String line = raw.strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] words = line.split("\\s+");
      if (words[0].equals("Chain")) {
        if (name != null) {
          chains.add(new Chain(name, policy, references, List.copyOf(rules)));
        }
        if (words.length < 4) {
          throw new IllegalArgumentException("iptables chain header without policy or references: " + line);
        }
        name = words[1];
        rules = new ArrayList<>();
        if (words[2].equals("(policy")) {
          policy = words[3];
          references = null;
        } else {
          policy = null;
          references = Integer.valueOf(words[2].substring(1));
        }
      } else if (words[0].equals("pkts")) {
        continue;
      } else {
        if (name == null) {
          throw new IllegalArgumentException("iptables rule before any chain header: " + line);
        }
        rules.add(rule(line, words));
      }
    }
    if (name != null) {
      chains.add(new Chain(name, policy, references, List.copyOf(rules)));
    }
    return chains;
  }

  private static Rule rule(String line, String[] words) {
    // pkts bytes [target] prot opt in out source destination [match...]; opt is "--" or flags like "-f"
    boolean hasTarget = words.length >= 4 && !words[3].startsWith("-");
    int prot = hasTarget ? 3 : 2;
    if (words.length < prot + 6) {
      throw new IllegalArgumentException("iptables rule with fewer than 6 columns after the target: " + line);
    }
    String target = hasTarget ? words[2] : "";
    String match = String.join(" ", Arrays.copyOfRange(words, prot + 6, words.length));
    return new Rule(target, words[prot], words[prot + 1], words[prot + 2], words[prot + 3],
        words[prot + 4], words[prot + 5], match);
  }
}
