package org.bootfarm.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Ports handed to tests are bindable, never ones the kernel hands out by itself, and never handed out twice. */
@Tag("unit")
class FreePortsTest {
  @Test
  void portsAreBindableAndBelowTheKernelsEphemeralRange() throws Exception {
    int low = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).strip()
        .split("\\s+")[0]);
    for (int i = 0; i < 50; i++) {
      int port = FreePorts.one();
      assertTrue(port < low, port + " is in the kernel's ephemeral range from " + low);
      try (ServerSocket socket = new ServerSocket(port)) {
        assertTrue(socket.isBound());
      }
    }
    int base = FreePorts.consecutive(3);
    assertTrue(base + 2 < low, base + " + 2 reaches the kernel's ephemeral range from " + low);
  }

  @Test
  void aPortIsHandedOutOncePerJvmEvenWhileNobodyListensOnIt() {
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      int port = FreePorts.one();
      assertTrue(seen.add(port), "port " + port + " handed out twice, before anything listened on it");
    }
    int base = FreePorts.consecutive(3);
    for (int port = base; port < base + 3; port++) {
      assertTrue(seen.add(port), "port " + port + " of a consecutive range was handed out before");
    }
  }
}
