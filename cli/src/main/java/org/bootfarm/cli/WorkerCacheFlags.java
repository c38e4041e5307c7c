package org.bootfarm.cli;

import picocli.CommandLine.Option;

/** The worker's flag for its action cache (docs/adr/0048), a mixin of {@code bootfarm worker}. */
final class WorkerCacheFlags {
  @Option(names = "--no-action-cache", description = "run every build, never serving an unchanged one from this"
      + " worker's action cache (<cache-dir>/actions, ADR 0048) nor filling it (default: the cache is used)")
  boolean noActionCache;
}
