package org.bootfarm.cli.monitoring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names docs/metrics.md fixes, read from its tables ({@code | `name` | type | labels | meaning |}),
 * and the series names a query may select: a histogram's {@code _bucket}, {@code _sum} and {@code _count}
 * series, plus the few Vert.x, JVM and Prometheus names the catalogue refers to by family.
 */
final class MetricCatalogue {
  private static final Pattern ROW = Pattern.compile("^\\|\\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\\s*\\|\\s*(counter|gauge|histogram)\\s*\\|",
      Pattern.MULTILINE);

  /**
   * Names outside the tables that the farm's processes certainly export, per the catalogue's last paragraph:
   * Vert.x Micrometer's default (v4) names for the event bus and the HTTP server, Micrometer's JVM memory
   * binder, and Prometheus's own {@code up} for every scraped target.
   */
  static final Set<String> FAMILY_NAMES = Set.of(
      "vertx_eventbus_handlers", "vertx_http_server_requests_total", "jvm_memory_used_bytes", "up");

  private final TreeMap<String, String> typeByName;

  private MetricCatalogue(TreeMap<String, String> typeByName) {
    this.typeByName = typeByName;
  }

  static MetricCatalogue read(Path metricsMd) throws IOException {
    TreeMap<String, String> types = new TreeMap<>();
    Matcher row = ROW.matcher(Files.readString(metricsMd));
    while (row.find()) {
      types.put(row.group(1), row.group(2));
    }
    if (types.isEmpty()) {
      throw new IllegalStateException(metricsMd + " has no metric table rows like | `name` | gauge | ... |");
    }
    return new MetricCatalogue(types);
  }

  /** The catalogue's metric names (a histogram by its base name). */
  Set<String> names() {
    return typeByName.keySet();
  }

  String type(String name) {
    return typeByName.get(name);
  }

  /** Every series name a query may select: the names, histogram series, and {@link #FAMILY_NAMES}. */
  Set<String> selectableSeries() {
    Set<String> series = new TreeSet<>(FAMILY_NAMES);
    typeByName.forEach((name, type) -> {
      if (type.equals("histogram")) {
        series.add(name + "_bucket");
        series.add(name + "_sum");
        series.add(name + "_count");
      } else {
        series.add(name);
      }
    });
    return series;
  }

  /** The catalogue name a selected series belongs to (a histogram series to its base), or the series itself. */
  String baseName(String series) {
    for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
      if (series.endsWith(suffix)) {
        String base = series.substring(0, series.length() - suffix.length());
        if ("histogram".equals(typeByName.get(base))) {
          return base;
        }
      }
    }
    return series;
  }
}
