package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.cluster.MetricsHttpServer;
import org.bootfarm.cluster.NodeMetrics;
import org.bootfarm.testkit.FreePorts;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The worker's metrics port choice with real sockets: without --metrics-port a port in use moves the
 * worker to the next free one, which its log and ready line name and which serves the scrape; a port the
 * operator gave that is in use stops the worker with an error naming the address and what to do.
 */
@Tag("unit")
class MetricsAddressTest {

  static MetricsAddress parsed(String... args) {
    List<String> all = new ArrayList<>(List.of("worker"));
    all.addAll(List.of(args));
    var worker = (FarmCommands.Worker) Main.commandLine(all, Map.of(), java.nio.file.Path.of("/nonexistent.conf"))
        .parseArgs(all.toArray(String[]::new)).subcommand().commandSpec().userObject();
    return worker.options.metrics;
  }

  @Test
  void aDefaultPortInUseMovesToTheNextFreeOneAndSaysWhich() throws Exception {
    int first = FreePorts.consecutive(2);
    List<String> logged = new ArrayList<>();
    MetricsAddress address = parsed(); // no --metrics-port: the port may move
    try (NodeMetrics metrics = NodeMetrics.create("worker");
        ServerSocket held = new ServerSocket(first, 1, InetAddress.getByName("127.0.0.1"));
        MetricsHttpServer server = address.serveFrom(metrics, first, 10, logged::add)) {
      assertEquals(first + 1, server.port(), "the port after the one in use");
      assertEquals("metrics http://127.0.0.1:" + (first + 1) + "/metrics", address.describe(server));
      assertTrue(logged.stream().anyMatch(line -> line.contains("metrics port " + first + " on 127.0.0.1 is in use")
          && line.contains("on port " + (first + 1) + " instead")), "the log says where it went: " + logged);
      HttpResponse<String> scraped = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, scraped.statusCode(), scraped.body());
      assertTrue(scraped.body().contains("jvm_"), "a real scrape: " + scraped.body());
    }
  }

  @Test
  void aGivenPortInUseStopsTheWorkerNamingThePortAndWhatToDo() throws Exception {
    int port = FreePorts.one();
    MetricsAddress address = parsed("--metrics-port", String.valueOf(port));
    try (NodeMetrics metrics = NodeMetrics.create("worker");
        ServerSocket held = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
      IllegalStateException refused = assertThrows(IllegalStateException.class,
          () -> address.serve(metrics).close());
      String message = refused.getMessage();
      assertTrue(message.contains("--metrics-host/--metrics-port 127.0.0.1:" + port + ": the port is in use"), message);
      assertTrue(message.contains("never moves") && message.contains("stop the process holding " + port)
          && message.contains("--metrics-port 0"), "says why it does not move and what to do: " + message);
    }
  }

  @Test
  void everyPortOfTheRangeInUseIsAnErrorNamingTheRange() throws Exception {
    int first = FreePorts.consecutive(2);
    MetricsAddress address = parsed();
    try (NodeMetrics metrics = NodeMetrics.create("worker");
        ServerSocket one = new ServerSocket(first, 1, InetAddress.getByName("127.0.0.1"));
        ServerSocket two = new ServerSocket(first + 1, 1, InetAddress.getByName("127.0.0.1"))) {
      IllegalStateException refused = assertThrows(IllegalStateException.class,
          () -> address.serveFrom(metrics, first, 2, note -> { }).close());
      assertTrue(refused.getMessage().contains("every port of " + first + ".." + (first + 1) + " is in use"),
          refused.getMessage());
    }
  }
}
