package org.bootfarm.protocol.build;

/**
 * One finished stage of a build: the sha256 of its deterministic output archive and how long it took.
 *
 * @param name    {@code base}, {@code staging-bootstrap}, {@code assemble}, ...
 * @param sha256  sha256 of the stage's output archive (for {@code assemble}, of the ISO)
 * @param seconds wall-clock duration
 */
public record StageRecord(String name, String sha256, double seconds) {}
