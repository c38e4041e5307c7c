package org.bootfarm.worker;

/**
 * Where a build reports what it is doing: stages starting and finishing, log lines from tools and
 * hooks, and progress within a stage.
 * The CLI prints it; the farm streams it to the submitter.
 */
public interface BuildLog {
  /** A line of output, attributed to a stage ({@code base}, {@code staging}, ...). */
  void line(String stage, String text);

  /** Progress within a stage: {@code done} of {@code total} units (packages, files, bytes). */
  default void progress(String stage, long done, long total) {}

  /** A stage began; by default a log line. */
  default void stageStarted(String stage) {
    line(stage, startedText(stage));
  }

  /** A stage ended with its output's sha256; by default a log line. */
  default void stageFinished(String stage, String sha256, double seconds) {
    line(stage, finishedText(stage, sha256, seconds));
  }

  static String startedText(String stage) {
    return "stage " + stage + " started";
  }

  static String finishedText(String stage, String sha256, double seconds) {
    return String.format("stage %s finished in %.1f s: %s", stage, seconds, sha256);
  }

  /**
   * {@code log}, its calls made one at a time whichever thread makes them: for a step that runs two tools at once
   * (apt's fetch while mmdebstrap starts) into a log that may not be safe for that.
   */
  static BuildLog oneLineAtATime(BuildLog log) {
    return new BuildLog() {
      @Override
      public synchronized void line(String stage, String text) {
        log.line(stage, text);
      }

      @Override
      public synchronized void progress(String stage, long done, long total) {
        log.progress(stage, done, total);
      }

      @Override
      public synchronized void stageStarted(String stage) {
        log.stageStarted(stage);
      }

      @Override
      public synchronized void stageFinished(String stage, String sha256, double seconds) {
        log.stageFinished(stage, sha256, seconds);
      }
    };
  }

  /** A log that drops everything. */
  BuildLog DISCARD = (stage, text) -> {};
}
