package org.bootfarm.worker;

/**
 * Where a build reports what it is doing: log lines from tools and hooks, and stage progress.
 * The CLI prints it; the farm streams it to the submitter.
 */
public interface BuildLog {
  /** A line of output, attributed to a stage ({@code base}, {@code staging}, ...). */
  void line(String stage, String text);

  /** Progress within a stage: {@code done} of {@code total} units (packages, files, bytes). */
  default void progress(String stage, long done, long total) {}

  /** A log that drops everything. */
  BuildLog DISCARD = (stage, text) -> {};
}
