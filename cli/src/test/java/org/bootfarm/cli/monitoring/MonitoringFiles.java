package org.bootfarm.cli.monitoring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Where the shipped monitoring files live in the repository: dashboards, provisioning, Prometheus config. */
final class MonitoringFiles {
  /** The datasource uid Grafana provisions and every dashboard panel and target must name. */
  static final String DATASOURCE_UID = "bootfarm-prometheus";

  private MonitoringFiles() {}

  /** The repository root: the first directory above the working directory with pom.xml and docs/metrics.md. */
  static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isRegularFile(p.resolve("docs/metrics.md"))) {
        return p;
      }
    }
    throw new IllegalStateException("no directory with pom.xml and docs/metrics.md above "
        + Path.of("").toAbsolutePath() + "; run the tests from inside the repository");
  }

  static Path prometheusDir() {
    return repoRoot().resolve("deploy/prometheus");
  }

  static Path grafanaDir() {
    return repoRoot().resolve("grafana");
  }

  /** Every dashboard file under grafana/dashboards, sorted by name. */
  static List<Path> dashboards() throws IOException {
    try (Stream<Path> files = Files.list(grafanaDir().resolve("dashboards"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList();
    }
  }
}
