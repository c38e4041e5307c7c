package org.bootfarm.worker.agent;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.bootfarm.protocol.api.v1.BuildEvent;
import org.bootfarm.worker.BuildLog;

/**
 * The log of one build on a worker: every event goes on to the farm as it happens (for followers),
 * and every line, stage start and stage end is also kept in a file, {@code [stage] text} per line,
 * which the worker uploads to the artifact store when the build ends, so the whole log outlives the
 * event stream. Safe to call from several threads (a hook's output and a stage's own lines).
 */
final class BuildLogFile implements BuildLog, AutoCloseable {
  private final String buildId;
  private final Path file;
  private final Consumer<BuildEvent> events;
  private final BufferedWriter writer;
  private IOException writeFailure;

  /**
   * @param file   created (or emptied) now
   * @param events where each event is published
   */
  BuildLogFile(String buildId, Path file, Consumer<BuildEvent> events) throws IOException {
    this.buildId = buildId;
    this.file = file;
    this.events = events;
    Files.createDirectories(file.getParent());
    this.writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
  }

  @Override
  public void line(String stage, String text) {
    keep(stage, text);
    events.accept(BuildEvent.log(buildId, stage, text));
  }

  @Override
  public void progress(String stage, long done, long total) {
    events.accept(BuildEvent.progress(buildId, stage, done, total));
  }

  @Override
  public void stageStarted(String stage) {
    keep(stage, BuildLog.startedText(stage));
    events.accept(BuildEvent.stageStarted(buildId, stage));
  }

  @Override
  public void stageFinished(String stage, String sha256, double seconds) {
    keep(stage, BuildLog.finishedText(stage, sha256, seconds));
    events.accept(BuildEvent.stageFinished(buildId, stage, sha256, seconds));
  }

  private synchronized void keep(String stage, String text) {
    if (writeFailure != null) {
      return;
    }
    try {
      writer.write("[" + stage + "] " + text);
      writer.newLine();
    } catch (IOException e) {
      writeFailure = e;
    }
  }

  /**
   * Flushes the file and returns it, ready to upload.
   *
   * @throws UncheckedIOException when a line could not be written (disk full): the file would be a
   *     partial log, so it is not offered at all
   */
  synchronized Path finish() {
    try {
      if (writeFailure == null) {
        writer.flush();
      }
    } catch (IOException e) {
      writeFailure = e;
    }
    if (writeFailure != null) {
      throw new UncheckedIOException("the log of build " + buildId + " could not be written to " + file
          + ": " + writeFailure.getMessage(), writeFailure);
    }
    return file;
  }

  @Override
  public synchronized void close() {
    try {
      writer.close();
    } catch (IOException ignored) {
      // the file is deleted with the build's work directory
    }
  }
}
