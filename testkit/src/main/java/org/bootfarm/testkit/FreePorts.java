package org.bootfarm.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports for tests that start servers, clusters or whole farms: the one place a test asks the
 * kernel for a port. The port is free when this returns; a server started right after binds it.
 */
public final class FreePorts {

  private FreePorts() {
  }

  /** A port nobody listens on now, on any address, chosen by the kernel (binds port 0). */
  public static int one() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind any loopback port: is the network stack up?", e);
    }
  }

  /**
   * The first of {@code count} consecutive free ports, for programs that take a base port and count up
   * from it (Hazelcast's port range). The kernel hands out single ports only, so this probes random
   * bases between 20000 and 60000.
   */
  public static int consecutive(int count) {
    if (count == 1) {
      return one();
    }
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 60_000);
      if (allFree(base, count)) {
        return base;
      }
    }
    throw new IllegalStateException("no " + count + " consecutive free ports found in 200 tries: free some ports");
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
