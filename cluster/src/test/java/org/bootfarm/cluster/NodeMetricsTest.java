package org.bootfarm.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Vert.x instances in one JVM report into their own {@link NodeMetrics} (Vert.x keeps its backends in a
 * static map by registry name), and a registry outlives the Vert.x instance that reported into it, as a
 * worker's does when it joins the cluster again on a new one. Real Vert.x instances and event buses.
 */
@Tag("unit")
class NodeMetricsTest {
  static Vertx vertx(NodeMetrics metrics) {
    return Vertx.builder().with(new VertxOptions().setMetricsOptions(metrics.vertxOptions()))
        .withMetrics(metrics.vertxFactory()).build();
  }

  /** The event-bus handlers the registry counts (the gauge appears with the first handler). */
  static double handlers(NodeMetrics metrics) {
    Matcher line = Pattern.compile("(?m)^vertx_eventbus_handlers (\\S+)$").matcher(metrics.scrape());
    return line.find() ? Double.parseDouble(line.group(1)) : 0;
  }

  @Test
  void twoVertxInstancesInOneJvmKeepTheirMetersApartAndARegistryOutlivesItsVertx() {
    try (NodeMetrics first = NodeMetrics.create("coordinator"); NodeMetrics second = NodeMetrics.create("worker")) {
      assertNotEquals(first.vertxOptions().getRegistryName(), first.vertxOptions().getRegistryName(),
          "every Vert.x instance gets a registry name of its own");
      Vertx a = vertx(first);
      Vertx b = vertx(second);
      double before = handlers(second);
      for (int i = 0; i < 5; i++) {
        a.eventBus().consumer("test.address." + i, message -> { }).completion().await();
      }
      assertEquals(before + 5, handlers(first), first::scrape);
      assertEquals(before, handlers(second), "the other instance's consumers are not counted here");
      assertTrue(first.scrape().contains("jvm_memory_used_bytes"), "JVM meters are bound");
      assertTrue(first.scrape().contains("process_uptime_seconds"), "process meters are bound");

      a.close().await();
      Vertx again = vertx(first);
      again.eventBus().consumer("test.again", message -> { }).completion().await();
      assertTrue(handlers(first) >= 1, "a new Vert.x instance reports into the registry the closed one used");
      assertTrue(first.scrape().contains("jvm_threads_live_threads"), "the registry is still open");
      again.close().await();
      b.close().await();
    }
  }
}
