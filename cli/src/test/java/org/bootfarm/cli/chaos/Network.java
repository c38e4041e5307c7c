package org.bootfarm.cli.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The chaos benchmark's network faults, with {@code ip} and {@code nft}: a member's cluster and event-bus ports
 * blocked in its namespace (both directions, every packet dropped: the peers see silence, not a reset), and a
 * member's host-side veth set down (its namespace cut off, no connection closed).
 */
final class Network {
  private Network() {}

  static final String TABLE = "bootfarm_chaos";

  /** Drops every TCP packet to or from the cluster and event-bus ports in namespace {@code ns}. */
  static void blockClusterPorts(String ns) throws IOException, InterruptedException {
    String ports = "{ " + ChaosBenchmark.CLUSTER_PORT + ", " + ChaosBenchmark.EVENT_BUS_PORT + " }";
    String rules = "table inet " + TABLE + " {\n"
        + "  chain in { type filter hook input priority 0; tcp dport " + ports + " drop; tcp sport " + ports + " drop; }\n"
        + "  chain out { type filter hook output priority 0; tcp dport " + ports + " drop; tcp sport " + ports
        + " drop; }\n}\n";
    run(List.of("ip", "netns", "exec", ns, "nft", "-f", "-"), rules, true);
  }

  static void unblockClusterPorts(String ns) throws IOException, InterruptedException {
    run(List.of("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", TABLE), "", false);
  }

  /** Sets the host side of a member's veth up or down. */
  static void link(String veth, boolean up) throws IOException, InterruptedException {
    run(List.of("ip", "link", "set", veth, up ? "up" : "down"), "", true);
  }

  private static void run(List<String> command, String input, boolean mustSucceed)
      throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = process.waitFor();
    if (exit != 0 && mustSucceed) {
      throw new IOException(String.join(" ", command) + " exited with " + exit + ": " + output);
    }
  }
}
