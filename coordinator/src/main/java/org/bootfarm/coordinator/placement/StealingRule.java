package org.bootfarm.coordinator.placement;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Whether a queued build waits for the busy workers it belongs on or is taken by an idle one (ADR 0046, 0052): it
 * waits until it has waited the cost of a cold cache ({@link ColdCacheCosts}: the repo's recorded cost, at most
 * {@link RendezvousPlacement#stealAfter()}), then any capable worker with room takes it. The coordinator's placing
 * pass and the placement simulation both decide with this class.
 *
 * <p>The rule, over {@link RendezvousPlacement#place}'s answer: a build placed on a worker whose cache for its repo
 * is warm is placed as placement says, and so is one placed on its cold home (rank 1; ADR 0011: a joining worker
 * takes its repos) until it is <i>overdue</i>: queued {@link RendezvousPlacement#stealAfter()} ({@code
 * --steal-after}, the longest any build waits). An overdue build goes to the best-ranked warm worker with room
 * rather than its cold home, and with every warm worker busy its cold home takes it as a steal (ADR 0052). A
 * build placement would give a cold stranger (its home and every warm worker at their bound) waits for them
 * ({@link Kind#WAIT}) until its wait reaches its threshold, and is then {@link Kind#STEAL}, to placement's choice.
 * A caller places a steal only with room no other build claimed in the same pass (a pass places every {@code PLACE}
 * first, then decides again on its steals in queue order), so a free slot never goes to a stranger's build before
 * a build that belongs there. A threshold of zero spills at once, as placement alone did before ADR 0046.
 *
 * <p>The rule counts nothing itself: the home, the warm workers, their bounds and ranks are read from the {@link
 * CapableWorkers} placement decided over, and an overdue build's warm worker is chosen by {@link
 * RendezvousPlacement#bestWarmWithinBound}.
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
  private final boolean overdueTakesWarm;

  public StealingRule(RendezvousPlacement placement) {
    this(placement, true);
  }

  private StealingRule(RendezvousPlacement placement, boolean overdueTakesWarm) {
    this.placement = Objects.requireNonNull(placement, "placement");
    this.overdueTakesWarm = overdueTakesWarm;
  }

  /** ADR 0046's rule: a cold home with room takes its build however long it waited (the simulation compares). */
  static StealingRule beforeAdr0052(RendezvousPlacement placement) {
    return new StealingRule(placement, false);
  }

  public RendezvousPlacement placement() {
    return placement;
  }

  /** Decides with the configured threshold ({@link RendezvousPlacement#stealAfter()}) as the build's own. */
  public Decision decide(PlacementRequest request, Collection<WorkerView> workers, Duration waited) {
    return decide(request, workers, waited, placement.stealAfter());
  }

  /**
   * Decides for a build of {@code request} that has been queued for {@code waited} (since its submission, or
   * since its backoff ended when it was re-queued), over the same {@code workers} {@link RendezvousPlacement#place}
   * takes.
   *
   * @param stealAfter how long it waits for its busy warm worker: {@link ColdCacheCosts#stealAfter}, at most
   *     {@link RendezvousPlacement#stealAfter()}
   */
  public Decision decide(PlacementRequest request, Collection<WorkerView> workers, Duration waited,
      Duration stealAfter) {
    CapableWorkers capable = placement.capable(request, workers);
    Placement placed = placement.place(capable);
    if (!placed.placed()) {
      return new Decision(Kind.PLACE, placed, null);
    }
    String chosenId = placed.workerId().orElseThrow();
    WorkerView chosen = capable.withId(chosenId).orElseThrow();
    String repo = request.repo();
    if (chosen.isWarmFor(repo)) {
      return new Decision(Kind.PLACE, placed, null);
    }
    WorkerView home = capable.home();
    List<WorkerView> preferred = new ArrayList<>(capable.warm());
    boolean coldHome = chosen == home;
    if (coldHome) {
      if (!overdueTakesWarm || preferred.isEmpty() || waited.compareTo(placement.stealAfter()) < 0) {
        return new Decision(Kind.PLACE, placed, null);
      }
      Optional<Placement> warm = placement.bestWarmWithinBound(capable, "; its warm cache preferred over cold home "
          + home.id() + " (rank 1) for a build queued longer than " + seconds(placement.stealAfter())
          + " (--steal-after)");
      if (warm.isPresent()) {
        return new Decision(Kind.PLACE, warm.get(), null);
      }
      // overdue, every warm worker busy: past its own threshold too (at most the setting), so its home steals it
    }
    if (!coldHome && !preferred.contains(home)) {
      preferred.add(0, home);
    }
    WorkerView busy = preferred.get(0);
    String homeId = home.id();
    String warmText = preferred.stream().limit(3).map(w -> w.id() + " (" + (w.id().equals(homeId) ? "home, " : "")
        + (w.isWarmFor(repo) ? "warm, " : "cold, ") + "load " + w.load() + ", " + w.slots() + " slots)")
        .collect(Collectors.joining(", ")) + (preferred.size() > 3 ? " and " + (preferred.size() - 3) + " more" : "");
    Duration after = stealAfter;
    String cost = after.equals(placement.stealAfter()) ? "the cost of a cold cache, --steal-after"
        : "the cost of a cold cache as its runs recorded, --steal-after " + seconds(placement.stealAfter())
            + " at most";
    if (!coldHome && waited.compareTo(after) < 0) {
      // no running count of the time waited: the placing pass writes a waiting build's reason only when it
      // changes, and a clock in it would write every waiting build on every pass
      return new Decision(Kind.WAIT, Placement.waiting("waiting for " + warmText + ", busy; after " + seconds(after)
          + " queued (" + cost + ") an idle worker takes it"), busy.id());
    }
    return new Decision(Kind.STEAL, Placement.on(chosenId, "stolen from busy " + warmText + " after "
        + seconds(waited) + " queued (longer than " + (coldHome ? "--steal-after, " + seconds(placement.stealAfter())
        : "a cold cache costs, " + seconds(after)) + "): " + placed.reason()), busy.id());
  }

  private static String seconds(Duration d) {
    long millis = Math.max(0, d.toMillis());
    return millis % 1000 == 0 ? millis / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", millis / 1e3);
  }
}
