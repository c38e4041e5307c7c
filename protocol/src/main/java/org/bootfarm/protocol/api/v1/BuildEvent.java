package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One thing that happened in a running build, streamed on {@link Addresses#buildEvents}.
 *
 * @param type    what happened
 * @param stage   the stage it belongs to ({@code base}, {@code staging-bootstrap}, ...), or {@code build}
 * @param text    a log line (LOG) or a message (STATE)
 * @param done    PROGRESS: units done
 * @param total   PROGRESS: units in all
 * @param sha256  STAGE_FINISHED: the stage archive's sha256
 * @param seconds STAGE_FINISHED: how long the stage took
 * @param state   STATE: the build's new state
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BuildEvent(
    String buildId, Type type, String stage, String text, Long done, Long total, String sha256, Double seconds,
    BuildState state) {

  /** The kinds of event. */
  public enum Type {
    STAGE_STARTED,
    STAGE_FINISHED,
    PROGRESS,
    LOG,
    STATE
  }

  public static BuildEvent log(String buildId, String stage, String text) {
    return new BuildEvent(buildId, Type.LOG, stage, text, null, null, null, null, null);
  }

  public static BuildEvent progress(String buildId, String stage, long done, long total) {
    return new BuildEvent(buildId, Type.PROGRESS, stage, null, done, total, null, null, null);
  }

  public static BuildEvent stageStarted(String buildId, String stage) {
    return new BuildEvent(buildId, Type.STAGE_STARTED, stage, null, null, null, null, null, null);
  }

  public static BuildEvent stageFinished(String buildId, String stage, String sha256, double seconds) {
    return new BuildEvent(buildId, Type.STAGE_FINISHED, stage, null, null, null, sha256, seconds, null);
  }

  public static BuildEvent state(String buildId, BuildState state, String text) {
    return new BuildEvent(buildId, Type.STATE, "build", text, null, null, null, null, state);
  }
}
