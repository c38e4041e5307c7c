package org.bootfarm.cli.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Network faults of the chaos benchmark and of the partition test, with {@code ip} and {@code nft}: a member's
 * cluster and event-bus ports blocked in its namespace (both directions, every packet dropped: the peers see
 * silence, not a reset), and a member's host-side veth set down (its namespace cut off, no connection closed).
 * {@link #namespace} makes a namespace joined to the host by a veth pair, for a test that needs one member apart.
 */
public final class Network {
  private Network() {}

  static final String TABLE = "bootfarm_chaos";

  /** Drops every TCP packet to or from the cluster and event-bus ports in namespace {@code ns}. */
  static void blockClusterPorts(String ns) throws IOException, InterruptedException {
    blockPorts(ns, List.of(ChaosBenchmark.CLUSTER_PORT, ChaosBenchmark.EVENT_BUS_PORT));
  }

  /** Drops every TCP packet to or from any of {@code tcpPorts} in namespace {@code ns}, both ways. */
  public static void blockPorts(String ns, Collection<Integer> tcpPorts) throws IOException, InterruptedException {
    String ports = tcpPorts.stream().map(String::valueOf).collect(Collectors.joining(", ", "{ ", " }"));
    String rules = "table inet " + TABLE + " {\n"
        + "  chain in { type filter hook input priority 0; tcp dport " + ports + " drop; tcp sport " + ports + " drop; }\n"
        + "  chain out { type filter hook output priority 0; tcp dport " + ports + " drop; tcp sport " + ports
        + " drop; }\n}\n";
    run(List.of("ip", "netns", "exec", ns, "nft", "-f", "-"), rules, true);
  }

  /** Undoes {@link #blockPorts} (and {@link #blockClusterPorts}); nothing happens when nothing was blocked. */
  public static void unblockClusterPorts(String ns) throws IOException, InterruptedException {
    run(List.of("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", TABLE), "", false);
  }

  /** Sets the host side of a member's veth up or down. */
  static void link(String veth, boolean up) throws IOException, InterruptedException {
    run(List.of("ip", "link", "set", veth, up ? "up" : "down"), "", true);
  }

  /**
   * Makes namespace {@code ns} joined to the host by veth pair {@code veth}h (host side, {@code hostAddress}/24)
   * and {@code veth}n (in the namespace, {@code nsAddress}/24), with its loopback up. Undo with {@link #remove}.
   * Interface names are at most 15 characters: {@code veth} at most 14.
   */
  public static void namespace(String ns, String veth, String hostAddress, String nsAddress)
      throws IOException, InterruptedException {
    run(List.of("ip", "netns", "add", ns), "", true);
    run(List.of("ip", "link", "add", veth + "h", "type", "veth", "peer", "name", veth + "n"), "", true);
    run(List.of("ip", "link", "set", veth + "n", "netns", ns), "", true);
    run(List.of("ip", "addr", "add", hostAddress + "/24", "dev", veth + "h"), "", true);
    run(List.of("ip", "link", "set", veth + "h", "up"), "", true);
    run(List.of("ip", "-n", ns, "link", "set", "lo", "up"), "", true);
    run(List.of("ip", "-n", ns, "addr", "add", nsAddress + "/24", "dev", veth + "n"), "", true);
    run(List.of("ip", "-n", ns, "link", "set", veth + "n", "up"), "", true);
  }

  /** Removes what {@link #namespace} made (the processes in it must be gone); quiet when it is gone already. */
  public static void remove(String ns, String veth) throws IOException, InterruptedException {
    run(List.of("ip", "link", "del", veth + "h"), "", false);
    run(List.of("ip", "netns", "del", ns), "", false);
  }

  /**
   * The command prefix that runs a program in namespace {@code ns}: {@code ip netns exec} and {@code env} both
   * exec, so the process started is the program itself and a kill reaches it.
   */
  public static List<String> inNamespace(String ns) {
    return List.of("ip", "netns", "exec", ns, "env", "--default-signal=HUP");
  }

  /** A free 10.78.N.0/24 on this machine (none of its addresses in it): the first three octets. */
  public static String freeNet() throws IOException, InterruptedException {
    Process ip = new ProcessBuilder("ip", "-4", "addr", "show").redirectErrorStream(true).start();
    String addresses = new String(ip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    ip.waitFor();
    for (int n = 0; n < 251; n++) {
      if (!addresses.contains("inet 10.78." + n + ".")) {
        return "10.78." + n;
      }
    }
    throw new IOException("no free 10.78.N.0/24 on this machine: " + addresses);
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
