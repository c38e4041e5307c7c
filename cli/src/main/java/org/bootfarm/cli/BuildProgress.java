package org.bootfarm.cli;

import java.io.PrintStream;
import org.bootfarm.worker.BuildLog;

/**
 * Shows a build as it runs. On a terminal: one status line per stage, rewritten in place with the
 * latest tool output and progress; elsewhere: every line, prefixed with its stage.
 */
final class BuildProgress implements BuildLog {
  private final PrintStream out;
  private final boolean terminal;
  private String lastStage = "";
  private boolean statusShown;

  BuildProgress(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  @Override
  public synchronized void line(String stage, String text) {
    if (!terminal) {
      out.println("[" + stage + "] " + text);
      return;
    }
    if ("build".equals(stage)) {
      milestone(stage, text);
      return;
    }
    if (!stage.equals(lastStage)) {
      clearStatus();
      lastStage = stage;
    }
    status("[" + stage + "] " + text);
  }

  @Override
  public synchronized void stageStarted(String stage) {
    milestone(stage, BuildLog.startedText(stage));
  }

  @Override
  public synchronized void stageFinished(String stage, String sha256, double seconds) {
    milestone(stage, BuildLog.finishedText(stage, sha256, seconds));
  }

  /** A line that stays on screen: stages starting and ending, and the build's own lines. */
  private void milestone(String stage, String text) {
    clearStatus();
    out.println("[" + stage + "] " + text);
    lastStage = stage;
  }

  @Override
  public synchronized void progress(String stage, long done, long total) {
    if (!terminal || total <= 0) {
      return;
    }
    int width = 30;
    int filled = (int) Math.min(width, width * done / total);
    status(String.format("[%s] [%s%s] %d/%d", stage, "#".repeat(filled), ".".repeat(width - filled), done, total));
  }

  private void status(String text) {
    String clipped = text.length() > 100 ? text.substring(0, 97) + "..." : text;
    out.print("\r\033[K" + clipped);
    out.flush();
    statusShown = true;
  }

  private void clearStatus() {
    if (statusShown) {
      out.print("\r\033[K");
      statusShown = false;
    }
  }

  synchronized void finish() {
    clearStatus();
    out.flush();
  }
}
