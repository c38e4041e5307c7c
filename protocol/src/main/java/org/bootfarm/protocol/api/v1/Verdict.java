package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * Whether two finished builds of the same inputs are reproducible, and if not, where they part:
 * the answer of {@code verify} and one row of a nightly report. The two builds are called
 * {@code left} and {@code right} throughout.
 *
 * @param outcome             REPRODUCIBLE, UNREPRODUCIBLE or FAILED
 * @param left                the first build's id
 * @param right               the second build's id
 * @param repo                the repo both builds built (the left one's)
 * @param target              the target both builds built (the left one's)
 * @param artifacts           every published file of either side with its hash on each side
 * @param stages              every stage in the left build's run order with its archive hash on
 *                            each side; empty when a side failed
 * @param firstDifferingStage the first stage, in run order, whose archive differs; null unless
 *                            UNREPRODUCIBLE (and null then too if only non-stage outputs differ)
 * @param files               the files of the initramfs and the ISO that differ, from the manifests
 * @param diffoscope          diffoscope's report on the two ISOs, when it ran (maybe cut short,
 *                            then {@code notes} says so)
 * @param notes               what the report could not do and why (a tool not installed, a
 *                            timeout, output cut at its size cap), one sentence each
 * @param error               for FAILED: which side failed and its error
 * @param machineDifferences  how the two sides' machines differ as their buildinfos record them (builder, tools,
 *                            host files; {@code tool xorriso: left xorriso 1.5.4-4, right xorriso 1.5.5-1}), one
 *                            line each; empty when they are the same or a side failed. Shown for REPRODUCIBLE pairs
 *                            too: the bytes were reproduced across those differences.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"outcome", "left", "right", "repo", "target", "artifacts", "stages",
    "firstDifferingStage", "files", "diffoscope", "notes", "error", "machineDifferences"})
public record Verdict(
    Outcome outcome,
    String left,
    String right,
    String repo,
    String target,
    List<SidePair> artifacts,
    List<SidePair> stages,
    String firstDifferingStage,
    List<FileDifference> files,
    String diffoscope,
    List<String> notes,
    String error,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> machineDifferences) {

  /** What two builds' comparison came to. */
  public enum Outcome {
    /** Both succeeded and every artifact hash is equal. */
    REPRODUCIBLE,
    /** Both succeeded and some artifact differs. */
    UNREPRODUCIBLE,
    /** A side did not succeed, so there is nothing to compare. */
    FAILED
  }

  public Verdict {
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    stages = stages == null ? List.of() : List.copyOf(stages);
    files = files == null ? List.of() : List.copyOf(files);
    notes = notes == null ? List.of() : List.copyOf(notes);
    machineDifferences = machineDifferences == null ? List.of() : List.copyOf(machineDifferences);
  }

  /** A verdict that names no machine differences (a side failed, or the sides' machines were not compared). */
  public Verdict(Outcome outcome, String left, String right, String repo, String target, List<SidePair> artifacts,
      List<SidePair> stages, String firstDifferingStage, List<FileDifference> files, String diffoscope,
      List<String> notes, String error) {
    this(outcome, left, right, repo, target, artifacts, stages, firstDifferingStage, files, diffoscope, notes, error,
        List.of());
  }

  /**
   * One named thing (an artifact or a stage archive) on each side.
   *
   * @param name        the artifact's file name or the stage's name
   * @param leftSha256  its sha256 in the left build, null when the left build has none
   * @param rightSha256 its sha256 in the right build, null when the right build has none
   * @param leftSize    its size in bytes on the left, null when unknown (stages) or absent
   * @param rightSize   its size in bytes on the right, null when unknown (stages) or absent
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"name", "leftSha256", "rightSha256", "leftSize", "rightSize"})
  public record SidePair(String name, String leftSha256, String rightSha256, Long leftSize, Long rightSize) {

    /** True when both sides have it with the same sha256. */
    public boolean same() {
      return leftSha256 != null && leftSha256.equals(rightSha256);
    }
  }

  /**
   * A file of an image that is not the same in the two builds' manifests.
   *
   * @param image       {@code initramfs} or {@code iso}
   * @param path        its path in the image
   * @param what        what differs: "sha256", "size, sha256", "mode", "only left", ...
   * @param leftSize    its size on the left, null when only the right has it
   * @param leftSha256  its sha256 on the left, null when only the right has it or it is no file
   * @param rightSize   its size on the right, null when only the left has it
   * @param rightSha256 its sha256 on the right, null when only the left has it or it is no file
   * @param diff        a unified diff (left to right) when both sides are small text files, else null
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  @JsonPropertyOrder({"image", "path", "what", "leftSize", "leftSha256", "rightSize", "rightSha256", "diff"})
  public record FileDifference(
      String image, String path, String what, Long leftSize, String leftSha256, Long rightSize,
      String rightSha256, String diff) {}
}
