package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * What changed in a repo and target's resolved inputs since the previous nightly run built it: the packages of
 * side A's buildinfo lock against those of the previous run's side A. Drift is not a verdict: a pair is
 * REPRODUCIBLE or not whatever drifted (side B rebuilds side A's lock), so drift is shown beside it.
 *
 * @param previousPair  the pair compared with (the previous nightly run's pair of this repo and target whose side A
 *                      succeeded); null when there is nothing to compare
 * @param previousBuild that pair's side A build, whose lock is the "before"
 * @param added         packages only tonight's lock has, as {@code name-version.arch}
 * @param removed       packages only the previous lock has, as {@code name-version.arch}
 * @param upgraded      packages (by name and arch) in both locks whose version changed, old to new (a downgrade
 *                      shows the same way)
 * @param note          why nothing was compared ({@code no previous inputs to compare: ...}); null when compared
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"previousPair", "previousBuild", "added", "removed", "upgraded", "note"})
public record InputDrift(String previousPair, String previousBuild, List<String> added, List<String> removed,
    List<VersionChange> upgraded, String note) {

  /** What {@link #note} starts with when there is nothing to compare. */
  public static final String NOTHING_TO_COMPARE = "no previous inputs to compare";

  public InputDrift {
    added = added == null ? List.of() : List.copyOf(added);
    removed = removed == null ? List.of() : List.copyOf(removed);
    upgraded = upgraded == null ? List.of() : List.copyOf(upgraded);
  }

  /** Nothing compared, because {@code why}. */
  public static InputDrift notCompared(String why) {
    return new InputDrift(null, null, List.of(), List.of(), List.of(), NOTHING_TO_COMPARE + ": " + why);
  }

  /** Whether a comparison was made and found the same packages at the same versions. */
  public boolean none() {
    return note == null && added.isEmpty() && removed.isEmpty() && upgraded.isEmpty();
  }

  /** One line for a report: the changes, {@code no drift}, or the note. */
  public String summary() {
    if (note != null) {
      return note;
    }
    if (none()) {
      return "no drift since pair " + previousPair;
    }
    StringBuilder text = new StringBuilder();
    upgraded.forEach(change -> text.append(text.isEmpty() ? "" : ", ").append(change.describe()));
    added.forEach(name -> text.append(text.isEmpty() ? "" : ", ").append("+").append(name));
    removed.forEach(name -> text.append(text.isEmpty() ? "" : ", ").append("-").append(name));
    return text + " (since pair " + previousPair + ")";
  }

  /** A package whose version changed: {@code name.arch from → to}. */
  @JsonPropertyOrder({"name", "arch", "from", "to"})
  public record VersionChange(String name, String arch, String from, String to) {
    /** {@code name.arch from → to}. */
    public String describe() {
      return name + "." + arch + " " + from + " \u2192 " + to;
    }
  }
}
