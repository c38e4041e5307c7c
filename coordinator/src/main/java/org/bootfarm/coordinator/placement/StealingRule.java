package org.bootfarm.coordinator.placement;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Whether a queued build waits for the busy worker whose package cache for its repo is warm or is taken by an
 * idle one (ADR 0046): it waits until it has waited longer than {@link RendezvousPlacement#stealAfter()}, the
 * cost of a cold cache, then any capable worker with room takes it. The coordinator's placing pass and the
 * placement simulation both decide with this class.
 *
 * <p>The rule, over {@link RendezvousPlacement#place}'s answer: a build placed on a worker warm for its repo, or
 * of a repo no capable live worker is warm for, is placed as placement says. A build placement would send to a
 * cold worker (its home included) while a capable worker warm for its repo is within its load bound goes to that
 * warm worker (the best-ranked of them): here a warm cache beats the home, unlike in ADR 0011, because a worker
 * with room takes its share as steals instead. With every warm worker busy (at its bound) the build waits for
 * them ({@link Kind#WAIT}) until its wait reaches the threshold, and is then {@link Kind#STEAL}, to
 * placement's choice (the best-ranked worker with room, the home first): a caller places it only with room no
 * build warm there
 * claimed in the same pass (a pass places every {@code PLACE} first, then decides again on its steals in queue
 * order), so an idle slot never takes a stranger's build before its own warm one. A threshold of zero spills at
 * once (the behaviour before this rule).
 */
public final class StealingRule {
  /** What a pass does with one queued build. */
  public enum Kind {
    /** Claim it for the placement's worker now. */
    PLACE,
    /** Leave it queued: its warm worker is busy and it has not waited the cost of a cold cache yet. */
    WAIT,
    /** It waited longer than a cold cache costs: claim it for the placement's worker with room left over. */
    STEAL
  }

  /**
   * One decision.
   *
   * @param kind what to do
   * @param placement the worker (PLACE, STEAL) or why it waits (WAIT, and placement's own waiting answers)
   * @param warmWorker for WAIT and STEAL, the busy worker whose cache is warm; null otherwise
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
    List<WorkerView> warm = new ArrayList<>();
    long totalLoad = 0;
    long totalSlots = 0;
    for (WorkerView w : workers) {
      if (RendezvousPlacement.isCapable(w, request)) {
        totalLoad += w.load();
        totalSlots += w.slots();
        chosen = w.id().equals(chosenId) ? w : chosen;
        if (w.isWarmFor(request.repo())) {
          warm.add(w);
        }
      }
    }
    if (chosen == null || chosen.isWarmFor(request.repo()) || warm.isEmpty()) {
      return new Decision(Kind.PLACE, placed, null);
    }
    warm.sort((a, b) -> RendezvousPlacement.before(RendezvousPlacement.score(request.repo(), a), a.id(),
        RendezvousPlacement.score(request.repo(), b), b.id()) ? -1 : 1);
    for (WorkerView w : warm) {
      long bound = placement.bound(w, totalLoad, totalSlots);
      if (w.load() < bound) {
        return new Decision(Kind.PLACE, Placement.on(w.id(), "worker " + w.id() + ": cache warm for "
            + request.repo() + ", load " + (w.load() + 1) + "/" + bound + " (" + w.slots() + " slots); preferred"
            + " over cold " + chosenId + " (" + placed.reason() + ")"), null);
      }
    }
    WorkerView busy = warm.get(0);
    String warmText = warm.stream().limit(3).map(w -> w.id() + " (load " + w.load() + ", " + w.slots() + " slots)")
        .collect(Collectors.joining(", ")) + (warm.size() > 3 ? " and " + (warm.size() - 3) + " more" : "");
    Duration after = placement.stealAfter();
    if (waited.compareTo(after) < 0) {
      return new Decision(Kind.WAIT, Placement.waiting("waiting for " + warmText + ", warm for " + request.repo()
          + " and busy; after " + seconds(after) + " queued (the cost of a cold cache, --steal-after) an idle"
          + " worker takes it; queued " + seconds(waited) + " so far"), busy.id());
    }
    return new Decision(Kind.STEAL, Placement.on(chosenId, "stolen from busy warm " + warmText + " after "
        + seconds(waited) + " queued (longer than a cold cache costs, " + seconds(after) + "): " + placed.reason()),
        busy.id());
  }

  private static String seconds(Duration d) {
    long millis = Math.max(0, d.toMillis());
    return millis % 1000 == 0 ? millis / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1e3);
  }
}
