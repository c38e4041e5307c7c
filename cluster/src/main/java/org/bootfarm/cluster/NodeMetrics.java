package org.bootfarm.cluster;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One process role's Prometheus meters (docs/metrics.md): a Micrometer Prometheus registry with the
 * JVM and process meters bound once, that the Vert.x instances of that role report their event-bus and
 * HTTP meters into and that {@code GET /metrics} renders. Vert.x keeps its metrics backends in a static
 * map keyed by registry name, so every Vert.x instance gets a name of its own ({@link #vertxOptions()}):
 * a JVM running several (the embedded farm, tests) never mixes their meters, and a worker that joins the
 * cluster again on a new Vert.x keeps reporting into the same registry.
 */
public final class NodeMetrics implements AutoCloseable {
  /** The content type of {@link #scrape()}: Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  private static final AtomicInteger VERTX_INSTANCES = new AtomicInteger();

  private final String name;
  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gc;

  private NodeMetrics(String name) {
    this.name = name;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    this.gc = new JvmGcMetrics();
    gc.bindTo(registry);
  }

  /** A registry with the JVM and process meters; {@code name} (e.g. the role) starts its Vert.x registry names. */
  public static NodeMetrics create(String name) {
    return new NodeMetrics(name.toLowerCase(Locale.ROOT));
  }

  /** Where the farm's own meters are registered. */
  public MeterRegistry registry() {
    return registry;
  }

  /** Every meter in Prometheus text format 0.0.4 ({@link #CONTENT_TYPE}); gauges are read now. */
  public String scrape() {
    return registry.scrape();
  }

  /**
   * Metrics options for one more Vert.x instance reporting into this registry, under a registry name no
   * other Vert.x instance in this JVM has. Set them when the instance is built, with {@link #vertxFactory()}.
   */
  public MicrometerMetricsOptions vertxOptions() {
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setRegistryName("bootfarm-" + name + "-" + VERTX_INSTANCES.incrementAndGet())
        // bound once here instead, not again by every Vert.x instance of a rejoining worker
        .setJvmMetricsEnabled(false);
  }

  /**
   * The metrics factory that hands this registry to Vert.x. Without Prometheus options in {@link
   * #vertxOptions()} Vert.x only borrows the registry: closing a Vert.x instance leaves it open.
   */
  public MicrometerMetricsFactory vertxFactory() {
    return new MicrometerMetricsFactory(registry);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
