package org.bootfarm.coordinator.placement;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Whether a queued build waits for the busy workers it belongs on or is taken by an idle one (ADR 0046): it
 * waits until it has waited {@link RendezvousPlacement#stealAfter()}, the cost of a cold cache, then any capable
 * worker with room takes it. The coordinator's placing pass and the placement simulation both decide with this
 * class.
 *
 * <p>The rule, over {@link RendezvousPlacement#place}'s answer: a build placed on its home (rank 1, warm or cold:
 * ADR 0011) or on a worker whose cache for its repo is warm is placed as placement says. A build placement would
 * spill to a cold worker that is not its home (its home and every warm worker are at their bound) waits for
 * them ({@link Kind#WAIT}) until its wait reaches the threshold, and is then {@link Kind#STEAL}, to placement's
 * choice (the best-ranked worker with room). A caller places a steal only with room no other build claimed in
 * the same pass (a pass places every {@code PLACE} first, then decides again on its steals in queue order), so a
 * free slot never goes to a stranger's build before a build that belongs there. A threshold of zero spills at
 * once, as placement alone did before this rule.
 */
public final class StealingRule {
  /** What a pass does with one queued build. */
  public enum Kind {
    /** Claim it for the placement's worker now. */
    PLACE,
    /** Leave it queued: its home and warm workers are busy and it has not waited the cost of a cold cache yet. */
    WAIT,
    /** It waited longer than a cold cache costs: claim it for the placement's worker with room left over. */
    STEAL
  }

  /**
   * One decision.
   *
   * @param kind what to do
   * @param placement the worker (PLACE, STEAL) or why it waits (WAIT, and placement's own waiting answers)
   * @param warmWorker for WAIT and STEAL, the busy worker it waits for: the best-ranked warm one, else its home;
   *     null otherwise
   */
  public record Decision(Kind kind, Placement placement, String warmWorker) {
    public Decision {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(placement, "placement");
      if (kind == Kind.WAIT ? placement.placed() : !placement.placed() && kind != Kind.PLACE) {
        throw new IllegalArgumentException(kind + " with placement " + placement);
      }
    }

    /** Whether the build gets a worker now: PLACE with a placed answer, or STEAL. */
    public boolean claims() {
      return placement.placed() && kind != Kind.WAIT;
    }
  }

  private final RendezvousPlacement placement;

  public StealingRule(RendezvousPlacement placement) {
    this.placement = Objects.requireNonNull(placement, "placement");
  }

  public RendezvousPlacement placement() {
    return placement;
  }

  /**
   * Decides for a build of {@code request} that has been queued for {@code waited} (since its submission, or
   * since its backoff ended when it was re-queued), over the same {@code workers} {@link RendezvousPlacement#place}
   * takes.
   */
  public Decision decide(PlacementRequest request, Collection<WorkerView> workers, Duration waited) {
    Placement placed = placement.place(request, workers);
    if (!placed.placed()) {
      return new Decision(Kind.PLACE, placed, null);
    }
    String chosenId = placed.workerId().orElseThrow();
    WorkerView chosen = null;
    WorkerView home = null;
    double homeScore = 0;
    List<WorkerView> preferred = new ArrayList<>();
    for (WorkerView w : workers) {
      if (RendezvousPlacement.isCapable(w, request)) {
        chosen = w.id().equals(chosenId) ? w : chosen;
        double score = RendezvousPlacement.score(request.repo(), w);
        if (home == null || RendezvousPlacement.before(score, w.id(), homeScore, home.id())) {
          home = w;
          homeScore = score;
        }
        if (w.isWarmFor(request.repo())) {
          preferred.add(w);
        }
      }
    }
    if (chosen == null || chosen == home || chosen.isWarmFor(request.repo())) {
      return new Decision(Kind.PLACE, placed, null);
    }
    String repo = request.repo();
    preferred.sort((a, b) -> RendezvousPlacement.before(RendezvousPlacement.score(repo, a), a.id(),
        RendezvousPlacement.score(repo, b), b.id()) ? -1 : 1);
    if (!preferred.contains(home)) {
      preferred.add(0, home);
    }
    WorkerView busy = preferred.get(0);
    String homeId = home.id();
    String warmText = preferred.stream().limit(3).map(w -> w.id() + " (" + (w.id().equals(homeId) ? "home, " : "")
        + (w.isWarmFor(repo) ? "warm, " : "cold, ") + "load " + w.load() + ", " + w.slots() + " slots)")
        .collect(Collectors.joining(", ")) + (preferred.size() > 3 ? " and " + (preferred.size() - 3) + " more" : "");
    Duration after = placement.stealAfter();
    if (waited.compareTo(after) < 0) {
      // no running count of the time waited: the placing pass writes a waiting build's reason only when it
      // changes, and a clock in it would write every waiting build on every pass
      return new Decision(Kind.WAIT, Placement.waiting("waiting for " + warmText + ", busy; after " + seconds(after)
          + " queued (the cost of a cold cache, --steal-after) an idle worker takes it"), busy.id());
    }
    return new Decision(Kind.STEAL, Placement.on(chosenId, "stolen from busy " + warmText + " after "
        + seconds(waited) + " queued (longer than a cold cache costs, " + seconds(after) + "): " + placed.reason()),
        busy.id());
  }

  private static String seconds(Duration d) {
    long millis = Math.max(0, d.toMillis());
    return millis % 1000 == 0 ? millis / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1e3);
  }
}
