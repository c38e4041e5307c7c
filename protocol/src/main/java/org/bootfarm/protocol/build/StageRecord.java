package org.bootfarm.protocol.build;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One finished stage of a build: the sha256 of its deterministic output archive, how long it took,
 * and whether the worker took it from its stage cache instead of running it.
 *
 * @param name      {@code base}, {@code staging-bootstrap}, {@code assemble}, ...
 * @param sha256    sha256 of the stage's output archive (for {@code assemble}, of the ISO)
 * @param seconds   wall-clock duration
 * @param fromCache {@code true} when the stage's tree was restored from the worker's stage cache
 *                  (ADR 0025); absent (null) when the stage ran
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StageRecord(String name, String sha256, double seconds, Boolean fromCache) {

  /** A stage that ran. */
  public StageRecord(String name, String sha256, double seconds) {
    this(name, sha256, seconds, null);
  }

  /** Whether the stage's tree came from the stage cache. */
  public boolean cached() {
    return Boolean.TRUE.equals(fromCache);
  }
}
