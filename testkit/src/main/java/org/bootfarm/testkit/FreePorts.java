package org.bootfarm.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports for tests that start servers, clusters or whole farms: the one place a test picks a
 * port. The port is free when this returns, and it lies below the kernel's ephemeral range
 * ({@code /proc/sys/net/ipv4/ip_local_port_range}), which the kernel hands to every {@code bind(0)} and
 * outgoing connection: a port it gave out once could be given again to another process's connection
 * before the test's server binds it (seen in a whole-suite run as "Address already in use" on a
 * coordinator's HTTP port, with a farm's dozens of TLS connections about). A port is handed out once per
 * JVM: two picks made before either server binds could otherwise be the same free port (seen as a
 * coordinator's bridge refused "Address already in use" on the port its own Hazelcast member had taken).
 */
public final class FreePorts {

  private FreePorts() {
  }

  /** The lowest port the kernel hands out by itself; what lies below is only ever bound on purpose. */
  private static final int EPHEMERAL_LOW = ephemeralLow();
  private static final int LOWEST = 10_000;
  /** Every port this JVM handed out: never again, whether or not its server is listening yet. */
  private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** A port nobody listens on now, on any address, below the kernel's ephemeral range when it can be. */
  public static int one() {
    if (EPHEMERAL_LOW - LOWEST >= 1_000) {
      for (int attempt = 0; attempt < 200; attempt++) {
        int port = ThreadLocalRandom.current().nextInt(LOWEST, EPHEMERAL_LOW);
        if (!HANDED_OUT.contains(port) && allFree(port, 1) && freeOnAnyAddress(port) && HANDED_OUT.add(port)) {
          return port;
        }
      }
    }
    for (int attempt = 0; attempt < 200; attempt++) {
      try (ServerSocket socket = new ServerSocket(0)) {
        if (HANDED_OUT.add(socket.getLocalPort())) {
          return socket.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot bind any loopback port: is the network stack up?", e);
      }
    }
    throw new IllegalStateException("the kernel offered only ports handed out before in 200 tries: free some ports");
  }

  private static boolean freeOnAnyAddress(int port) {
    try (ServerSocket socket = new ServerSocket(port)) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  private static int ephemeralLow() {
    try {
      // read line-wise: Files.readString of a /proc file (size 0) returned only its first byte here
      String range = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
          .get(0);
      return Integer.parseInt(range.strip().split("\\s+")[0]);
    } catch (IOException | RuntimeException unknown) {
      return LOWEST; // no such file: let the kernel choose
    }
  }

  /**
   * The first of {@code count} consecutive free ports, for programs that take a base port and count up
   * from it (Hazelcast's port range). The kernel hands out single ports only, so this probes random
   * bases below the ephemeral range, as {@link #one} does.
   */
  public static int consecutive(int count) {
    if (count == 1) {
      return one();
    }
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(LOWEST, Math.max(LOWEST + 1_000, EPHEMERAL_LOW) - count);
      if (noneHandedOut(base, count) && allFree(base, count)) {
        for (int port = base; port < base + count; port++) {
          HANDED_OUT.add(port);
        }
        return base;
      }
    }
    throw new IllegalStateException("no " + count + " consecutive free ports found in 200 tries: free some ports");
  }

  private static boolean noneHandedOut(int base, int count) {
    for (int port = base; port < base + count; port++) {
      if (HANDED_OUT.contains(port)) {
        return false;
      }
    }
    return true;
  }

  private static boolean allFree(int base, int count) {
    for (int port = base; port < base + count; port++) {
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        socket.setReuseAddress(true);
      } catch (IOException taken) {
        return false;
      }
    }
    return true;
  }
}
