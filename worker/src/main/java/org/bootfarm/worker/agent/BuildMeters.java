package org.bootfarm.worker.agent;

import java.io.IOException;
import java.nio.file.Path;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.worker.metrics.WorkerMetrics;

/**
 * Feeds the worker's meters (docs/metrics.md) from each ended build and each inbox message refused; does
 * nothing when there are none.
 */
final class BuildMeters {
  private final WorkerMetrics metrics;
  private final Path cacheDir;
  private final WorkerLog log;

  /** @param metrics null: the builds are counted nowhere */
  BuildMeters(WorkerMetrics metrics, Path cacheDir, WorkerLog log) {
    this.metrics = metrics;
    this.cacheDir = cacheDir;
    this.log = log;
  }

  /** Counts an ended build, and measures its repo's package cache, on the slot thread that ran it. */
  void count(Assignment assignment, BuildReport report) {
    if (metrics == null) {
      return;
    }
    try {
      metrics.buildEnded(assignment.repo(), assignment.target(), report);
      metrics.cacheSize(assignment.repo(), WorkerDescription.repoCacheBytes(cacheDir, assignment.repo()));
    } catch (IOException | RuntimeException e) {
      log.warning("build " + assignment.buildId() + " was not fully counted in the worker's metrics: " + e);
    }
  }

  /** Counts an inbox message refused for {@code reason}. */
  void inboxRefused(String reason) {
    if (metrics != null) {
      metrics.inboxRefused(reason);
    }
  }
}
