package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * One nightly reproducibility run as {@code GET /api/v1/nightly/{id}} and {@link Addresses#NIGHTLY_GET}
 * answer it: when and why it started, and one {@link ReproducibilityPair} per repo and target.
 *
 * @param id           the run's id: {@code sched-<instant>} for a scheduled run, {@code now-<instant>} for
 *                     one started on demand
 * @param trigger      {@code schedule} or {@code on demand}
 * @param scheduledFor the cron instant a scheduled run is for (ISO-8601), null on demand
 * @param startedAt    when it was recorded, before any build was submitted
 * @param finishedAt   when its last pair was judged; null while it runs
 * @param notes        repos left out and why (no live worker runs them, an invalid definition), one
 *                     sentence each
 * @param pairs        its pairs, by repo and target; empty in a listing of runs
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"id", "trigger", "scheduledFor", "startedAt", "finishedAt", "notes", "pairs"})
public record NightlyReport(
    String id, String trigger, String scheduledFor, String startedAt, String finishedAt, List<String> notes,
    List<ReproducibilityPair> pairs) {

  /** What {@link #trigger} says of a run the cron schedule started. */
  public static final String SCHEDULE = "schedule";
  /** What {@link #trigger} says of a run started on demand ({@code bootfarm nightly --now}). */
  public static final String ON_DEMAND = "on demand";

  public NightlyReport {
    notes = notes == null ? List.of() : List.copyOf(notes);
    pairs = pairs == null ? List.of() : List.copyOf(pairs);
  }

  /** The same run with these pairs. */
  public NightlyReport withPairs(List<ReproducibilityPair> value) {
    return new NightlyReport(id, trigger, scheduledFor, startedAt, finishedAt, notes, value);
  }

  /** The same run, finished at {@code instant}. */
  public NightlyReport endedAt(String instant) {
    return new NightlyReport(id, trigger, scheduledFor, startedAt, instant, notes, pairs);
  }

  /** Whether every pair has been judged and the run is over. */
  public boolean ended() {
    return finishedAt != null;
  }

  /** Whether the run is over and every pair in it is REPRODUCIBLE (a run of no pairs is not). */
  public boolean allReproducible() {
    return ended() && !pairs.isEmpty()
        && pairs.stream().allMatch(pair -> pair.outcome() == Verdict.Outcome.REPRODUCIBLE);
  }
}
